//! What the agent did, as events: printed as it happens, kept (the last 200) in memory,
//! and written with what each slot serves to `<home>/agent-status.json`.

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
    /// A new version failed its self-check; the old one keeps serving.
    SelfCheckFailed,
    /// A version on probation failed too often and was swapped out again.
    RolledBack,
    /// A version finished its probation.
    ProbationPassed,
    /// The store was rolled back to match what the agent serves.
    StoreRolledBack,
    /// An adapter was removed from the store and its slot closed.
    Removed,
    /// A registry's documents were refused (attack or fault); nothing installed from it.
    RegistryRefused,
    /// A registry could not be reached; the last verified index was used.
    RegistryOffline,
    /// A newer version was pulled from a registry into the store.
    UpdateInstalled,
    /// A newer version could not be installed (refused or failed).
    UpdateRefused,
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

#[derive(Serialize)]
struct Status<'a> {
    pid: u32,
    serving: &'a BTreeMap<String, Serving>,
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

    /// Records an event.
    pub fn push(&self, kind: EventKind, adapter: Option<&str>, message: String) {
        let event = Event {
            at: crate::clock::now_rfc3339(),
            kind,
            adapter: adapter.map(str::to_string),
            message,
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
    pub fn write_status(&self, serving: &BTreeMap<String, Serving>) {
        let events = self.events.lock().expect("event log lock");
        let status = Status {
            pid: std::process::id(),
            serving,
            events: &events,
        };
        if let Ok(bytes) = serde_json::to_vec_pretty(&status) {
            if let Err(e) = crate::fsutil::write_atomic(&self.status_path, &bytes) {
                tracing::warn!("cannot write the agent status: {e:#}");
            }
        }
    }
}
