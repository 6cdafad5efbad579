//! One audit entry, and the searches auditors make.

use crate::report::{FieldOutcome, Outcome, WriteReport};
use serde::{Deserialize, Serialize};

/// One write attempt, as the trail keeps it: who wrote what where, when, with which
/// outcome per field — ids and statuses, no clinical values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Position in the trail, from 1.
    pub seq: u64,
    /// The attempt's transaction id (also sent to the EHR).
    pub transaction_id: String,
    /// The job.
    pub job_id: String,
    /// The practice (on a hub), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practice: Option<String>,
    /// The host that made the attempt (agent or hub instance).
    pub host: String,
    /// Adapter id and version.
    pub adapter: String,
    /// Its package hash.
    pub adapter_hash: String,
    /// The patient id the job was for.
    pub patient_id: String,
    /// The encounter written to.
    pub encounter_id: String,
    /// The EHR's record id, when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    /// Request ids the EHR sent back (`x-request-id` and alike), for its vendor's support.
    #[serde(default)]
    pub ehr_request_ids: Vec<String>,
    /// When the attempt started and ended (ms since the epoch).
    pub started_ms: u64,
    /// When it ended.
    pub ended_ms: u64,
    /// The outcome.
    pub outcome: Outcome,
    /// The failure's kind, when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
    /// True when the EHR replayed an earlier write of this job.
    pub replayed: bool,
    /// Each field's outcome (id and status only).
    pub fields: Vec<FieldOutcomeLine>,
    /// SHA-256 of the previous entry (hex; 64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 of this entry without this field (hex).
    pub hash: String,
}

/// A field's outcome in the trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldOutcomeLine {
    /// Catalog field id.
    pub field: String,
    /// `written`, `skipped` or `not_written`.
    pub status: String,
    /// The skip reason, when skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Entry {
    /// An entry (sequence and hashes filled in when appended) for an attempt that
    /// produced `report`.
    pub fn of_report(
        report: &WriteReport,
        transaction_id: &str,
        host: &str,
        patient_id: &str,
        ehr_request_ids: Vec<String>,
        started_ms: u64,
        ended_ms: u64,
    ) -> Entry {
        let fields = report
            .fields
            .iter()
            .map(|f| {
                let (status, reason) = match &f.outcome {
                    FieldOutcome::Written { .. } => ("written", None),
                    FieldOutcome::Skipped { reason, .. } => (
                        "skipped",
                        serde_json::to_value(reason)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string)),
                    ),
                    FieldOutcome::NotWritten => ("not_written", None),
                };
                FieldOutcomeLine {
                    field: f.field.clone(),
                    status: status.into(),
                    reason,
                }
            })
            .collect();
        Entry {
            seq: 0,
            transaction_id: transaction_id.to_string(),
            job_id: report.job_id.clone(),
            practice: None,
            host: host.to_string(),
            adapter: report.adapter.to_string(),
            adapter_hash: report.adapter.hash.clone(),
            patient_id: patient_id.to_string(),
            encounter_id: report.encounter_id.clone(),
            record_id: report.record_id.clone(),
            ehr_request_ids,
            started_ms,
            ended_ms,
            outcome: report.outcome,
            error_kind: report.error.as_ref().map(|e| e.kind.as_str().to_string()),
            replayed: report.replayed,
            fields,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }
}

/// What an auditor looks for; every given criterion must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// A job id.
    pub job_id: Option<String>,
    /// A patient id.
    pub patient_id: Option<String>,
    /// An encounter id.
    pub encounter_id: Option<String>,
    /// A transaction id.
    pub transaction_id: Option<String>,
}

impl Query {
    /// True when `e` matches every criterion given.
    pub fn matches(&self, e: &Entry) -> bool {
        let is = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        is(&self.job_id, &e.job_id)
            && is(&self.patient_id, &e.patient_id)
            && is(&self.encounter_id, &e.encounter_id)
            && is(&self.transaction_id, &e.transaction_id)
    }
}
