//! The agent (`ehr-host run`): every installed adapter in a slot that is hot-swapped when
//! a new version appears, whether pulled from a registry or installed into the store by
//! hand, and rolled back when the new version turns out broken.
//!
//! One loop owns all changes, so they never race each other:
//!
//! - **watch** (every `watch_interval`): the store's `state.json` files; a changed
//!   adapter is loaded, self-checked ([`reload::prepare`]) and swapped in, or refused and
//!   the store rolled back; removed adapters lose their slot;
//! - **poll** (every `poll_interval`, when registries are added): refresh and verify every
//!   registry, install newer pinned versions into the store, then watch at once;
//! - **slot events**: a version that failed its probation was already swapped out by its
//!   slot; the loop records it and rolls the store back to match.
//!
//! Calls (and, later, the job worker) use [`Agent::slot`]; they never wait for the loop.

pub mod events;
pub mod jobs;
pub mod reload;
pub mod run;
pub mod slot;
pub mod watch;

use crate::host::Host;
use crate::registry::client::RegistryClient;
use crate::registry::pull::{self, Updated};
use crate::registry::RegistryRefusal;
use anyhow::Result;
use events::{Event, EventKind, EventLog, Serving};
use slot::{AdapterSlot, ProbationPolicy, SlotEvent};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{mpsc, Notify};
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

struct Inner {
    host: Host,
    options: AgentOptions,
    slots: RwLock<BTreeMap<String, Arc<AdapterSlot>>>,
    log: EventLog,
    slot_tx: mpsc::UnboundedSender<SlotEvent>,
    poll_now: Notify,
    watch_now: Notify,
    shutdown: Notify,
    /// The last problem reported per adapter or registry, so a poll repeating the same
    /// refusal does not flood the log.
    last_problem: Mutex<HashMap<String, String>>,
}

/// A running agent.
pub struct Agent {
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

impl Agent {
    /// Loads every installed adapter (self-checking each) and starts the loop.
    pub async fn start(host: Host, options: AgentOptions) -> Result<Agent> {
        let (slot_tx, slot_rx) = mpsc::unbounded_channel();
        let log = EventLog::new(host.home.agent_status(), options.print);
        let inner = Arc::new(Inner {
            host,
            options,
            slots: RwLock::new(BTreeMap::new()),
            log,
            slot_tx,
            poll_now: Notify::new(),
            watch_now: Notify::new(),
            shutdown: Notify::new(),
            last_problem: Mutex::new(HashMap::new()),
        });
        let mut watcher = StoreWatcher::new(inner.host.home.adapters());
        inner.watch_pass(&mut watcher).await;
        let task = tokio::spawn(run_loop(inner.clone(), watcher, slot_rx));
        Ok(Agent { inner, task })
    }

    /// The slot of `id`, if it is being served.
    pub fn slot(&self, id: &str) -> Option<Arc<AdapterSlot>> {
        self.inner
            .slots
            .read()
            .expect("slots lock")
            .get(id)
            .cloned()
    }

    /// What each slot serves.
    pub fn serving(&self) -> BTreeMap<String, Serving> {
        self.inner.serving()
    }

    /// Every kept event, oldest first.
    pub fn events(&self) -> Vec<Event> {
        self.inner.log.all()
    }

    /// Polls the registries now instead of at the next interval.
    pub fn poll_now(&self) {
        self.inner.poll_now.notify_one();
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

async fn run_loop(
    inner: Arc<Inner>,
    mut watcher: StoreWatcher,
    mut slot_rx: mpsc::UnboundedReceiver<SlotEvent>,
) {
    let mut watch_tick = tokio::time::interval(inner.options.watch_interval);
    let mut poll_tick = tokio::time::interval(inner.options.poll_interval);
    watch_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    poll_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            _ = inner.shutdown.notified() => break,
            Some(ev) = slot_rx.recv() => inner.slot_event(ev),
            _ = inner.watch_now.notified() => inner.watch_pass(&mut watcher).await,
            _ = inner.poll_now.notified() => {
                inner.poll_pass().await;
                inner.watch_pass(&mut watcher).await;
            }
            _ = poll_tick.tick() => {
                inner.poll_pass().await;
                inner.watch_pass(&mut watcher).await;
            }
            _ = watch_tick.tick() => inner.watch_pass(&mut watcher).await,
        }
    }
}

impl Inner {
    fn serving(&self) -> BTreeMap<String, Serving> {
        self.slots
            .read()
            .expect("slots lock")
            .iter()
            .map(|(id, s)| {
                let a = s.current();
                (
                    id.clone(),
                    Serving {
                        version: a.manifest.version.to_string(),
                        hash: a.hash.clone(),
                    },
                )
            })
            .collect()
    }

    fn event(&self, kind: EventKind, adapter: Option<&str>, message: String) {
        self.log.push(kind, adapter, message);
        self.log.write_status(&self.serving());
    }

    /// Reports a problem unless it is the same as the last one under `key`.
    fn problem(&self, key: &str, kind: EventKind, adapter: Option<&str>, message: String) {
        let mut last = self.last_problem.lock().expect("problem lock");
        if last.get(key) == Some(&message) {
            return;
        }
        last.insert(key.to_string(), message.clone());
        drop(last);
        self.event(kind, adapter, message);
    }

    fn slot_event(&self, ev: SlotEvent) {
        match ev {
            SlotEvent::Passed { id, version, calls, errors } => self.event(
                EventKind::ProbationPassed,
                Some(&id),
                format!("{id} {version} passed its probation ({errors} adapter errors in its first {calls} calls)"),
            ),
            SlotEvent::RolledBack { id, from, to, reason } => {
                let (fv, tv) = (&from.manifest.version, &to.manifest.version);
                self.event(
                    EventKind::RolledBack,
                    Some(&id),
                    format!("rolled {id} back from {fv} to {tv} automatically: {reason}"),
                );
                self.rollback_store(&id, fv, tv);
            }
        }
    }

    /// Rolls the store back from `from` to `to` when that is what it holds, so the store
    /// agrees with what the slot serves.
    fn rollback_store(&self, id: &str, from: &semver::Version, to: &semver::Version) {
        let store = &self.host.store;
        match store.get(id) {
            Ok(i) if &i.version == from && i.previous_version.as_ref() == Some(to) => match store.rollback(id) {
                Ok(_) => self.event(
                    EventKind::StoreRolledBack,
                    Some(id),
                    format!("store: {id} is back on {to} (`ehr-host list` shows it; {from} kept as previous)"),
                ),
                Err(e) => self.event(EventKind::Error, Some(id), format!("store rollback of {id} failed: {e:#}")),
            },
            _ => {}
        }
    }

    async fn watch_pass(&self, watcher: &mut StoreWatcher) {
        self.drop_revoked();
        let changes = watcher.poll();
        for id in changes.removed {
            if self
                .slots
                .write()
                .expect("slots lock")
                .remove(&id)
                .is_some()
            {
                self.event(
                    EventKind::Removed,
                    Some(&id),
                    format!("{id} was removed from the store; no longer serving it"),
                );
            }
        }
        for id in changes.changed {
            self.reconcile(&id).await;
        }
    }

    /// Takes adapters whose publisher key was revoked (or is no longer trusted) out of
    /// service at once: revocation applies to running adapters too.
    fn drop_revoked(&self) {
        let Ok(trust) = self.host.trust() else {
            return;
        };
        let revoked: Vec<(String, String)> = self
            .slots
            .read()
            .expect("slots lock")
            .iter()
            .filter_map(|(id, s)| match trust.status(&s.current().publisher) {
                crate::package::trust::KeyStatus::Trusted(_) => None,
                crate::package::trust::KeyStatus::Revoked(r) => {
                    Some((id.clone(), format!("was revoked ({r})")))
                }
                crate::package::trust::KeyStatus::Unknown => {
                    Some((id.clone(), "is no longer trusted".to_string()))
                }
            })
            .collect();
        for (id, why) in revoked {
            let slot = self.slots.write().expect("slots lock").remove(&id);
            if let Some(slot) = slot {
                let a = slot.current();
                self.event(
                    EventKind::Removed,
                    Some(&id),
                    format!(
                        "stopped serving {id} {}: its publisher key {} {why}",
                        a.manifest.version,
                        a.publisher.short()
                    ),
                );
            }
        }
    }

    /// Makes the slot of `id` serve what the store says is current, if it passes its
    /// self-check.
    async fn reconcile(&self, id: &str) {
        let wanted = match self.host.store.get(id) {
            Ok(w) => w,
            Err(e) => {
                self.problem(
                    id,
                    EventKind::Error,
                    Some(id),
                    format!("cannot read {id} from the store: {e:#}"),
                );
                return;
            }
        };
        let slot = self.slots.read().expect("slots lock").get(id).cloned();
        let serving = slot.as_ref().map(|s| s.current());
        if serving.as_ref().is_some_and(|s| s.hash == wanted.hash) {
            return;
        }
        if let Some(why) = slot.as_ref().and_then(|s| s.rejected(&wanted.hash)) {
            self.problem(
                id,
                EventKind::SelfCheckFailed,
                Some(id),
                format!("not serving {id} {}: {why}", wanted.version),
            );
            return;
        }
        match reload::prepare(&self.host, id, slot.is_some()).await {
            // A first version whose `check` failed still serves (there is nothing to
            // fall back to); jobs will report the EHR problem in the users' words.
            Ok((next, Some(check))) if slot.is_none() && next.hash == wanted.hash => {
                let version = next.manifest.version.clone();
                let s = Arc::new(AdapterSlot::new(
                    next,
                    self.options.probation,
                    self.slot_tx.clone(),
                ));
                self.slots
                    .write()
                    .expect("slots lock")
                    .insert(id.to_string(), s);
                self.event(
                    EventKind::Serving,
                    Some(id),
                    format!("serving {id} {version}; warning: {check}"),
                );
            }
            Ok((next, _)) if next.hash == wanted.hash => match (&slot, serving) {
                (Some(slot), Some(old)) => {
                    // A return to the version just replaced (a manual rollback) is not
                    // put on probation; anything else is.
                    let back = slot.rejected(&old.hash).is_none()
                        && self
                            .host
                            .store
                            .get(id)
                            .ok()
                            .and_then(|i| i.previous_version)
                            == Some(old.manifest.version.clone())
                        && next.manifest.version < old.manifest.version;
                    slot.swap(next.clone(), !back);
                    self.event(
                        EventKind::Swapped,
                        Some(id),
                        format!(
                            "now serving {id} {} (was {}); calls in flight finish on {}",
                            next.manifest.version, old.manifest.version, old.manifest.version
                        ),
                    );
                }
                _ => {
                    let version = next.manifest.version.clone();
                    let s = Arc::new(AdapterSlot::new(
                        next,
                        self.options.probation,
                        self.slot_tx.clone(),
                    ));
                    self.slots
                        .write()
                        .expect("slots lock")
                        .insert(id.to_string(), s);
                    self.event(
                        EventKind::Serving,
                        Some(id),
                        format!("serving {id} {version}"),
                    );
                }
            },
            Ok(_) => {
                // The store changed again while this version was prepared; the next pass
                // picks the newer state up.
                self.watch_now.notify_one();
            }
            Err(e) => {
                let why = format!("{e:#}");
                match (&slot, serving) {
                    (Some(slot), Some(old)) => {
                        slot.reject(&wanted.hash, &format!("failed its self-check: {why}"));
                        self.event(
                            EventKind::SelfCheckFailed,
                            Some(id),
                            format!(
                                "refused to swap in {id} {}: {why}; still serving {}",
                                wanted.version, old.manifest.version
                            ),
                        );
                        self.rollback_store(id, &wanted.version, &old.manifest.version);
                    }
                    _ => self.problem(
                        id,
                        EventKind::SelfCheckFailed,
                        Some(id),
                        format!("cannot serve {id} {}: {why}", wanted.version),
                    ),
                }
            }
        }
    }

    /// Why the agent will not install the package with `hash` again, if it will not.
    fn rejected(&self, hash: &str) -> Option<String> {
        self.slots
            .read()
            .expect("slots lock")
            .values()
            .find_map(|s| s.rejected(hash))
    }

    async fn poll_pass(&self) {
        let client = match RegistryClient::new(&self.host.home) {
            Ok(c) => c,
            Err(e) => return self.problem("registry", EventKind::Error, None, format!("{e:#}")),
        };
        if client.list().map(|l| l.is_empty()).unwrap_or(true) {
            return;
        }
        let indexes = match pull::indexes(&client).await {
            Ok(i) => i,
            Err(e) => return self.problem("registry", EventKind::Error, None, format!("{e:#}")),
        };
        for (name, e) in &indexes.problems {
            let kind = if e.downcast_ref::<RegistryRefusal>().is_some() {
                EventKind::RegistryRefused
            } else {
                EventKind::Error
            };
            self.problem(
                &format!("registry:{name}"),
                kind,
                None,
                format!("registry `{name}`: {e:#}"),
            );
        }
        for (name, why) in &indexes.offline {
            self.problem(
                &format!("registry:{name}"),
                EventKind::RegistryOffline,
                None,
                format!("registry `{name}` unreachable ({why}); using its last verified index"),
            );
        }
        let skip = |hash: &str| self.rejected(hash);
        let results = match pull::update(&self.host, &client, &indexes, None, &skip).await {
            Ok(r) => r,
            Err(e) => return self.problem("registry", EventKind::Error, None, format!("{e:#}")),
        };
        for (id, r) in results {
            match r {
                Ok(Updated::Installed(p)) => {
                    self.last_problem.lock().expect("problem lock").remove(&id);
                    let m = &p.package.manifest;
                    self.event(
                        EventKind::UpdateInstalled,
                        Some(&id),
                        format!(
                            "pulled {id} {} from registry `{}` (signed by {}); verifying before the swap",
                            m.version, p.registry, p.package.publisher_name
                        ),
                    );
                }
                Ok(Updated::UpToDate(_)) => {}
                Ok(Updated::Skipped(v, why)) => self.problem(
                    &id,
                    EventKind::UpdateRefused,
                    Some(&id),
                    format!("not installing {id} {v} again: {why}"),
                ),
                Err(e) => {
                    let current = self
                        .slots
                        .read()
                        .expect("slots lock")
                        .get(&id)
                        .map(|s| s.current().manifest.version.to_string());
                    self.problem(
                        &id,
                        EventKind::UpdateRefused,
                        Some(&id),
                        format!(
                            "not updating {id}: {e:#}; still serving {}",
                            current.unwrap_or_else(|| "nothing".into())
                        ),
                    )
                }
            }
        }
    }
}
