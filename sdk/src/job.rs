//! The write job the current `write-encounter` call works on (contract 0.2.0): report each
//! part as it lands, so a write that stops part-way says exactly what is in the chart, and
//! stop when a person cancels. [`crate::write::write_parts`] does both for you.

use crate::FieldResult;

/// Reports that `landed` fields are now in the chart, with the step in plain words
/// (`wrote refraction`). False when a person cancelled the job: write nothing more and
/// return [`crate::AdapterError::Cancelled`].
pub fn progress(step: &str, landed: &[FieldResult]) -> bool {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::ehr::adapter::job::progress(step, landed);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::stub_progress(step, landed)
}

/// True when a person cancelled the job: write nothing more.
pub fn cancelled() -> bool {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::ehr::adapter::job::cancelled();
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::stub_cancelled()
}

/// This attempt's transaction id (the audit trail's key; the host sends it with every
/// HTTP request as `x-transaction-id`). Store it in a job ledger row when writing over SQL.
pub fn transaction_id() -> String {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::ehr::adapter::job::transaction_id();
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::stub_transaction_id()
}

/// The error an adapter returns when it stopped for a cancel.
pub fn stopped(job_id: &str) -> crate::AdapterError {
    crate::AdapterError::Cancelled(format!(
        "job {job_id} was cancelled; stopped before the next write"
    ))
}
