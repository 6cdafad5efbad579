//! Remediations for failures the host itself finds, around the adapter call.

use super::{FailureClass::*, Remediation, RemediationKind as K};

/// The stored snapshot of a job could not be opened or read.
pub fn snapshot_unreadable(detail: String) -> Remediation {
    Remediation::new(
        K::SnapshotUnreadable,
        Terminal,
        "The stored job could not be read",
        "Nothing was written. Send the encounter from Doctora again.",
        detail,
    )
}

/// No adapter for the job's EHR is installed (or serving) on this host.
pub fn adapter_missing(ehr: &str) -> Remediation {
    let ehr = crate::untrusted::clean(ehr, crate::untrusted::LABEL);
    Remediation::new(
        K::AdapterMissing,
        NeedsPerson,
        "No adapter installed for this EHR",
        format!("Nothing was written. Install the `{ehr}` adapter on this agent (ehr-host install), then retry the job."),
        format!("no adapter `{ehr}` is being served"),
    )
}

/// A person cancelled the job; `written` fields had already reached the chart.
pub fn cancelled(written: usize) -> Remediation {
    let advice = match written {
        0 => "The job was cancelled before anything was written.".to_string(),
        1 => "The job was cancelled after 1 field had already been written: it is in the chart (see the report). Nothing else will be written.".to_string(),
        n => format!("The job was cancelled after {n} fields had already been written: they are in the chart (see the report). Nothing else will be written."),
    };
    Remediation::new(
        K::Cancelled,
        Terminal,
        "Cancelled",
        advice,
        "cancelled by a person",
    )
}

/// The adapter's report does not account for the snapshot: fields missing, repeated,
/// or not in the snapshot. `problems` names them (ids only).
pub fn report_invalid(problems: &str) -> Remediation {
    Remediation::new(
        K::AdapterBug,
        Terminal,
        "The adapter's report does not match the data sent",
        "The adapter answered without accounting for every field it was sent, so the host cannot tell what is in the chart and does not report success. Check the encounter in the EHR, and contact support with the error message and the agent version: this is a fault in the EHR adapter, not in your data.",
        format!("adapter bug: {problems}"),
    )
}
