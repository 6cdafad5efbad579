//! The per-field write report users read: what was written, what was skipped and why,
//! what was changed on the way in, and — when a write stopped part-way — what is in the
//! chart and what is not. Partial success is normal and always visible.
//!
//! The report is typed from the adapter's answer to every reader (`jobs show`, the job
//! API, `ehr-host write`): it is built once ([`build`]), stored as JSON with a schema
//! version ([`SCHEMA`]) and read back typed, never re-parsed as loose JSON.

mod build;
mod check;
mod render;

pub use build::{build, AdapterAnswer};
pub use check::ReportProblem;

use crate::remediation::Remediation;
use serde::{Deserialize, Serialize};

/// The version of the stored report format. A reader refuses a report with a newer
/// schema instead of showing it partly.
pub const SCHEMA: u32 = 1;

/// The outcome of a write job's attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every field written, no warnings.
    Succeeded,
    /// Written, with fields skipped or changed: the user should look.
    SucceededWithWarnings,
    /// The write failed; `fields` says what, if anything, reached the chart.
    Failed,
    /// A person cancelled the job; `fields` says what, if anything, reached the chart.
    Cancelled,
}

/// Why a field was not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// This EHR has no place for the field.
    NoMapping,
    /// The field is not part of the encounter's template.
    OutsideTemplate,
    /// The value cannot be represented in the target.
    InvalidValue,
    /// The field was empty in the snapshot.
    EmptyValue,
}

/// What happened to a value on its way into the chart, short of skipping it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// Cut to the target's maximum length.
    Truncated,
    /// Characters the target cannot store were replaced.
    CharactersReplaced,
    /// Converted to the target's unit.
    UnitConverted,
    /// Rounded to the target's precision.
    Rounded,
    /// Anything else the user should review.
    Other,
}

/// A warning on a field that was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    /// The kind of change.
    pub kind: WarningKind,
    /// What changed, in plain words (cleaned and bounded by the host).
    pub message: String,
}

/// What an encounter-level notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// The snapshot's encounter date differs from the EHR's (or lies far in the future).
    EncounterDateDiffers,
    /// The snapshot's template differs from the encounter's template in the EHR.
    TemplateDiffers,
    /// Anything else about the encounter to review.
    Other,
}

/// Something about the whole encounter the user should look at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    /// What it is about.
    pub kind: NoticeKind,
    /// In plain words (ids only; cleaned and bounded by the host).
    pub message: String,
}

/// Where one snapshot field ended up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FieldOutcome {
    /// In the chart.
    Written {
        /// Where it went in the EHR, as the adapter named it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<String>,
    },
    /// Deliberately not written; the reason and the adapter's explanation.
    Skipped {
        /// Why.
        reason: SkipReason,
        /// The adapter's explanation (cleaned and bounded by the host).
        detail: String,
    },
    /// Not in the chart because the write stopped (failed or was cancelled) before this
    /// field landed. A retry writes it; the job id keeps the fields that did land from
    /// being written twice.
    NotWritten,
}

/// One field's line in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldLine {
    /// Catalog field id.
    pub field: String,
    /// Written, skipped or not written.
    #[serde(flatten)]
    pub outcome: FieldOutcome,
    /// Changes made to the value on the way in.
    #[serde(default)]
    pub warnings: Vec<Warning>,
}

impl FieldLine {
    /// True when the value is in the chart.
    pub fn is_written(&self) -> bool {
        matches!(self.outcome, FieldOutcome::Written { .. })
    }
}

/// The adapter version that made an attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdapterRef {
    /// Adapter id.
    pub id: String,
    /// Its version.
    pub version: semver::Version,
    /// SHA-256 of its package, so a rolled-back build can be told from a republished one.
    pub hash: String,
}

impl std::fmt::Display for AdapterRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.id, self.version)
    }
}

/// What a stopped write left in the chart, when the host knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Landed {
    /// Nothing from this job is in the chart (the failure came before any write, or the
    /// EHR rolled the transaction back).
    Nothing,
    /// Some fields are in the chart: the `written` lines say which.
    Partly,
    /// Everything the report lists as written is in the chart.
    Complete,
    /// The adapter could not say (an older contract with no progress reports): the
    /// retry completes the write, and the job id keeps it from being written twice.
    Unknown,
}

/// The whole report of one write attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WriteReport {
    /// The stored format's version ([`SCHEMA`]).
    pub schema: u32,
    /// The job id.
    pub job_id: String,
    /// The adapter version that made the attempt.
    pub adapter: AdapterRef,
    /// The encounter written to.
    pub encounter_id: String,
    /// The outcome.
    pub outcome: Outcome,
    /// What is in the chart.
    pub landed: Landed,
    /// The EHR's record id.
    pub record_id: Option<String>,
    /// True when this job had already been written and nothing new was written.
    pub replayed: bool,
    /// Fields in the chart.
    pub written: usize,
    /// Fields deliberately skipped.
    pub skipped: usize,
    /// Fields not in the chart because the write stopped.
    pub not_written: usize,
    /// Warnings in total.
    pub warnings: usize,
    /// One line per snapshot field, in snapshot order.
    pub fields: Vec<FieldLine>,
    /// Encounter-level notices (date or template differing from the EHR's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<Notice>,
    /// Why the attempt failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Remediation>,
}

impl WriteReport {
    /// A report over `fields`, with the counts, the outcome and what landed derived from
    /// them and from `error`.
    pub fn from_lines(
        job_id: &str,
        adapter: AdapterRef,
        encounter_id: &str,
        fields: Vec<FieldLine>,
        error: Option<Remediation>,
    ) -> WriteReport {
        let count = |f: fn(&FieldLine) -> bool| fields.iter().filter(|l| f(l)).count();
        let written = count(FieldLine::is_written);
        let skipped = count(|l| matches!(l.outcome, FieldOutcome::Skipped { .. }));
        let not_written = count(|l| l.outcome == FieldOutcome::NotWritten);
        let warnings = fields.iter().map(|f| f.warnings.len()).sum();
        let outcome = match &error {
            Some(e) if e.kind == crate::remediation::RemediationKind::Cancelled => {
                Outcome::Cancelled
            }
            Some(_) => Outcome::Failed,
            None if skipped == 0 && warnings == 0 => Outcome::Succeeded,
            None => Outcome::SucceededWithWarnings,
        };
        let landed = match (error.is_some(), written) {
            (false, _) => Landed::Complete,
            (true, 0) => Landed::Nothing,
            (true, _) => Landed::Partly,
        };
        WriteReport {
            schema: SCHEMA,
            job_id: job_id.to_string(),
            adapter,
            encounter_id: encounter_id.to_string(),
            outcome,
            landed,
            record_id: None,
            replayed: false,
            written,
            skipped,
            not_written,
            warnings,
            fields,
            notices: Vec::new(),
            error,
        }
    }

    /// True when the job is done: everything it could write is in the chart.
    pub fn succeeded(&self) -> bool {
        matches!(
            self.outcome,
            Outcome::Succeeded | Outcome::SucceededWithWarnings
        )
    }

    /// The report as people read it in a terminal.
    pub fn render(&self) -> String {
        render::report(self)
    }
}

/// A time as reports show it (`2026-12-01 14:05:09 UTC`).
pub fn render_time(ms: u64) -> String {
    render::time(ms)
}

/// A failure as people read it: headline, advice, detail and what happens next.
pub fn render_remediation(e: &Remediation) -> String {
    render::remediation(e)
}
