//! One adapter's slot in the running agent: the version serving calls, swapped
//! atomically, with the version before it kept for an automatic rollback.
//!
//! A call takes a clone of the current `Arc<LoadedAdapter>` and runs on it to the end, so
//! a swap never interrupts, drops or repeats a call: calls already running finish on the
//! old version, calls starting after the swap run on the new one. After a swap the new
//! version is on probation: if `max_errors` of its first `window` calls fail as adapter
//! bugs (traps, `adapter-bug` errors, limits hit), the slot swaps the previous version
//! back at once and reports it.

use crate::runtime::bindings::latest::{AdapterError, CheckReport, EncounterSnapshot, WriteResult};
use crate::runtime::{CallError, JobControl, LoadedAdapter};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::mpsc::UnboundedSender;

/// When a freshly swapped-in version is rolled back automatically.
#[derive(Debug, Clone, Copy)]
pub struct ProbationPolicy {
    /// How many calls after a swap are watched.
    pub window: u32,
    /// Adapter-bug failures among them that trigger a rollback.
    pub max_errors: u32,
}

impl Default for ProbationPolicy {
    fn default() -> Self {
        ProbationPolicy {
            window: 20,
            max_errors: 3,
        }
    }
}

/// What a slot reports to the agent.
#[derive(Clone)]
pub enum SlotEvent {
    /// A version on probation failed too often and the previous one was swapped back.
    RolledBack {
        /// Adapter id.
        id: String,
        /// The version taken out of service.
        from: Arc<LoadedAdapter>,
        /// The version serving again.
        to: Arc<LoadedAdapter>,
        /// Why.
        reason: String,
    },
    /// A version finished its probation.
    Passed {
        /// Adapter id.
        id: String,
        /// The version.
        version: String,
        /// Calls watched.
        calls: u32,
        /// Adapter-bug failures among them.
        errors: u32,
    },
}

struct Probation {
    adapter: Arc<LoadedAdapter>,
    calls: u32,
    errors: u32,
}

#[derive(Default)]
struct SlotState {
    previous: Option<Arc<LoadedAdapter>>,
    probation: Option<Probation>,
    /// Package hashes this slot refuses to serve again, with why.
    rejected: HashMap<String, String>,
}

/// One adapter's serving slot.
pub struct AdapterSlot {
    id: String,
    current: RwLock<Arc<LoadedAdapter>>,
    state: Mutex<SlotState>,
    policy: ProbationPolicy,
    events: UnboundedSender<SlotEvent>,
}

/// True for failures that are the adapter's own fault (what probation counts), as
/// opposed to the EHR being down or a session expiring.
pub fn is_adapter_fault(e: &CallError) -> bool {
    matches!(
        e,
        CallError::Trapped { .. }
            | CallError::Hung { .. }
            | CallError::MemoryExceeded { .. }
            | CallError::OutputTooLarge { .. }
            | CallError::Host(_)
            | CallError::Adapter(AdapterError::AdapterBug(_))
    )
}

impl AdapterSlot {
    /// A slot serving `adapter`.
    pub fn new(
        adapter: Arc<LoadedAdapter>,
        policy: ProbationPolicy,
        events: UnboundedSender<SlotEvent>,
    ) -> AdapterSlot {
        AdapterSlot {
            id: adapter.manifest.id.clone(),
            current: RwLock::new(adapter),
            state: Mutex::new(SlotState::default()),
            policy,
            events,
        }
    }

    /// The adapter id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The version serving new calls.
    pub fn current(&self) -> Arc<LoadedAdapter> {
        self.current.read().expect("slot lock").clone()
    }

    /// Makes `next` the serving version; the old one is returned and kept for rollback.
    /// With `probation`, the first calls of `next` are watched (see [`ProbationPolicy`]).
    pub fn swap(&self, next: Arc<LoadedAdapter>, probation: bool) -> Arc<LoadedAdapter> {
        let mut st = self.state.lock().expect("slot state lock");
        let old = std::mem::replace(&mut *self.current.write().expect("slot lock"), next.clone());
        st.previous = Some(old.clone());
        st.probation = probation.then(|| Probation {
            adapter: next,
            calls: 0,
            errors: 0,
        });
        old
    }

    /// Why this slot will not serve the package with `hash` again, if it will not.
    pub fn rejected(&self, hash: &str) -> Option<String> {
        self.state
            .lock()
            .expect("slot state lock")
            .rejected
            .get(hash)
            .cloned()
    }

    /// Refuses to serve the package with `hash` again (a failed self-check or probation).
    pub fn reject(&self, hash: &str, why: &str) {
        self.state
            .lock()
            .expect("slot state lock")
            .rejected
            .insert(hash.to_string(), why.to_string());
    }

    /// Counts one finished call of `used` towards its probation.
    fn record(&self, used: &Arc<LoadedAdapter>, fault: Option<&CallError>) {
        let mut st = self.state.lock().expect("slot state lock");
        let Some(p) = st.probation.as_mut() else {
            return;
        };
        if !Arc::ptr_eq(&p.adapter, used) {
            return;
        }
        p.calls += 1;
        if fault.is_some() {
            p.errors += 1;
        }
        let (calls, errors) = (p.calls, p.errors);
        if errors >= self.policy.max_errors {
            let bad = p.adapter.clone();
            st.probation = None;
            let Some(previous) = st.previous.take() else {
                return;
            };
            let reason = format!(
                "{errors} of its first {calls} calls failed as adapter bugs (last: {})",
                fault.map(|e| e.to_string()).unwrap_or_default()
            );
            *self.current.write().expect("slot lock") = previous.clone();
            st.rejected.insert(
                bad.hash.clone(),
                format!("rolled back automatically: {reason}"),
            );
            st.previous = Some(bad.clone());
            let _ = self.events.send(SlotEvent::RolledBack {
                id: self.id.clone(),
                from: bad,
                to: previous,
                reason,
            });
        } else if calls >= self.policy.window {
            st.probation = None;
            let _ = self.events.send(SlotEvent::Passed {
                id: self.id.clone(),
                version: used.manifest.version.to_string(),
                calls,
                errors,
            });
        }
    }

    /// `write-encounter` on the serving version; returns the version that served it.
    pub async fn write_encounter(
        &self,
        snapshot: EncounterSnapshot,
    ) -> (Arc<LoadedAdapter>, Result<WriteResult, CallError>) {
        self.write_job(snapshot, Arc::new(JobControl::new())).await
    }

    /// `write-encounter` for a queued job, with its cancel and progress `control`, on the
    /// serving version; returns the version that served it.
    pub async fn write_job(
        &self,
        snapshot: EncounterSnapshot,
        control: Arc<JobControl>,
    ) -> (Arc<LoadedAdapter>, Result<WriteResult, CallError>) {
        let adapter = self.current();
        let result = adapter.write_job(snapshot, control).await;
        self.record(
            &adapter,
            result.as_ref().err().filter(|e| is_adapter_fault(e)),
        );
        (adapter, result)
    }

    /// `check` on the serving version; returns the version that answered.
    pub async fn check(&self) -> (Arc<LoadedAdapter>, Result<CheckReport, CallError>) {
        let adapter = self.current();
        let result = adapter.check().await;
        self.record(
            &adapter,
            result.as_ref().err().filter(|e| is_adapter_fault(e)),
        );
        (adapter, result)
    }
}
