//! The running link: started by `ehr-host run` when the home is paired. It keeps the
//! link's state (connecting, connected, disconnected, pairing expired, needs update),
//! logs one line when the link breaks and one when it is back, writes
//! `<home>/link-status.json` for `ehr-host status`, and runs the loops in [`loops`]:
//! heartbeat, job poll, lease renewals, results.
//!
//! [`loops`]: super::loops

use super::backoff::Backoff;
use super::client::{CallError, LinkClient};
use super::connectivity::Connectivity;
use super::ledger::Ledger;
use super::pairing::{self, Pairing};
use super::protocol::{Intervals, LinkErrorKind, QueueCounts};
use crate::agent::Agent;
use crate::home::Home;
use crate::jobs::{Queue, Sealer, Status};
use crate::status::agent::{LinkReport, LinkState};
use anyhow::Result;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How the link behaves.
#[derive(Debug, Clone)]
pub struct LinkOptions {
    /// How often each adapter's `check` runs for the heartbeat.
    pub check_every: Duration,
    /// The version reported to the hub: this build's, unless a test says otherwise.
    pub version: String,
}

impl Default for LinkOptions {
    fn default() -> Self {
        LinkOptions {
            check_every: Duration::from_secs(60),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// The file a running agent writes its link's status to.
pub fn status_path(home: &Home) -> std::path::PathBuf {
    home.root().join("link-status.json")
}

/// What the loops share.
pub(super) struct Shared<Q> {
    pub home: Home,
    pub queue: Arc<Q>,
    pub sealer: Arc<Sealer>,
    pub agent: Arc<Agent>,
    pub ledger: Ledger,
    pub connectivity: Connectivity,
    pub options: LinkOptions,
    pub client: RwLock<Arc<LinkClient>>,
    pub pairing: Mutex<Pairing>,
    pub intervals: Mutex<Intervals>,
    pub state: Mutex<LinkState>,
    pub last_heartbeat_ms: Mutex<Option<u64>>,
    pub queue_counts: Mutex<QueueCounts>,
    pub unreported: AtomicU32,
    pub results_now: Arc<Notify>,
    pub shutdown: CancellationToken,
    /// The practice's schedule-sync settings, from the last heartbeat's answer.
    pub schedule: Arc<Mutex<Option<crate::link::protocol::ScheduleDirective>>>,
}

/// A running link.
pub struct RunningLink<Q> {
    shared: Arc<Shared<Q>>,
    tasks: Vec<JoinHandle<()>>,
}

pub(super) fn now_ms() -> u64 {
    crate::jobs::Clock::now_ms(&crate::jobs::SystemClock)
}

/// The client for `pairing`, signing with the home's device key.
pub(super) fn client_for(home: &Home, pairing: &Pairing, version: &str) -> Result<LinkClient> {
    let key = super::device::load_or_create(&super::device::path(home))?;
    let http = super::client::http(pairing.fingerprint)?;
    Ok(LinkClient::new(
        http,
        &pairing.hub,
        &pairing.agent_id,
        key,
        version,
    ))
}

/// What the link works with, from the running agent.
pub struct LinkParts<Q> {
    /// The agent's home (pairing, device key, ledger, status file).
    pub home: Home,
    /// The agent's job queue: jobs from the hub go in, results come out.
    pub queue: Arc<Q>,
    /// Seals snapshots in that queue.
    pub sealer: Arc<Sealer>,
    /// The adapters (for heartbeats and their EHR checks).
    pub agent: Arc<Agent>,
    /// Told by the job loop each time a job settled, so its result goes out at once.
    pub settled: Arc<Notify>,
    /// Cancelled when the agent stops.
    pub shutdown: CancellationToken,
}

/// Starts the link of a paired agent: jobs from the hub go into the agent's queue
/// (sealed with its key) and are written by its own job loop through its adapters.
pub fn start<Q: Queue + 'static>(
    parts: LinkParts<Q>,
    pairing: Pairing,
    options: LinkOptions,
) -> Result<RunningLink<Q>> {
    let LinkParts {
        home,
        queue,
        sealer,
        agent,
        settled,
        shutdown,
    } = parts;
    let client = client_for(&home, &pairing, &options.version)?;
    let ledger = Ledger::open(&home.root().join("link.sqlite"))?;
    println!(
        "link: paired with {} as {} (practice {}); connecting",
        pairing.hub, pairing.agent_id, pairing.practice_id
    );
    let shared = Arc::new(Shared {
        connectivity: Connectivity::new(options.check_every),
        intervals: Mutex::new(pairing.intervals),
        client: RwLock::new(Arc::new(client)),
        pairing: Mutex::new(pairing),
        state: Mutex::new(LinkState::Connecting { since_ms: now_ms() }),
        last_heartbeat_ms: Mutex::new(None),
        queue_counts: Mutex::new(QueueCounts::default()),
        unreported: AtomicU32::new(0),
        results_now: settled,
        schedule: Arc::new(Mutex::new(None)),
        home,
        queue,
        sealer,
        agent,
        ledger,
        options,
        shutdown,
    });
    shared.write_status();
    let tasks = vec![
        tokio::spawn(super::loops::heartbeat(shared.clone())),
        tokio::spawn(super::loops::poll(shared.clone())),
        tokio::spawn(super::loops::leases(shared.clone())),
        tokio::spawn(super::loops::results(shared.clone())),
        tokio::spawn(super::loops::pairing_watch(shared.clone())),
        tokio::spawn(schedule_sync(shared.clone())?),
    ];
    Ok(RunningLink { shared, tasks })
}

/// The schedule sync of this agent's EHRs, delivering over this link.
fn schedule_sync<Q: Queue + 'static>(
    shared: Arc<Shared<Q>>,
) -> Result<impl std::future::Future<Output = ()>> {
    let client = shared.clone();
    crate::schedule::sync::agent::start(crate::schedule::sync::agent::AgentSync {
        home: shared.home.clone(),
        agent: shared.agent.clone(),
        directive: shared.schedule.clone(),
        client: Arc::new(move || client.client()),
        shutdown: shared.shutdown.clone(),
    })
}

impl<Q: Queue + 'static> RunningLink<Q> {
    /// The link's state now.
    pub fn state(&self) -> LinkState {
        self.shared.state()
    }

    /// Waits (up to `limit`) until the state matches `pred`.
    pub async fn wait_for(
        &self,
        limit: Duration,
        pred: impl Fn(&LinkState) -> bool,
    ) -> Option<LinkState> {
        let until = tokio::time::Instant::now() + limit;
        loop {
            let s = self.state();
            if pred(&s) {
                return Some(s);
            }
            if tokio::time::Instant::now() >= until {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the loops (the caller cancels the shutdown token first).
    pub async fn stop(self) {
        self.shared.shutdown.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

impl<Q: Queue> Shared<Q> {
    pub fn state(&self) -> LinkState {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn client(&self) -> Arc<LinkClient> {
        self.client
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn intervals(&self) -> Intervals {
        *self.intervals.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set(&self, next: LinkState) {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = next;
        self.write_status();
    }

    /// The pairing is refused: no job is asked for until the agent is paired again.
    pub fn paused(&self) -> bool {
        matches!(self.state(), LinkState::PairingExpired { .. })
    }

    /// A call reached the hub: a broken link is back.
    pub fn reached(&self) {
        match self.state() {
            LinkState::Disconnected { since_ms, .. } => {
                tracing::warn!(
                    "link to the hub is back (it was down for {})",
                    crate::status::agent::ago(now_ms(), since_ms)
                );
                println!("link: connected to the hub again");
                self.set(LinkState::Connected { since_ms: now_ms() });
            }
            LinkState::Connecting { .. } => {
                println!("link: connected to the hub");
                self.set(LinkState::Connected { since_ms: now_ms() });
            }
            _ => {}
        }
    }

    /// The hub's minimum version, from a heartbeat's answer.
    pub fn minimum(&self, min: &str) {
        let below = crate::status::hub::below_minimum(
            &self.options.version,
            &semver::Version::parse(min).unwrap_or(semver::Version::new(0, 0, 0)),
        );
        match (below, self.state()) {
            (true, LinkState::NeedsUpdate { .. } | LinkState::PairingExpired { .. }) => {}
            (true, _) => self.needs_update(min),
            (false, LinkState::NeedsUpdate { .. }) => {
                println!("link: the hub accepts this version again; taking jobs");
                self.set(LinkState::Connected { since_ms: now_ms() });
            }
            (false, _) => {}
        }
    }

    fn needs_update(&self, min: &str) {
        let min = crate::untrusted::clean(min, 40);
        tracing::error!(
            "Agent needs update: the hub hands no jobs to version {} (its minimum is {min}). Check for updates, install if available, and restart the agent.",
            self.options.version
        );
        self.set(LinkState::NeedsUpdate {
            since_ms: now_ms(),
            min_version: min,
        });
    }

    /// What to do after a failed call, and how long to wait before the next try.
    pub fn failed(&self, e: &CallError, backoff: &mut Backoff) -> Duration {
        match e {
            CallError::Transport(why) => self.broke(why),
            CallError::Refused { error, .. } => match error.error {
                LinkErrorKind::Revoked | LinkErrorKind::PairingExpired => {
                    if !self.paused() {
                        tracing::error!(
                            "Pairing expired: the hub refuses this device ({}). Go to Settings > Devices in the Doctora web app, click Pair Device, and pair again (`ehr-host pair CODE --hub URL`); no jobs are taken until then, and results held here are kept.",
                            crate::untrusted::clean(&error.message, 200)
                        );
                        self.set(LinkState::PairingExpired {
                            since_ms: now_ms(),
                            why: crate::untrusted::clean(&error.message, 200),
                        });
                    }
                    return Duration::from_secs(5);
                }
                LinkErrorKind::AgentNeedsUpdate => {
                    if !matches!(self.state(), LinkState::NeedsUpdate { .. }) {
                        self.needs_update(error.min_version.as_deref().unwrap_or("?"));
                    }
                    return Duration::from_secs(self.intervals().heartbeat_seconds.into());
                }
                LinkErrorKind::Unavailable => self.broke("the hub's store is unavailable"),
                LinkErrorKind::Unauthenticated => self.broke(&format!(
                    "the hub does not accept this agent's session: {}",
                    crate::untrusted::clean(&error.message, 200)
                )),
                LinkErrorKind::RateLimited => {
                    tracing::warn!("the hub asks this agent to slow down")
                }
                other => tracing::warn!(
                    "the hub refused a request ({other:?}): {}",
                    crate::untrusted::clean(&error.message, 200)
                ),
            },
        }
        backoff.next_random()
    }

    fn broke(&self, why: &str) {
        let why = crate::untrusted::clean(why, 300);
        match self.state() {
            LinkState::Disconnected { since_ms, .. } => {
                *self.state.lock().unwrap_or_else(|p| p.into_inner()) =
                    LinkState::Disconnected { since_ms, why };
            }
            LinkState::PairingExpired { .. } => {}
            _ => {
                tracing::warn!("link to the hub broke: {why}; retrying with backoff (1s to 64s)");
                println!("link: disconnected from the hub: {why}");
                self.set(LinkState::Disconnected {
                    since_ms: now_ms(),
                    why,
                });
            }
        }
    }

    /// A new pairing appeared in the home (`ehr-host pair` while running).
    pub fn repaired(&self, p: Pairing) -> Result<()> {
        let client = client_for(&self.home, &p, &self.options.version)?;
        println!(
            "link: paired again as {} (practice {})",
            p.agent_id, p.practice_id
        );
        *self.client.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(client);
        *self.intervals.lock().unwrap_or_else(|e| e.into_inner()) = p.intervals;
        *self.pairing.lock().unwrap_or_else(|e| e.into_inner()) = p;
        self.set(LinkState::Connecting { since_ms: now_ms() });
        Ok(())
    }

    /// Counts the local queue for heartbeats and status.
    pub async fn count_queue(&self) {
        let count = async |s| {
            self.queue
                .list(Some(s))
                .await
                .map(|l| l.len() as u32)
                .unwrap_or(0)
        };
        let counts = QueueCounts {
            pending: count(Status::Pending).await,
            claimed: count(Status::Claimed).await,
            failed: count(Status::Failed).await,
            unreported: self.unreported.load(Ordering::Relaxed),
        };
        *self.queue_counts.lock().unwrap_or_else(|p| p.into_inner()) = counts;
    }

    /// Writes `<home>/link-status.json`.
    pub fn write_status(&self) {
        let p = self
            .pairing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let report = LinkReport {
            pid: std::process::id(),
            written_ms: now_ms(),
            heartbeat_seconds: self.intervals().heartbeat_seconds,
            version: self.options.version.clone(),
            hub: p.hub,
            agent_id: p.agent_id,
            practice_id: p.practice_id,
            practice_name: p.practice_name,
            link: self.state(),
            last_heartbeat_ms: *self
                .last_heartbeat_ms
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
            adapters: self.connectivity.adapters(),
            queue: *self.queue_counts.lock().unwrap_or_else(|e| e.into_inner()),
        };
        let text = serde_json::to_string_pretty(&report).expect("a report serialises");
        if let Err(e) = crate::fsutil::write_atomic(&status_path(&self.home), text.as_bytes()) {
            tracing::warn!("cannot write the link status: {e:#}");
        }
    }

    /// Re-reads the pairing file; a different agent id means the agent was paired again.
    pub fn check_pairing(&self) {
        let current = self
            .pairing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .agent_id
            .clone();
        match pairing::load(&self.home) {
            Ok(Some(p)) if p.agent_id != current => {
                if let Err(e) = self.repaired(p) {
                    tracing::error!("cannot use the new pairing: {e:#}");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("{e:#}"),
        }
    }
}
