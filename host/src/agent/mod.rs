//! The agent (`ehr-host run`): every installed adapter in a slot that is hot-swapped when
//! a new version appears, whether pulled from a registry or installed into the store by
//! hand, and rolled back when the new version turns out broken.
//!
//! One loop owns all changes, so they never race each other:
//!
//! - **watch** (every `watch_interval`): the store's `state.json` files; a changed
//!   adapter is loaded, self-checked ([`reload::prepare`]) and swapped in, or refused and
//!   the store rolled back; removed adapters lose their slot; versions whose self-check
//!   had to wait for the EHR are tried again ([`reconcile`](self));
//! - **poll** (every `poll_interval`, when registries are added): refresh and verify every
//!   registry, install newer pinned versions into the store, leave a yanked version, then
//!   watch at once; registry faults, yanks and pins holding a fix back are incidents,
//!   logged once when they start and once when they end ([`incidents`]);
//! - **slot events**: a version that failed its probation was already swapped out (and
//!   the store rolled back) by its slot; the loop tells the log and the job loop.
//!
//! The store is the agent's memory: probation, versions rolled back from and versions
//! waiting for a self-check are recorded there, so a restarted agent carries on where
//! the last one stopped, and `ehr-host list`, the store and the agent's status name the
//! same version.
//!
//! Calls (and the job worker) use [`Agent::slot`]; they never wait for the loop.

mod core;
pub mod events;
pub mod incidents;
pub mod jobs;
pub mod page;
mod poll;
mod reconcile;
pub mod reload;
mod retry;
pub mod run;
pub mod slot;
mod slot_events;
mod waiting;
pub mod watch;

use crate::host::Host;
use anyhow::Result;
use core::Inner;
use events::{Event, EventKind, Serving};
use slot::{AdapterSlot, ProbationPolicy};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use watch::StoreWatcher;

/// How the agent behaves.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// How often registries are polled.
    pub poll_interval: Duration,
    /// How often the store is looked at.
    pub watch_interval: Duration,
    /// When a new version is rolled back automatically.
    pub probation: ProbationPolicy,
    /// Print events to stdout (the CLI does).
    pub print: bool,
}

impl Default for AgentOptions {
    fn default() -> Self {
        AgentOptions {
            poll_interval: Duration::from_secs(300),
            watch_interval: Duration::from_secs(1),
            probation: ProbationPolicy::default(),
            print: false,
        }
    }
}

/// A version taken out of service because it failed (its probation, or the operator
/// rolled it back): jobs that failed on it as adapter bugs may deserve another try.
#[derive(Debug, Clone, PartialEq)]
pub struct RolledBack {
    /// Adapter id.
    pub id: String,
    /// The version taken out of service.
    pub from_version: semver::Version,
    /// SHA-256 of its package.
    pub from_hash: String,
    /// The version serving instead.
    pub to_version: semver::Version,
    /// When, milliseconds since the Unix epoch.
    pub at_ms: u64,
}

/// A running agent.
pub struct Agent {
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

impl Agent {
    /// Repairs the store if it is inconsistent, loads every installed adapter
    /// (self-checking each, resuming probations) and starts the loop.
    pub async fn start(host: Host, options: AgentOptions) -> Result<Agent> {
        let (inner, slot_rx) = Inner::new(host, options);
        let inner = Arc::new(inner);
        inner.repair_store();
        let mut watcher = StoreWatcher::new(inner.host.home.adapters());
        inner.watch_pass(&mut watcher).await;
        let task = tokio::spawn(core::run_loop(inner.clone(), watcher, slot_rx));
        Ok(Agent { inner, task })
    }

    /// The slot of `id`, if it is being served.
    pub fn slot(&self, id: &str) -> Option<Arc<AdapterSlot>> {
        self.inner.slot(id)
    }

    /// What each slot serves.
    pub fn serving(&self) -> BTreeMap<String, Serving> {
        self.inner.serving()
    }

    /// Every kept event, oldest first.
    pub fn events(&self) -> Vec<Event> {
        self.inner.log.all()
    }

    /// Rollbacks from now on, as they happen (automatic ones, and the operator's seen in
    /// the store), for the job loop to give failed jobs back.
    pub fn rollbacks(&self) -> broadcast::Receiver<RolledBack> {
        self.inner.rollbacks.subscribe()
    }

    /// Rollbacks the store remembers (also those of agents before this one, for a job
    /// loop catching up after a restart), oldest first.
    pub fn recorded_rollbacks(&self) -> Vec<RolledBack> {
        self.inner.recorded_rollbacks()
    }

    /// Records an event in the agent's log and status (the job loop's "N jobs given back").
    pub fn record(&self, kind: EventKind, adapter: Option<&str>, message: &str) {
        self.inner.event(kind, adapter, message);
    }

    /// Polls the registries now instead of at the next interval.
    pub fn poll_now(&self) {
        self.inner.poll_now.notify_one();
    }

    /// Polls the registries now and waits until that pass (and the store pass after it)
    /// has finished.
    pub async fn poll_and_wait(&self) {
        let mut polls = self.inner.polls.subscribe();
        let ticket = 1 + self
            .inner
            .poll_requests
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.poll_now.notify_one();
        let _ = polls.wait_for(|seen| *seen >= ticket).await;
    }

    /// Looks at the store now instead of at the next interval.
    pub fn watch_now(&self) {
        self.inner.watch_now.notify_one();
    }

    /// Waits until an event matching `pred` has been recorded, up to `limit`.
    pub async fn wait_for(&self, limit: Duration, pred: impl Fn(&Event) -> bool) -> Option<Event> {
        let until = tokio::time::Instant::now() + limit;
        loop {
            if let Some(e) = self.events().into_iter().find(|e| pred(e)) {
                return Some(e);
            }
            if tokio::time::Instant::now() >= until {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops the loop (calls in flight on slots still finish).
    pub async fn stop(self) {
        self.inner.shutdown.notify_one();
        let _ = self.task.await;
    }
}
