//! The agent's shared state and its loop: slots, the event log and status file, the
//! incidents open, the versions waiting for a self-check retry, and the channel that
//! tells the job loop about rollbacks.

use super::events::{AdapterStatus, EventKind, EventLog, HeldBack, Serving, StatusView};
use super::incidents::Incidents;
use super::retry::Retries;
use super::slot::{AdapterSlot, SlotEvent};
use super::watch::StoreWatcher;
use super::{AgentOptions, RolledBack};
use crate::host::Host;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::{broadcast, mpsc, Notify};

/// How many rollbacks a slow job loop may fall behind before it misses some.
const ROLLBACK_BACKLOG: usize = 64;

pub(super) struct Inner {
    pub host: Host,
    pub options: AgentOptions,
    pub slots: RwLock<BTreeMap<String, Arc<AdapterSlot>>>,
    pub log: EventLog,
    pub slot_tx: mpsc::UnboundedSender<SlotEvent>,
    pub poll_now: Notify,
    pub watch_now: Notify,
    pub shutdown: Notify,
    pub rollbacks: broadcast::Sender<RolledBack>,
    pub incidents: Mutex<Incidents>,
    pub retries: Mutex<Retries>,
    /// Pins holding adapters back, as the last poll found them.
    pub held_back: Mutex<HashMap<String, HeldBack>>,
    /// The last problem reported per adapter (or other key), so passes repeating the
    /// same problem do not flood the log; shown in the status.
    pub problems: Mutex<HashMap<String, String>>,
    /// Poll requests made through [`super::Agent::poll_and_wait`] so far.
    pub poll_requests: std::sync::atomic::AtomicU64,
    /// The requests a finished registry pass had seen when it started: a request is
    /// served once this reaches it.
    pub polls: tokio::sync::watch::Sender<u64>,
}

impl Inner {
    /// The agent's state on `host`, and the receiving end of its slots' news.
    pub fn new(host: Host, options: AgentOptions) -> (Inner, mpsc::UnboundedReceiver<SlotEvent>) {
        let (slot_tx, slot_rx) = mpsc::unbounded_channel();
        let log = EventLog::new(host.home.agent_status(), options.print);
        let inner = Inner {
            host,
            options,
            slots: RwLock::new(BTreeMap::new()),
            log,
            slot_tx,
            poll_now: Notify::new(),
            watch_now: Notify::new(),
            shutdown: Notify::new(),
            rollbacks: broadcast::channel(ROLLBACK_BACKLOG).0,
            incidents: Mutex::new(Incidents::default()),
            retries: Mutex::new(Retries::default()),
            held_back: Mutex::new(HashMap::new()),
            problems: Mutex::new(HashMap::new()),
            poll_requests: std::sync::atomic::AtomicU64::new(0),
            polls: tokio::sync::watch::channel(0).0,
        };
        (inner, slot_rx)
    }

    /// The slot of `id`, if one serves it.
    pub fn slot(&self, id: &str) -> Option<Arc<AdapterSlot>> {
        self.slots.read().expect("slots lock").get(id).cloned()
    }

    /// Puts `slot` in place for `id` (or takes it away); returns the one replaced.
    pub fn set_slot(&self, id: &str, slot: Option<Arc<AdapterSlot>>) -> Option<Arc<AdapterSlot>> {
        let mut slots = self.slots.write().expect("slots lock");
        match slot {
            Some(s) => slots.insert(id.to_string(), s),
            None => slots.remove(id),
        }
    }

    /// What each slot serves.
    pub fn serving(&self) -> BTreeMap<String, Serving> {
        self.slots
            .read()
            .expect("slots lock")
            .iter()
            .map(|(id, s)| {
                let a = s.current();
                let serving = Serving {
                    version: a.manifest.version.to_string(),
                    hash: a.hash.clone(),
                };
                (id.clone(), serving)
            })
            .collect()
    }

    /// Records an event and rewrites the status file.
    pub fn event(&self, kind: EventKind, adapter: Option<&str>, message: &str) {
        self.log.push(kind, adapter, message);
        self.write_status();
    }

    /// Reports a problem unless it is the same as the last one under `key`.
    pub fn problem(&self, key: &str, kind: EventKind, adapter: Option<&str>, message: String) {
        let mut last = self.problems.lock().expect("problem lock");
        if last.get(key) == Some(&message) {
            return;
        }
        last.insert(key.to_string(), message.clone());
        drop(last);
        self.event(kind, adapter, &message);
    }

    /// Forgets the problem under `key` (it was solved).
    pub fn solved(&self, key: &str) {
        self.problems.lock().expect("problem lock").remove(key);
    }

    /// Writes `agent-status.json`: slots, store versions, probations, waiting versions,
    /// pins holding adapters back, open incidents and events.
    pub fn write_status(&self) {
        let serving = self.serving();
        let mut adapters: BTreeMap<String, AdapterStatus> = BTreeMap::new();
        for id in self.host.store.ids().unwrap_or_default() {
            adapters.entry(id).or_default();
        }
        for id in serving.keys() {
            adapters.entry(id.clone()).or_default();
        }
        let problems = self.problems.lock().expect("problem lock").clone();
        let held = self.held_back.lock().expect("held lock").clone();
        let retries = self.retries.lock().expect("retries lock").status();
        for (id, a) in adapters.iter_mut() {
            a.serving = serving.get(id).cloned();
            a.store_version = self
                .host
                .store
                .state_of(id)
                .ok()
                .flatten()
                .map(|s| s.current.to_string());
            a.probation = self.slot(id).and_then(|s| s.probation());
            a.waiting = retries.get(id).cloned();
            a.held_back = held.get(id).cloned();
            a.problem = problems.get(id).cloned();
        }
        let incidents = self.incidents.lock().expect("incidents lock").open();
        self.log.write_status(&StatusView {
            serving,
            adapters,
            incidents,
        });
    }

    /// Repairs an inconsistent store before anything is loaded, one event per entry.
    pub fn repair_store(&self) {
        match self.host.store.repair_all() {
            Ok(lines) => {
                for line in lines {
                    self.event(EventKind::StoreRepaired, None, &line);
                }
            }
            Err(e) => self.event(
                EventKind::Error,
                None,
                &format!("cannot check the store: {e:#}"),
            ),
        }
    }

    /// Tells the job loop (and the log) that `rb` was taken out of service.
    pub fn announce_rollback(&self, rb: RolledBack) {
        // No receiver is fine: no job loop runs (tests, or the CLI without jobs).
        let _ = self.rollbacks.send(rb);
    }

    /// The rollbacks every store entry remembers, oldest first.
    pub fn recorded_rollbacks(&self) -> Vec<RolledBack> {
        let mut out = Vec::new();
        for id in self.host.store.ids().unwrap_or_default() {
            let Ok(Some(entry)) = self.host.store.entry(&id) else {
                continue;
            };
            // What serves now stands in for what served right after each rollback.
            for r in &entry.state.rolled_back {
                out.push(RolledBack {
                    id: id.clone(),
                    from_version: r.version.clone(),
                    from_hash: r.hash.clone(),
                    to_version: entry.state.current.clone(),
                    at_ms: r.at_ms,
                });
            }
        }
        out.sort_by_key(|r| r.at_ms);
        out
    }
}

impl Inner {
    /// A registry pass, then a store pass that swaps in what it installed.
    async fn poll_then_watch(&self, watcher: &mut StoreWatcher) {
        let requested = self.poll_requests.load(std::sync::atomic::Ordering::SeqCst);
        self.poll_pass().await;
        self.watch_pass(watcher).await;
        self.polls.send_replace(requested);
    }
}

/// The agent's one loop: every change to slots and the store happens here, in turn.
pub(super) async fn run_loop(
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
            _ = inner.poll_now.notified() => inner.poll_then_watch(&mut watcher).await,
            _ = poll_tick.tick() => inner.poll_then_watch(&mut watcher).await,
            _ = watch_tick.tick() => inner.watch_pass(&mut watcher).await,
        }
    }
}
