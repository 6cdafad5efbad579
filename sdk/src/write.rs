//! The order every write follows, so that a job that landed is never reported as failed.
//!
//! A refusal that depends on the EHR's *current* state — the encounter is signed or
//! locked, its template changed, it now belongs to another patient — is only true for a
//! job that has not landed yet. A write whose answer was lost, retried after the provider
//! signed the encounter, must end "succeeded (replayed)", not "encounter locked, nothing
//! was written" while the exam is in the chart. [`guarded`] runs the steps in the one
//! order that guarantees it:
//!
//! 1. `guard`: the identity guard, the lock check, the template check (may narrow the
//!    plan, e.g. fields outside the encounter's template);
//! 2. if it refuses for a state reason ([`is_state_refusal`]), ask `landed`: has this job
//!    id already landed (the ledger, an idempotency replay, or a read-back)? If so, the
//!    job succeeded: the report is the plan's, `replayed: true`; if not, the refusal
//!    stands;
//! 3. otherwise `write`; if the EHR refuses the write itself for a state reason (it was
//!    signed between the read and the write), step 2 again.
//!
//! Other refusals (not found, misconfigured, rejected values...) are returned as they are.
//! Section-by-section writing with per-request keys is [`parts`].

pub mod parts;
pub mod readback;

use crate::mapping::Plan;
use crate::{log, AdapterError, WriteResult};

/// Proof that a job already landed, from the adapter's `landed` check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landed {
    /// The record the job wrote (for the report's `record-id`).
    pub record_id: Option<String>,
}

/// True for refusals that depend on the EHR's current state: wrong patient (the encounter
/// may have been moved), encounter locked, template mismatch.
pub fn is_state_refusal(e: &AdapterError) -> bool {
    matches!(
        e,
        AdapterError::WrongPatient(_)
            | AdapterError::EncounterLocked(_)
            | AdapterError::TemplateMismatch(_)
    )
}

/// True for failures a later attempt may not see (the EHR unreachable, slow, busy).
fn is_transient(e: &AdapterError) -> bool {
    matches!(
        e,
        AdapterError::Unreachable(_)
            | AdapterError::Timeout(_)
            | AdapterError::RateLimited(_)
            | AdapterError::EhrInternal(_)
    )
}

/// Runs `guard`, `landed` and `write` in the order described in the module documentation.
pub fn guarded(
    job_id: &str,
    mut plan: Plan,
    guard: impl FnOnce(&mut Plan) -> Result<(), AdapterError>,
    landed: impl FnOnce(&Plan) -> Result<Option<Landed>, AdapterError>,
    write: impl FnOnce(Plan) -> Result<WriteResult, AdapterError>,
) -> Result<WriteResult, AdapterError> {
    let (refusal, plan) = match guard(&mut plan) {
        Ok(()) => {
            let copy = plan.clone();
            match write(plan) {
                Err(e) if is_state_refusal(&e) => (e, copy),
                other => return other,
            }
        }
        Err(e) if is_state_refusal(&e) => (e, plan),
        Err(e) => return Err(e),
    };
    match landed(&plan) {
        Ok(Some(l)) => {
            log::info(&format!(
                "job {job_id} had already landed; the EHR would refuse it now ({}), so its \
                 report is replayed",
                kind(&refusal)
            ));
            Ok(plan.into_write_result(l.record_id, true))
        }
        Ok(None) => Err(refusal),
        // The check could not be made now; a retry may make it, so say that rather than a
        // refusal that may be false.
        Err(e) if is_transient(&e) => Err(e),
        Err(e) => {
            log::warn(&format!(
                "job {job_id}: could not check whether it had already landed: {e:?}"
            ));
            Err(refusal)
        }
    }
}

fn kind(e: &AdapterError) -> &'static str {
    match e {
        AdapterError::WrongPatient(_) => "the encounter's patient differs",
        AdapterError::EncounterLocked(_) => "the encounter is signed or locked",
        AdapterError::TemplateMismatch(_) => "the template changed",
        _ => "refused",
    }
}

#[cfg(test)]
mod tests;
