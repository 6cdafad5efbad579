//! Reports and failures as the job stores keep them: JSON with a schema version, read
//! back typed. A stored value that cannot be read is an error that names the job and
//! says why — never a blank `jobs show`. Reports written by ehr-host before the schema
//! was versioned are read through [`legacy`].

use super::queue::QueueError;
use crate::remediation::Remediation;
use crate::report::{WriteReport, SCHEMA};

/// The stored form of a report.
pub fn encode_report(report: &WriteReport) -> String {
    serde_json::to_string(report).expect("a report always serialises")
}

/// The stored form of a failure.
pub fn encode_error(error: &Remediation) -> String {
    serde_json::to_string(error).expect("a remediation always serialises")
}

/// A stored report, typed.
pub fn decode_report(id: &str, text: &str) -> Result<WriteReport, QueueError> {
    let unreadable = |reason: String| QueueError::Unreadable {
        id: id.to_string(),
        what: "report",
        reason,
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| unreadable(format!("not JSON ({e})")))?;
    match value.get("schema").and_then(|s| s.as_u64()) {
        None => legacy::report(value).map_err(unreadable),
        Some(v) if v > SCHEMA as u64 => Err(unreadable(format!(
            "it was written by a newer ehr-host (report schema {v}; this one reads up to {SCHEMA}): update this ehr-host"
        ))),
        Some(_) => serde_json::from_value(value).map_err(|e| unreadable(e.to_string())),
    }
}

/// A stored failure, typed.
pub fn decode_error(id: &str, text: &str) -> Result<Remediation, QueueError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| QueueError::Unreadable {
            id: id.to_string(),
            what: "failure",
            reason: format!("not JSON ({e})"),
        })?;
    serde_json::from_value(value).map_err(|e| QueueError::Unreadable {
        id: id.to_string(),
        what: "failure",
        reason: e.to_string(),
    })
}

/// Reports of ehr-host 0.1 (wave 1): no schema, the adapter as `"id version"`, field
/// statuses as strings. Read so that jobs from before an upgrade still show.
mod legacy {
    use crate::report::{
        AdapterRef, FieldLine, FieldOutcome, Landed, Outcome, Warning, WriteReport,
    };
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Old {
        job_id: String,
        adapter: String,
        encounter_id: String,
        record_id: Option<String>,
        #[serde(default)]
        replayed: bool,
        fields: Vec<OldField>,
    }

    #[derive(Deserialize)]
    struct OldField {
        field: String,
        status: String,
        target: Option<String>,
        reason: Option<crate::report::SkipReason>,
        detail: Option<String>,
        #[serde(default)]
        warnings: Vec<Warning>,
    }

    pub(super) fn report(value: serde_json::Value) -> Result<WriteReport, String> {
        let old: Old = serde_json::from_value(value)
            .map_err(|e| format!("neither a current nor an ehr-host 0.1 report: {e}"))?;
        let (id, version) = old
            .adapter
            .split_once(' ')
            .unwrap_or((&old.adapter, "0.0.0"));
        let fields = old
            .fields
            .into_iter()
            .map(|f| {
                let outcome = match (f.status.as_str(), f.reason) {
                    ("written", _) => Ok(FieldOutcome::Written { target: f.target }),
                    ("skipped", Some(reason)) => Ok(FieldOutcome::Skipped {
                        reason,
                        detail: f.detail.unwrap_or_default(),
                    }),
                    (other, _) => Err(format!("field `{}` has status `{other}`", f.field)),
                }?;
                Ok(FieldLine {
                    field: f.field,
                    outcome,
                    warnings: f.warnings,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let adapter = AdapterRef {
            id: id.to_string(),
            version: version
                .parse()
                .map_err(|e| format!("adapter version `{version}`: {e}"))?,
            hash: String::new(),
        };
        let mut r = WriteReport::from_lines(&old.job_id, adapter, &old.encounter_id, fields, None);
        r.record_id = old.record_id;
        r.replayed = old.replayed;
        debug_assert!(matches!(
            r.outcome,
            Outcome::Succeeded | Outcome::SucceededWithWarnings
        ));
        debug_assert_eq!(r.landed, Landed::Complete);
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{FieldOutcome, Outcome};

    // A wave-1 report still reads, typed.
    #[test]
    fn legacy_report_reads() {
        let old = r#"{"job_id":"J1","adapter":"revolution 0.1.0","encounter_id":"E1","outcome":"succeeded_with_warnings",
            "record_id":"X9","replayed":false,"written":1,"skipped":1,"warnings":0,"fields":[
            {"field":"iop.od","status":"written","target":"exam.iop","warnings":[]},
            {"field":"keratometry.od.k1","status":"skipped","reason":"no_mapping","detail":"none","warnings":[]}]}"#;
        let r = decode_report("J1", old).unwrap();
        assert_eq!(
            (r.outcome, r.written, r.skipped),
            (Outcome::SucceededWithWarnings, 1, 1)
        );
        assert_eq!(r.adapter.to_string(), "revolution 0.1.0");
        assert!(matches!(r.fields[1].outcome, FieldOutcome::Skipped { .. }));
        // And round-trips in the current schema.
        assert_eq!(decode_report("J1", &encode_report(&r)).unwrap(), r);
    }

    // Garbage and the future are errors that name the job and the reason.
    #[test]
    fn unreadable_reports_say_so() {
        let e = decode_report("J2", "{not json").unwrap_err().to_string();
        assert!(
            e.starts_with("the stored report of job `J2` cannot be read: not JSON"),
            "{e}"
        );
        let e = decode_report("J3", r#"{"schema":99}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("newer ehr-host (report schema 99"), "{e}");
        let e = decode_error("J4", r#"{"kind":"made_up"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("stored failure of job `J4`"), "{e}");
    }
}
