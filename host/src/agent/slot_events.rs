//! What the loop does with a slot's news: a passed probation is recorded in the store; a
//! failed one (already swapped back and recorded by the slot) is told to the log, with
//! advice that does not trap the operator on the broken version, and to the job loop.

use super::core::Inner;
use super::events::EventKind;
use super::slot::SlotEvent;
use super::RolledBack;
use crate::registry::pins::Pins;

impl Inner {
    /// Handles one piece of news from a slot.
    pub(super) fn slot_event(&self, ev: SlotEvent) {
        match ev {
            SlotEvent::Passed {
                id,
                adapter,
                calls,
                errors,
            } => {
                if let Err(e) = self.host.store.probation_passed(&id, &adapter.hash) {
                    let msg = format!("cannot record the passed probation of {id}: {e:#}");
                    self.event(EventKind::Error, Some(&id), &msg);
                }
                let v = &adapter.manifest.version;
                let msg = format!("{id} {v} passed its probation ({errors} adapter errors in its first {calls} calls)");
                self.event(EventKind::ProbationPassed, Some(&id), &msg);
            }
            SlotEvent::RolledBack {
                id,
                from,
                to,
                reason,
                store,
            } => {
                let fv = &from.manifest.version;
                let Some(to) = to else {
                    self.set_slot(&id, None);
                    let msg = format!("stopped serving {id} {fv}: {reason}; no earlier version can serve instead: install a working version");
                    return self.problem(&id, EventKind::RolledBack, Some(&id), msg);
                };
                let tv = &to.manifest.version;
                let advice = self.advice(&id, fv);
                let msg =
                    format!("rolled {id} back from {fv} to {tv} automatically: {reason}; {advice}");
                self.event(EventKind::RolledBack, Some(&id), &msg);
                // The slot serves the fallback already; the store must follow, or the
                // next pass would swap the broken version back in: one more try.
                let store = store.or_else(|first| {
                    self.host
                        .store
                        .roll_back_from(&id, &from.hash, fv, &reason)
                        .map_err(|e| format!("{first}; then {e:#}"))
                });
                match store {
                    Ok(Some(moved)) => {
                        let msg = format!("store: {id} is back on {} (`ehr-host list` shows it; {} kept as previous)", moved.to, moved.from);
                        self.event(EventKind::StoreRolledBack, Some(&id), &msg);
                        self.announce_rollback(RolledBack {
                            id: id.clone(),
                            from_version: fv.clone(),
                            from_hash: from.hash.clone(),
                            to_version: tv.clone(),
                            at_ms: self.rolled_back_at(&id, &from.hash),
                        });
                    }
                    Ok(None) => {}
                    Err(e) => {
                        let msg = format!("store rollback of {id} failed: {e}; `ehr-host rollback {id}` puts the store on {tv} by hand");
                        self.event(EventKind::Error, Some(&id), &msg);
                    }
                }
            }
        }
    }

    /// When the store recorded the rollback from the package `hash` (now, if it cannot
    /// be read), so the broadcast and [`super::Agent::recorded_rollbacks`] agree.
    fn rolled_back_at(&self, id: &str, hash: &str) -> u64 {
        self.host
            .store
            .entry(id)
            .ok()
            .flatten()
            .and_then(|e| e.state.rolled_back(hash).map(|r| r.at_ms))
            .unwrap_or_else(crate::store::state::now_ms)
    }

    /// What is safe to do after `id` was rolled back from `bad`: wait for a newer version
    /// (saying when the pin would keep it out), or give `bad` another probation. Never an
    /// exact pin to the broken version.
    fn advice(&self, id: &str, bad: &semver::Version) -> String {
        let pin = Pins::load(self.host.home.pins())
            .map(|p| p.get(id))
            .unwrap_or(semver::VersionReq::STAR);
        let exact = pin.comparators.len() == 1 && pin.comparators[0].op == semver::Op::Exact;
        let newer = if exact {
            format!("your pin `{pin}` allows no newer version: when a fix is released, allow it with `ehr-host install {id}@>{bad}`")
        } else {
            format!("a newer version within your pin `{pin}` is installed automatically when its publisher releases one")
        };
        format!("{bad} is not installed again automatically; {newer}; to give {bad} another probation: `ehr-host rollback {id} --retry-rolled-back`")
    }
}
