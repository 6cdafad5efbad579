//! The per-field write report users read: what was written, what was skipped and why,
//! and what was changed on the way in. Partial success is normal and always visible.

use crate::remediation::Remediation;
use crate::runtime::bindings::latest::{FieldStatus, SkipReason, WarningKind, WriteResult};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// The outcome of a write job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every field written, no warnings.
    Succeeded,
    /// Written, with fields skipped or changed: the user should look.
    SucceededWithWarnings,
    /// Nothing (more) was written; see the error.
    Failed,
}

/// One field's line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FieldLine {
    /// Catalog field id.
    pub field: String,
    /// `written` or `skipped`.
    pub status: String,
    /// Where it went.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Why it was skipped (`no_mapping`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The adapter's explanation of the skip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Changes made to the value.
    pub warnings: Vec<Warning>,
}

/// A warning on a field.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Warning {
    /// `truncated`, `characters_replaced`, ...
    pub kind: String,
    /// What changed.
    pub message: String,
}

/// The whole report of one write.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WriteReport {
    /// The job id.
    pub job_id: String,
    /// Adapter id and version.
    pub adapter: String,
    /// The encounter written to.
    pub encounter_id: String,
    /// The outcome.
    pub outcome: Outcome,
    /// The EHR's record id.
    pub record_id: Option<String>,
    /// True when this job had already been written and nothing new was written.
    pub replayed: bool,
    /// Fields written.
    pub written: usize,
    /// Fields skipped.
    pub skipped: usize,
    /// Warnings in total.
    pub warnings: usize,
    /// One line per snapshot field.
    pub fields: Vec<FieldLine>,
    /// Why the job failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Remediation>,
}

fn reason_name(r: SkipReason) -> &'static str {
    match r {
        SkipReason::NoMapping => "no_mapping",
        SkipReason::OutsideTemplate => "outside_template",
        SkipReason::InvalidValue => "invalid_value",
        SkipReason::EmptyValue => "empty_value",
    }
}

fn warning_name(k: WarningKind) -> &'static str {
    match k {
        WarningKind::Truncated => "truncated",
        WarningKind::CharactersReplaced => "characters_replaced",
        WarningKind::UnitConverted => "unit_converted",
        WarningKind::Rounded => "rounded",
        WarningKind::Other => "other",
    }
}

impl WriteReport {
    /// The report of a successful write.
    pub fn success(
        job_id: &str,
        adapter: &str,
        encounter_id: &str,
        r: &WriteResult,
    ) -> WriteReport {
        let fields: Vec<FieldLine> = r
            .fields
            .iter()
            .map(|f| {
                let (status, reason, detail) = match &f.status {
                    FieldStatus::Written => ("written".to_string(), None, None),
                    FieldStatus::Skipped((reason, detail)) => (
                        "skipped".to_string(),
                        Some(reason_name(*reason).to_string()),
                        Some(detail.clone()),
                    ),
                };
                FieldLine {
                    field: f.field.clone(),
                    status,
                    target: f.target.clone(),
                    reason,
                    detail,
                    warnings: f
                        .warnings
                        .iter()
                        .map(|w| Warning {
                            kind: warning_name(w.kind).to_string(),
                            message: w.message.clone(),
                        })
                        .collect(),
                }
            })
            .collect();
        let written = fields.iter().filter(|f| f.status == "written").count();
        let skipped = fields.len() - written;
        let warnings = fields.iter().map(|f| f.warnings.len()).sum();
        let outcome = if skipped == 0 && warnings == 0 {
            Outcome::Succeeded
        } else {
            Outcome::SucceededWithWarnings
        };
        WriteReport {
            job_id: job_id.to_string(),
            adapter: adapter.to_string(),
            encounter_id: encounter_id.to_string(),
            outcome,
            record_id: r.record_id.clone(),
            replayed: r.replayed,
            written,
            skipped,
            warnings,
            fields,
            error: None,
        }
    }

    /// The report of a failed write.
    pub fn failure(
        job_id: &str,
        adapter: &str,
        encounter_id: &str,
        error: Remediation,
    ) -> WriteReport {
        WriteReport {
            job_id: job_id.to_string(),
            adapter: adapter.to_string(),
            encounter_id: encounter_id.to_string(),
            outcome: Outcome::Failed,
            record_id: None,
            replayed: false,
            written: 0,
            skipped: 0,
            warnings: 0,
            fields: Vec::new(),
            error: Some(error),
        }
    }

    /// The report as people read it in a terminal.
    pub fn render(&self) -> String {
        let mut s = String::new();
        if let Some(e) = &self.error {
            let _ = writeln!(
                s,
                "FAILED  job {} → {} (encounter {})",
                self.job_id, self.adapter, self.encounter_id
            );
            let _ = write!(s, "{}", render_remediation(e));
            return s;
        }
        let head = match self.outcome {
            Outcome::Succeeded => "SUCCEEDED",
            _ => "SUCCEEDED WITH WARNINGS",
        };
        let _ = writeln!(
            s,
            "{head}  job {} → {} (encounter {}, record {})",
            self.job_id,
            self.adapter,
            self.encounter_id,
            self.record_id.as_deref().unwrap_or("-")
        );
        let _ = writeln!(
            s,
            "{} written, {} skipped, {} warnings",
            self.written, self.skipped, self.warnings
        );
        if self.replayed {
            let _ = writeln!(
                s,
                "This job had already been written; nothing was written twice."
            );
        }
        let width = self.fields.iter().map(|f| f.field.len()).max().unwrap_or(0);
        for f in &self.fields {
            match f.status.as_str() {
                "written" => {
                    let _ = writeln!(
                        s,
                        "  written  {:width$}  → {}",
                        f.field,
                        f.target.as_deref().unwrap_or("-")
                    );
                }
                _ => {
                    let _ = writeln!(
                        s,
                        "  skipped  {:width$}  {}: {}",
                        f.field,
                        f.reason.as_deref().unwrap_or("-").replace('_', " "),
                        f.detail.as_deref().unwrap_or("")
                    );
                }
            }
            for w in &f.warnings {
                let _ = writeln!(
                    s,
                    "           {:width$}  ! {}: {}",
                    "",
                    w.kind.replace('_', " "),
                    w.message
                );
            }
        }
        if self.skipped > 0 {
            let _ = writeln!(
                s,
                "Skipped fields are not in the chart: enter them manually if they matter."
            );
        }
        s
    }
}

/// A failure as people read it: headline, advice, detail.
pub fn render_remediation(e: &Remediation) -> String {
    let class = match e.class {
        crate::remediation::FailureClass::Retryable => "will be retried automatically",
        crate::remediation::FailureClass::NeedsPerson => "needs a person, then a retry",
        crate::remediation::FailureClass::Terminal => "will not succeed as is",
    };
    format!(
        "{}\n  {}\n  details: {}\n  ({class})\n",
        e.title, e.advice, e.detail
    )
}
