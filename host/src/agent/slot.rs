//! One adapter's slot in the running agent: the version serving calls, swapped
//! atomically, with a fallback kept while a new version is on probation.
//!
//! A call takes a clone of the current `Arc<LoadedAdapter>` and runs on it to the end, so
//! a swap never interrupts, drops or repeats a call: calls already running finish on the
//! old version, calls starting after the swap run on the new one. A version on probation
//! is watched: if `max_errors` of its first `window` calls fail as adapter bugs (traps,
//! `adapter-bug` errors, limits hit), the slot swaps the fallback back at once.
//!
//! Probation is recorded in the store as it goes (each adapter error, and the rollback),
//! before the failing call returns, so an agent killed at any moment resumes the same
//! probation when it starts again instead of serving the version unguarded.

use crate::runtime::bindings::latest::{AdapterError, CheckReport, EncounterSnapshot, WriteResult};
use crate::runtime::{CallError, JobControl, LoadedAdapter};
use crate::store::{AdapterStore, RolledBackTo};
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

/// How a version starts its probation.
#[derive(Clone)]
pub struct OnProbation {
    /// The version to swap back when it fails (`None`: nothing can serve instead, so a
    /// failed probation takes the adapter out of service).
    pub fallback: Option<Arc<LoadedAdapter>>,
    /// Adapter-bug failures already counted (by an agent that was stopped meanwhile).
    pub errors: u32,
}

/// A probation in progress, as the status file shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProbationStatus {
    /// The version on probation.
    pub version: String,
    /// Calls watched so far.
    pub calls: u32,
    /// Adapter-bug failures among them.
    pub errors: u32,
    /// The version it falls back to, if any.
    pub fallback: Option<String>,
}

/// What a slot reports to the agent.
#[derive(Clone)]
pub enum SlotEvent {
    /// A version on probation failed too often and was taken out of service.
    RolledBack {
        /// Adapter id.
        id: String,
        /// The version taken out of service.
        from: Arc<LoadedAdapter>,
        /// The version serving again (`None`: nothing serves now).
        to: Option<Arc<LoadedAdapter>>,
        /// Why.
        reason: String,
        /// What the store did (`Ok(None)`: it had moved on; `Err`: it could not be written).
        store: Result<Option<RolledBackTo>, String>,
    },
    /// A version finished its probation.
    Passed {
        /// Adapter id.
        id: String,
        /// The version.
        adapter: Arc<LoadedAdapter>,
        /// Calls watched.
        calls: u32,
        /// Adapter-bug failures among them.
        errors: u32,
    },
}

struct Probation {
    adapter: Arc<LoadedAdapter>,
    fallback: Option<Arc<LoadedAdapter>>,
    calls: u32,
    errors: u32,
}

/// What one finished call means for the probation.
enum Verdict {
    Nothing,
    Error(u32),
    Failed {
        bad: Arc<LoadedAdapter>,
        to: Option<Arc<LoadedAdapter>>,
        calls: u32,
        errors: u32,
    },
    Passed {
        adapter: Arc<LoadedAdapter>,
        calls: u32,
        errors: u32,
    },
}

/// One adapter's serving slot.
pub struct AdapterSlot {
    id: String,
    current: RwLock<Arc<LoadedAdapter>>,
    probation: Mutex<Option<Probation>>,
    /// Held while a probation verdict is taken and written to the store, and while the
    /// agent checks the store and swaps: so the agent never swaps back in a version the
    /// slot is rolling back from before the store says so.
    transition: Mutex<()>,
    policy: ProbationPolicy,
    events: UnboundedSender<SlotEvent>,
    store: AdapterStore,
}

/// True for failures that are the adapter's own fault (what probation counts and what
/// blocks a version at its self-check), as opposed to the EHR being down or slow, a
/// session expiring or a setting missing. Failures the host detects itself (traps,
/// limits) are the adapter's fault; only a call stopped while it waited on the EHR is not.
pub fn is_adapter_fault(e: &CallError) -> bool {
    match e {
        CallError::Adapter(a) => matches!(a, AdapterError::AdapterBug(_)),
        CallError::TimedOut { .. } => false,
        _ => true,
    }
}

impl AdapterSlot {
    /// A slot serving `adapter` (on probation when `probation` is given), recording its
    /// probation in `store`.
    pub fn new(
        adapter: Arc<LoadedAdapter>,
        probation: Option<OnProbation>,
        policy: ProbationPolicy,
        events: UnboundedSender<SlotEvent>,
        store: AdapterStore,
    ) -> AdapterSlot {
        let slot = AdapterSlot {
            id: adapter.manifest.id.clone(),
            current: RwLock::new(adapter.clone()),
            probation: Mutex::new(None),
            transition: Mutex::new(()),
            policy,
            events,
            store,
        };
        slot.start_probation(adapter, probation);
        slot
    }

    /// The version serving new calls.
    pub fn current(&self) -> Arc<LoadedAdapter> {
        self.current.read().expect("slot lock").clone()
    }

    /// The probation in progress, if any.
    pub fn probation(&self) -> Option<ProbationStatus> {
        let p = self.probation.lock().expect("probation lock");
        p.as_ref().map(|p| ProbationStatus {
            version: p.adapter.manifest.version.to_string(),
            calls: p.calls,
            errors: p.errors,
            fallback: p.fallback.as_ref().map(|f| f.manifest.version.to_string()),
        })
    }

    /// Makes `next` the serving version (on probation when `probation` is given) if
    /// `still_wanted()` says the store still wants it once no probation verdict is in
    /// progress; returns the version it replaced, or `None` when nothing was swapped.
    pub fn swap_if(
        &self,
        next: Arc<LoadedAdapter>,
        probation: Option<OnProbation>,
        still_wanted: impl FnOnce() -> bool,
    ) -> Option<Arc<LoadedAdapter>> {
        let _transition = self.transition.lock().expect("transition lock");
        if !still_wanted() {
            return None;
        }
        let old = std::mem::replace(&mut *self.current.write().expect("slot lock"), next.clone());
        self.start_probation(next, probation);
        Some(old)
    }

    fn start_probation(&self, adapter: Arc<LoadedAdapter>, probation: Option<OnProbation>) {
        *self.probation.lock().expect("probation lock") = probation.map(|p| Probation {
            adapter,
            fallback: p.fallback,
            calls: p.errors,
            errors: p.errors,
        });
    }

    /// Counts one finished call of `used` towards its probation: the verdict is taken
    /// under the lock, the store written after it.
    fn record(&self, used: &Arc<LoadedAdapter>, fault: Option<&CallError>) {
        let _transition = self.transition.lock().expect("transition lock");
        let verdict = self.judge(used, fault.is_some());
        match verdict {
            Verdict::Nothing => {}
            Verdict::Error(errors) => {
                if let Err(e) = self.store.probation_errors(&self.id, &used.hash, errors) {
                    tracing::warn!("cannot record a probation error of {}: {e:#}", self.id);
                }
            }
            Verdict::Failed {
                bad,
                to,
                calls,
                errors,
            } => {
                let last = fault.map(|e| e.to_string()).unwrap_or_default();
                let reason = format!(
                    "{errors} of its first {calls} calls failed as adapter bugs (last: {})",
                    crate::untrusted::clean(&last, crate::untrusted::MESSAGE)
                );
                let store = self
                    .store
                    .roll_back_from(&self.id, &bad.hash, &bad.manifest.version, &reason)
                    .map_err(|e| format!("{e:#}"));
                let _ = self.events.send(SlotEvent::RolledBack {
                    id: self.id.clone(),
                    from: bad,
                    to,
                    reason,
                    store,
                });
            }
            Verdict::Passed {
                adapter,
                calls,
                errors,
            } => {
                let _ = self.events.send(SlotEvent::Passed {
                    id: self.id.clone(),
                    adapter,
                    calls,
                    errors,
                });
            }
        }
    }

    fn judge(&self, used: &Arc<LoadedAdapter>, fault: bool) -> Verdict {
        let mut guard = self.probation.lock().expect("probation lock");
        let Some(p) = guard.as_mut().filter(|p| Arc::ptr_eq(&p.adapter, used)) else {
            return Verdict::Nothing;
        };
        p.calls += 1;
        p.errors += u32::from(fault);
        let (calls, errors) = (p.calls, p.errors);
        if errors >= self.policy.max_errors {
            let p = guard.take().expect("probation present");
            if let Some(fallback) = &p.fallback {
                *self.current.write().expect("slot lock") = fallback.clone();
            }
            return Verdict::Failed {
                bad: p.adapter,
                to: p.fallback,
                calls,
                errors,
            };
        }
        if calls >= self.policy.window {
            let p = guard.take().expect("probation present");
            return Verdict::Passed {
                adapter: p.adapter,
                calls,
                errors,
            };
        }
        if fault {
            Verdict::Error(errors)
        } else {
            Verdict::Nothing
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

    /// `write-encounter` for a queued job on the serving version as `configure` sets it
    /// up (the hub's per-practice EHR account); counts towards the version's probation
    /// like any write. Returns the configured version that served it.
    pub async fn write_job_configured(
        &self,
        snapshot: EncounterSnapshot,
        control: Arc<JobControl>,
        configure: impl FnOnce(&Arc<LoadedAdapter>) -> Result<Arc<LoadedAdapter>, CallError>,
    ) -> (Arc<LoadedAdapter>, Result<WriteResult, CallError>) {
        let serving = self.current();
        let adapter = match configure(&serving) {
            Ok(a) => a,
            Err(e) => return (serving, Err(e)),
        };
        let result = adapter.write_job(snapshot, control).await;
        self.record(
            &serving,
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
