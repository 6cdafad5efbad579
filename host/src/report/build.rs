//! Building the report of one attempt from what the adapter answered — the only place
//! where the adapter's words become the report users read. Everything the adapter said
//! is cleaned (no escape sequences, one line), bounded, and stripped of secrets the host
//! holds; the field lines are checked against the snapshot before anything is called a
//! success.

use super::check::{self, ReportProblem};
use super::WriteReport;
use super::{
    AdapterRef, FieldLine, FieldOutcome, Landed, Notice, NoticeKind, SkipReason, Warning,
    WarningKind,
};
use crate::remediation::{self, Remediation, Situation};
use crate::runtime::bindings::latest as wit;
use crate::runtime::CallError;
use crate::untrusted;

/// Longest target name kept.
const TARGET: usize = untrusted::LABEL;
/// Longest skip detail or warning message kept.
const DETAIL: usize = 500;
/// Warnings kept per field; more are counted in one last warning.
const WARNINGS_PER_FIELD: usize = 10;

/// Everything known about an attempt besides the adapter's answer.
pub struct AdapterAnswer<'a> {
    /// The snapshot that was sent.
    pub snapshot: &'a wit::EncounterSnapshot,
    /// The adapter version that answered.
    pub adapter: AdapterRef,
    /// What the advice depends on.
    pub situation: Situation,
    /// Removes the secrets the host holds from text the adapter returned.
    pub redact: &'a dyn Fn(&str) -> String,
    /// Fields the adapter reported as landed while it worked, when its contract lets it
    /// say (`None`: it could not say).
    pub landed: Option<Vec<wit::FieldResult>>,
    /// A person asked to cancel the job while it was being written.
    pub cancel_requested: bool,
}

impl AdapterAnswer<'_> {
    fn safe(&self, text: &str, max: usize) -> String {
        untrusted::clean(&(self.redact)(text), max)
    }
}

/// The report of an attempt that ended with `result`.
pub fn build(a: AdapterAnswer<'_>, result: Result<wit::WriteResult, CallError>) -> WriteReport {
    let s = a.snapshot;
    match result {
        Ok(r) => {
            let lines: Vec<FieldLine> = r.fields.iter().map(|f| line(&a, f)).collect();
            if let Err(problem) = check::against_snapshot(s, &lines) {
                return invalid(&a, &problem);
            }
            let mut report =
                WriteReport::from_lines(&s.job_id, a.adapter.clone(), &s.encounter_id, lines, None);
            report.record_id = r.record_id.as_deref().map(|id| a.safe(id, TARGET));
            report.replayed = r.replayed;
            report.notices = r
                .notices
                .iter()
                .take(WARNINGS_PER_FIELD)
                .map(|n| notice(&a, n))
                .collect();
            report
        }
        Err(e) => {
            let detail = a.safe(&e.to_string(), untrusted::MESSAGE);
            let known = landed_lines(&a, &e);
            let written = known
                .as_ref()
                .map_or(0, |l| l.iter().filter(|f| f.is_written()).count());
            let error = if a.cancel_requested {
                remediation::cancelled(written)
            } else {
                remediation::for_call_error(&e, a.situation, detail)
            };
            stopped(&a, known, error)
        }
    }
}

/// The report of an attempt that stopped with `error` before or while writing; `known`
/// lists what is in the chart when the host knows.
fn stopped(
    a: &AdapterAnswer<'_>,
    known: Option<Vec<FieldLine>>,
    error: Remediation,
) -> WriteReport {
    let s = a.snapshot;
    let unknown = known.is_none();
    let mut report = WriteReport::from_lines(
        &s.job_id,
        a.adapter.clone(),
        &s.encounter_id,
        known.unwrap_or_default(),
        Some(error),
    );
    if unknown {
        report.landed = Landed::Unknown;
    }
    report
}

/// A report that does not account for the snapshot is an adapter bug, never a success.
fn invalid(a: &AdapterAnswer<'_>, problem: &ReportProblem) -> WriteReport {
    let mut report = stopped(a, None, remediation::report_invalid(&problem.to_string()));
    report.landed = Landed::Unknown;
    report
}

/// Every snapshot field as written (if the adapter reported it landed) or not written,
/// when the host knows what landed: from the adapter's progress reports, or because the
/// failure comes, by the contract, before anything is written.
fn landed_lines(a: &AdapterAnswer<'_>, e: &CallError) -> Option<Vec<FieldLine>> {
    let before_any_write = matches!(
        e,
        CallError::Host(_)
            | CallError::Adapter(
                wit::AdapterError::WrongPatient(_)
                    | wit::AdapterError::EncounterLocked(_)
                    | wit::AdapterError::TemplateMismatch(_)
                    | wit::AdapterError::NotFound(_)
                    | wit::AdapterError::Misconfigured(_)
            )
    );
    let landed: Vec<FieldLine> = match (&a.landed, before_any_write) {
        (Some(l), _) => l
            .iter()
            .map(|f| line(a, f))
            .filter(|l| l.is_written())
            .collect(),
        (None, true) => Vec::new(),
        (None, false) => return None,
    };
    let lines = a
        .snapshot
        .fields
        .iter()
        .map(|f| {
            landed
                .iter()
                .find(|l| l.field == f.id)
                .cloned()
                .unwrap_or(FieldLine {
                    field: f.id.clone(),
                    outcome: FieldOutcome::NotWritten,
                    warnings: Vec::new(),
                })
        })
        .collect();
    Some(lines)
}

fn line(a: &AdapterAnswer<'_>, f: &wit::FieldResult) -> FieldLine {
    let outcome = match &f.status {
        wit::FieldStatus::Written => FieldOutcome::Written {
            target: f.target.as_deref().map(|t| a.safe(t, TARGET)),
        },
        wit::FieldStatus::Skipped((reason, detail)) => FieldOutcome::Skipped {
            reason: skip_reason(*reason),
            detail: a.safe(detail, DETAIL),
        },
    };
    let mut warnings: Vec<Warning> = f
        .warnings
        .iter()
        .take(WARNINGS_PER_FIELD)
        .map(|w| Warning {
            kind: warning_kind(w.kind),
            message: a.safe(&w.message, DETAIL),
        })
        .collect();
    if f.warnings.len() > WARNINGS_PER_FIELD {
        warnings.push(Warning {
            kind: WarningKind::Other,
            message: format!(
                "{} more warnings on this field were not kept",
                f.warnings.len() - WARNINGS_PER_FIELD
            ),
        });
    }
    FieldLine {
        field: untrusted::clean(&f.field, TARGET),
        outcome,
        warnings,
    }
}

fn notice(a: &AdapterAnswer<'_>, n: &wit::Notice) -> Notice {
    Notice {
        kind: match n.kind {
            wit::NoticeKind::EncounterDateDiffers => NoticeKind::EncounterDateDiffers,
            wit::NoticeKind::TemplateDiffers => NoticeKind::TemplateDiffers,
            wit::NoticeKind::Other => NoticeKind::Other,
        },
        message: a.safe(&n.message, DETAIL),
    }
}

fn skip_reason(r: wit::SkipReason) -> SkipReason {
    match r {
        wit::SkipReason::NoMapping => SkipReason::NoMapping,
        wit::SkipReason::OutsideTemplate => SkipReason::OutsideTemplate,
        wit::SkipReason::InvalidValue => SkipReason::InvalidValue,
        wit::SkipReason::EmptyValue => SkipReason::EmptyValue,
    }
}

fn warning_kind(k: wit::WarningKind) -> WarningKind {
    match k {
        wit::WarningKind::Truncated => WarningKind::Truncated,
        wit::WarningKind::CharactersReplaced => WarningKind::CharactersReplaced,
        wit::WarningKind::UnitConverted => WarningKind::UnitConverted,
        wit::WarningKind::Rounded => WarningKind::Rounded,
        wit::WarningKind::Other => WarningKind::Other,
    }
}
