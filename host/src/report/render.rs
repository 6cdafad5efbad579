//! The report and failures as people read them in a terminal. Everything shown here was
//! cleaned when the report was built, so it is printed as is.

use super::{FieldOutcome, Landed, Outcome, WriteReport};
use crate::remediation::{FailureClass, NextStep, Remediation};
use std::fmt::Write as _;

pub(super) fn report(r: &WriteReport) -> String {
    let mut s = String::new();
    let head = match r.outcome {
        Outcome::Succeeded => "SUCCEEDED",
        Outcome::SucceededWithWarnings => "SUCCEEDED WITH WARNINGS",
        Outcome::Failed => "FAILED",
        Outcome::Cancelled => "CANCELLED",
    };
    let record = r.record_id.as_deref().unwrap_or("-");
    let _ = writeln!(
        s,
        "{head}  job {} → {} (encounter {}, record {record})",
        r.job_id, r.adapter, r.encounter_id
    );
    if let Some(e) = &r.error {
        s.push_str(&remediation(e));
    }
    let _ = writeln!(s, "{}", landed(r));
    if r.replayed {
        let _ = writeln!(
            s,
            "This job had already been written; nothing was written twice."
        );
    }
    for n in &r.notices {
        let _ = writeln!(s, "Note: {}", n.message);
    }
    fields(r, &mut s);
    if r.skipped > 0 {
        let _ = writeln!(
            s,
            "Skipped fields are not in the chart: enter them manually if they matter."
        );
    }
    s
}

/// One sentence on what is in the chart.
fn landed(r: &WriteReport) -> String {
    let counts = format!(
        "{} written, {} skipped, {} warnings",
        r.written, r.skipped, r.warnings
    );
    match r.landed {
        Landed::Complete => counts,
        Landed::Nothing => "Nothing from this job is in the chart.".to_string(),
        Landed::Partly => format!(
            "Part of this job is in the chart: {} fields written, {} not written (listed below). A retry writes the rest without writing anything twice.",
            r.written, r.not_written
        ),
        Landed::Unknown => "The adapter could not say which fields reached the chart before the failure; check the encounter in the EHR. A retry completes the write without writing anything twice.".to_string(),
    }
}

fn fields(r: &WriteReport, s: &mut String) {
    let width = r.fields.iter().map(|f| f.field.len()).max().unwrap_or(0);
    for f in &r.fields {
        let _ = match &f.outcome {
            FieldOutcome::Written { target } => writeln!(
                s,
                "  written      {:width$}  → {}",
                f.field,
                target.as_deref().unwrap_or("-")
            ),
            FieldOutcome::Skipped { reason, detail } => {
                let reason = serde_json::to_value(reason)
                    .ok()
                    .and_then(|v| v.as_str().map(|r| r.replace('_', " ")))
                    .unwrap_or_default();
                writeln!(s, "  skipped      {:width$}  {reason}: {detail}", f.field)
            }
            FieldOutcome::NotWritten => {
                writeln!(s, "  not written  {:width$}  not in the chart", f.field)
            }
        };
        for w in &f.warnings {
            let kind = serde_json::to_value(w.kind)
                .ok()
                .and_then(|v| v.as_str().map(|k| k.replace('_', " ")))
                .unwrap_or_default();
            let _ = writeln!(s, "               {:width$}  ! {kind}: {}", "", w.message);
        }
    }
}

pub(super) fn remediation(e: &Remediation) -> String {
    format!(
        "{}\n  {}\n  details: {}\n  {}\n",
        e.title,
        e.advice,
        e.detail,
        next_step(e)
    )
}

/// What happens next, as decided when the failure was recorded: never a promise the
/// agent will not keep.
fn next_step(e: &Remediation) -> String {
    match e.next {
        NextStep::RetryAutomatically {
            at_ms,
            attempt,
            max_attempts,
        } => format!(
            "(attempt {attempt} of {max_attempts} failed; the agent tries again by itself at {})",
            time(at_ms)
        ),
        NextStep::GaveUp { attempts } => format!(
            "(the agent gave up after {attempts} attempts: once the cause is fixed, retry the job with `ehr-host jobs retry` or Retry in Doctora)"
        ),
        NextStep::WaitForPerson => {
            "(waiting for a person: after the fix, retry the job with `ehr-host jobs retry` or Retry in Doctora)".to_string()
        }
        NextStep::WillNotSucceed => "(retrying the same data will not help)".to_string(),
        NextStep::Stopped => "(nothing more will be attempted)".to_string(),
        NextStep::None => match e.class {
            FailureClass::Retryable => "(this can succeed if tried again once the cause is gone)",
            FailureClass::NeedsPerson => "(needs a person, then another try)",
            FailureClass::Terminal => "(will not succeed as is)",
        }
        .to_string(),
    }
}

/// A time of day in UTC, `2026-12-01 14:05:09 UTC`.
pub(crate) fn time(ms: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    let text = humantime::format_rfc3339_seconds(t).to_string();
    format!("{} UTC", text.trim_end_matches('Z').replace('T', " "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remediation::{self, NextStep};

    // The next step is what was decided: a job that gave up does not promise a retry.
    #[test]
    fn next_step_matches_the_decision() {
        let base = remediation::snapshot_unreadable("x".into());
        let gave_up = remediation(&base.clone().with_next(NextStep::GaveUp { attempts: 10 }));
        assert!(gave_up.contains("gave up after 10 attempts"), "{gave_up}");
        assert!(!gave_up.contains("tries again by itself"));
        let later = remediation(&base.with_next(NextStep::RetryAutomatically {
            at_ms: 1_764_547_509_000,
            attempt: 2,
            max_attempts: 10,
        }));
        assert!(later.contains("attempt 2 of 10 failed; the agent tries again by itself at 2025-12-01 00:05:09 UTC"), "{later}");
    }
}
