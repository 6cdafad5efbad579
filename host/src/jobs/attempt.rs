//! One write attempt, from the adapter's answer to the report: the single path both the
//! job worker and `ehr-host write` take, so what a user sees cannot depend on how the
//! write was started.

use crate::report::{self, AdapterAnswer, AdapterRef, WriteReport};
use crate::runtime::bindings::latest::{EncounterSnapshot, WriteResult};
use crate::runtime::{CallError, JobControl, LoadedAdapter};

/// The version that served a call, as reports name it.
pub fn adapter_ref(adapter: &LoadedAdapter) -> AdapterRef {
    AdapterRef {
        id: adapter.manifest.id.clone(),
        version: adapter.manifest.version.clone(),
        hash: adapter.hash.clone(),
    }
}

/// The report of a write of `snapshot` by `adapter` that ended with `result`; `control`
/// says whether a cancel was requested and what the adapter reported as landed.
pub fn report(
    adapter: &LoadedAdapter,
    snapshot: &EncounterSnapshot,
    control: &JobControl,
    result: Result<WriteResult, CallError>,
) -> WriteReport {
    // The adapter's answer was redacted when its call returned; what it reported landed
    // along the way comes through here, so the same redaction applies to every string.
    let redact = |text: &str| adapter.redact(text);
    report::build(
        AdapterAnswer {
            snapshot,
            adapter: adapter_ref(adapter),
            situation: adapter.situation,
            redact: &redact,
            landed: control.landed_so_far(),
            cancel_requested: control.cancel_requested(),
        },
        result,
    )
}

/// Writes `snapshot` through `adapter` once, outside any queue (`ehr-host write`), and
/// records the attempt in `audit` as `host`.
pub async fn write_once(
    adapter: &LoadedAdapter,
    snapshot: EncounterSnapshot,
    audit: &crate::audit::AuditLog,
    host: &str,
) -> WriteReport {
    use crate::jobs::Clock;
    let control = std::sync::Arc::new(JobControl::new());
    let started = crate::jobs::SystemClock.now_ms();
    let result = adapter.write_job(snapshot.clone(), control.clone()).await;
    let report = report(adapter, &snapshot, &control, result);
    let entry = crate::audit::Entry::of_report(
        &report,
        control.transaction_id(),
        host,
        &snapshot.patient.id,
        control.ehr_request_ids(),
        started,
        crate::jobs::SystemClock.now_ms(),
    );
    if let Err(e) = audit.append(entry) {
        tracing::error!("cannot append to the audit trail: {e:#}");
    }
    report
}
