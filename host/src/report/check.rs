//! The adapter's field lines checked against the snapshot, in the host, for every
//! adapter: each snapshot field must appear exactly once (written or skipped). A report
//! that drops the note, invents fields or reports one twice is an adapter bug, never a
//! green result.

use super::FieldLine;
use crate::runtime::bindings::latest::EncounterSnapshot;
use std::collections::{BTreeMap, BTreeSet};

/// Field ids named in a message at most; the rest are counted.
const NAMED: usize = 12;

/// How a report fails to account for the snapshot (field ids only, no values).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportProblem {
    /// Snapshot fields the report does not mention.
    pub missing: Vec<String>,
    /// Fields the report mentions more than once.
    pub repeated: Vec<String>,
    /// Fields the report mentions that the snapshot did not hold.
    pub unknown: Vec<String>,
}

impl std::fmt::Display for ReportProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        for (what, ids) in [
            ("reported no outcome for", &self.missing),
            ("reported more than once", &self.repeated),
            ("reported fields that were not sent", &self.unknown),
        ] {
            if !ids.is_empty() {
                parts.push(format!("{what}: {}", names(ids)));
            }
        }
        write!(f, "the write report {}", parts.join("; "))
    }
}

fn names(ids: &[String]) -> String {
    let shown: Vec<&str> = ids.iter().take(NAMED).map(String::as_str).collect();
    match ids.len().saturating_sub(NAMED) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// `Ok` when `lines` name every field of `snapshot` exactly once and nothing else.
pub fn against_snapshot(
    snapshot: &EncounterSnapshot,
    lines: &[FieldLine],
) -> Result<(), ReportProblem> {
    let sent: BTreeSet<&str> = snapshot.fields.iter().map(|f| f.id.as_str()).collect();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for l in lines {
        *seen.entry(l.field.as_str()).or_default() += 1;
    }
    let problem = ReportProblem {
        missing: snapshot
            .fields
            .iter()
            .filter(|f| !seen.contains_key(f.id.as_str()))
            .map(|f| f.id.clone())
            .collect(),
        repeated: seen
            .iter()
            .filter(|(id, n)| **n > 1 && sent.contains(*id))
            .map(|(id, _)| id.to_string())
            .collect(),
        unknown: seen
            .keys()
            .filter(|id| !sent.contains(*id))
            .map(|id| id.to_string())
            .collect(),
    };
    if problem == ReportProblem::default() {
        Ok(())
    } else {
        Err(problem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{FieldOutcome, SkipReason};
    use crate::runtime::bindings::latest::{ClinicalField, FieldValue, PatientRef, TemplateRef};

    fn snapshot(ids: &[&str]) -> EncounterSnapshot {
        EncounterSnapshot {
            job_id: "J".into(),
            patient: PatientRef {
                id: "P".into(),
                first_name: "A".into(),
                last_name: "B".into(),
                date_of_birth: "1970-01-01".into(),
            },
            encounter_id: "E".into(),
            encounter_date: "2026-01-01".into(),
            provider_id: None,
            template: TemplateRef {
                id: "T".into(),
                fields: vec![],
            },
            fields: ids
                .iter()
                .map(|id| ClinicalField {
                    id: id.to_string(),
                    value: FieldValue::Number(1.0),
                })
                .collect(),
        }
    }

    fn written(id: &str) -> FieldLine {
        FieldLine {
            field: id.into(),
            outcome: FieldOutcome::Written { target: None },
            warnings: vec![],
        }
    }

    fn skipped(id: &str) -> FieldLine {
        FieldLine {
            field: id.into(),
            outcome: FieldOutcome::Skipped {
                reason: SkipReason::NoMapping,
                detail: String::new(),
            },
            warnings: vec![],
        }
    }

    // Every field once, written or skipped, passes.
    #[test]
    fn complete_report_passes() {
        let s = snapshot(&["iop.od", "notes"]);
        assert_eq!(
            against_snapshot(&s, &[written("iop.od"), skipped("notes")]),
            Ok(())
        );
    }

    // The attacks of the review: no field at all, one of many, invented fields, and every
    // field both written and skipped; each named.
    #[test]
    fn bad_reports_are_named() {
        let s = snapshot(&["iop.od", "iop.os", "notes"]);
        let e = against_snapshot(&s, &[]).unwrap_err();
        assert_eq!(e.missing, ["iop.od", "iop.os", "notes"]);

        let e = against_snapshot(&s, &[written("iop.od")]).unwrap_err();
        assert_eq!(e.missing, ["iop.os", "notes"]);

        let lines = [
            written("iop.od"),
            written("iop.os"),
            written("notes"),
            written("not.a.catalog.field"),
        ];
        let e = against_snapshot(&s, &lines).unwrap_err();
        assert_eq!(
            (e.unknown.as_slice(), e.missing.len()),
            (&["not.a.catalog.field".to_string()][..], 0)
        );

        let mut both: Vec<FieldLine> = ["iop.od", "iop.os", "notes"]
            .iter()
            .map(|f| written(f))
            .collect();
        both.extend(["iop.od", "iop.os", "notes"].iter().map(|f| skipped(f)));
        let e = against_snapshot(&s, &both).unwrap_err();
        assert_eq!(e.repeated, ["iop.od", "iop.os", "notes"]);
        assert!(
            e.to_string()
                .contains("reported more than once: iop.od, iop.os, notes"),
            "{e}"
        );
    }

    // Long lists are cut in messages, with a count.
    #[test]
    fn long_lists_are_counted() {
        let ids: Vec<String> = (0..30).map(|i| format!("f{i}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let e = against_snapshot(&snapshot(&refs), &[]).unwrap_err();
        assert!(e.to_string().ends_with("and 18 more"), "{e}");
    }
}
