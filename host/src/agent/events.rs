//! What the agent did, as events: printed as it happens, kept (the last 200) in memory,
//! and written to `<home>/agent-status.json` with what each adapter serves, its
//! probation, a version waiting for its self-check, a pin holding it back, and the
//! incidents (registry faults, yanks) still open.

use super::slot::ProbationStatus;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::Mutex;

/// The kinds of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// An adapter is loaded into a new slot.
    Serving,
    /// A new version passed its self-check and was swapped in.
    Swapped,
    /// A new version failed its self-check as an adapter fault; it is never served.
    SelfCheckFailed,
    /// A new version's self-check could not run (the EHR was unreachable, ...): the
    /// version before it serves until a retry passes.
    SelfCheckDeferred,
    /// A version on probation failed too often and was swapped out again.
    RolledBack,
    /// A version finished its probation.
    ProbationPassed,
    /// The store was rolled back to match what the agent serves.
    StoreRolledBack,
    /// The store was found inconsistent at start and repaired.
    StoreRepaired,
    /// An adapter was removed from the store and its slot closed.
    Removed,
    /// A registry's documents were refused (attack or fault); nothing installed from it.
    /// Opens an incident.
    RegistryRefused,
    /// A registry could not be reached; the last verified index was used. Opens an
    /// incident.
    RegistryOffline,
    /// A registry incident ended: reachable again, or serving an acceptable index.
    RegistryRecovered,
    /// The version serving was yanked by its publisher. Opens an incident.
    YankedServing,
    /// The agent no longer serves a yanked version.
    YankResolved,
    /// The operator's pin holds an adapter back from a newer version. Opens an incident.
    HeldBack,
    /// A pin no longer holds an adapter back.
    NoLongerHeldBack,
    /// A newer version was pulled from a registry into the store.
    UpdateInstalled,
    /// A newer version could not be installed (refused or failed).
    UpdateRefused,
    /// Jobs that failed on a version rolled back from were given back to the queue.
    JobsGivenBack,
    /// Anything else worth telling.
    Info,
    /// Anything else that went wrong.
    Error,
}

/// One event.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// When (RFC 3339).
    pub at: String,
    /// What kind.
    pub kind: EventKind,
    /// The adapter concerned, if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter: Option<String>,
    /// What happened, in words.
    pub message: String,
}

/// A version serving in a slot.
#[derive(Debug, Clone, Serialize)]
pub struct Serving {
    /// The version.
    pub version: String,
    /// SHA-256 of its package.
    pub hash: String,
}

/// A version waiting for its self-check to be tried again.
#[derive(Debug, Clone, Serialize)]
pub struct WaitingStatus {
    /// The version.
    pub version: String,
    /// Why its last self-check did not pass.
    pub reason: String,
    /// When it is tried next (RFC 3339).
    pub next_try: String,
}

/// A pin holding an adapter back from a newer version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldBack {
    /// The pinned range.
    pub pin: String,
    /// The newest version the pin keeps out.
    pub newer: String,
}

/// One adapter as the agent sees it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AdapterStatus {
    /// What serves its calls (`None`: nothing does).
    pub serving: Option<Serving>,
    /// The current version in the store (what `ehr-host list` shows).
    pub store_version: Option<String>,
    /// The probation in progress.
    pub probation: Option<ProbationStatus>,
    /// A newer version waiting for its self-check.
    pub waiting: Option<WaitingStatus>,
    /// A pin holding it back.
    pub held_back: Option<HeldBack>,
    /// Why it is not served as the store says, if it is not.
    pub problem: Option<String>,
}

/// An incident still open (a registry fault, a yank of the serving version, a pin
/// holding an adapter back): opened once, closed once.
#[derive(Debug, Clone, Serialize)]
pub struct OpenIncident {
    /// What kind of event opened it.
    pub kind: EventKind,
    /// Since when (RFC 3339).
    pub since: String,
    /// What it is, in words.
    pub message: String,
}

/// Everything the status file holds besides the events.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StatusView {
    /// What each slot serves (kept for readers of earlier status files).
    pub serving: BTreeMap<String, Serving>,
    /// Each adapter in detail.
    pub adapters: BTreeMap<String, AdapterStatus>,
    /// Open incidents.
    pub incidents: Vec<OpenIncident>,
}

#[derive(Serialize)]
struct Status<'a> {
    pid: u32,
    #[serde(flatten)]
    view: &'a StatusView,
    events: &'a VecDeque<Event>,
}

/// The event log.
pub struct EventLog {
    events: Mutex<VecDeque<Event>>,
    status_path: PathBuf,
    print: bool,
}

const KEEP: usize = 200;

impl EventLog {
    /// A log that writes the status file at `status_path` and prints events to stdout
    /// when `print` is set.
    pub fn new(status_path: PathBuf, print: bool) -> EventLog {
        EventLog {
            events: Mutex::new(VecDeque::new()),
            status_path,
            print,
        }
    }

    /// Records an event. The message is made safe first: it may quote an adapter, an
    /// EHR or a registry, and one event is one line.
    pub fn push(&self, kind: EventKind, adapter: Option<&str>, message: &str) {
        let event = Event {
            at: crate::clock::now_rfc3339(),
            kind,
            adapter: adapter.map(str::to_string),
            message: crate::untrusted::clean(message, crate::untrusted::MESSAGE),
        };
        tracing::info!(kind = ?event.kind, adapter = ?event.adapter, "{}", event.message);
        if self.print {
            println!("{} {}", event.at, event.message);
        }
        let mut events = self.events.lock().expect("event log lock");
        events.push_back(event);
        while events.len() > KEEP {
            events.pop_front();
        }
    }

    /// Every kept event, oldest first.
    pub fn all(&self) -> Vec<Event> {
        self.events
            .lock()
            .expect("event log lock")
            .iter()
            .cloned()
            .collect()
    }

    /// Writes the status file.
    pub fn write_status(&self, view: &StatusView) {
        let events = self.events.lock().expect("event log lock");
        let status = Status {
            pid: std::process::id(),
            view,
            events: &events,
        };
        if let Ok(bytes) = serde_json::to_vec_pretty(&status) {
            if let Err(e) = crate::fsutil::write_atomic(&self.status_path, &bytes) {
                tracing::warn!("cannot write the agent status: {e:#}");
            }
        }
    }
}
