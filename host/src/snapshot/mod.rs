//! Encounter snapshots as users and the scribe platform write them (JSON), checked
//! against the field catalog and turned into the contract's `encounter-snapshot`.
//!
//! ```json
//! {
//!   "job_id": "J-0001",
//!   "patient": {"id": "P1001", "first_name": "Ann", "last_name": "Lee", "date_of_birth": "1970-03-02"},
//!   "encounter_id": "E5001",
//!   "encounter_date": "2026-11-21",
//!   "provider_id": "DR1",
//!   "template": {"id": "T-COMP", "fields": []},
//!   "fields": {
//!     "iop.od": 17,
//!     "chief_complaint": "Blurry vision at distance",
//!     "diagnoses": [{"code": "H40.1131", "description": "POAG, mild", "laterality": "both", "primary": true}]
//!   }
//! }
//! ```
//!
//! Every problem is reported at once, each naming the exact field, and nothing is
//! accepted unless all of it is valid. Before the fields are read the document itself
//! is checked: its size ([`limits`]), a UTF-8 byte-order mark (accepted), valid UTF-8,
//! and keys repeated anywhere ([`strict`]) — a repeated key is refused rather than
//! resolved silently. Each field's value is then checked against the catalog ([`rules`]:
//! kind, range, step, format, lengths).

pub mod limits;
mod rules;
mod strict;

use crate::runtime::bindings::latest::{ClinicalField, EncounterSnapshot, PatientRef, TemplateRef};
use ehr_adapter_sdk::catalog;
use limits::{MAX_ID_CHARS, MAX_NAME_CHARS, MAX_SNAPSHOT_BYTES};
use serde::Deserialize;
use serde_json::Value;

/// Every problem found in a snapshot.
#[derive(Debug, thiserror::Error)]
#[error("the snapshot is not valid, nothing was sent:\n  - {}", .0.join("\n  - "))]
pub struct SnapshotErrors(pub Vec<String>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    job_id: String,
    patient: PatientDoc,
    encounter_id: String,
    encounter_date: String,
    #[serde(default)]
    provider_id: Option<String>,
    template: TemplateDoc,
    fields: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatientDoc {
    id: String,
    first_name: String,
    last_name: String,
    date_of_birth: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateDoc {
    id: String,
    #[serde(default)]
    fields: Vec<String>,
}

/// Parses and checks a snapshot given as text.
pub fn parse(text: &str) -> Result<EncounterSnapshot, SnapshotErrors> {
    parse_bytes(text.as_bytes())
}

/// Parses and checks a snapshot document as it arrived (a file, a request body).
pub fn parse_bytes(bytes: &[u8]) -> Result<EncounterSnapshot, SnapshotErrors> {
    let one = |m: String| SnapshotErrors(vec![m]);
    if bytes.len() > MAX_SNAPSHOT_BYTES {
        return Err(one(format!(
            "the snapshot is {} bytes; the limit is {MAX_SNAPSHOT_BYTES} bytes ({} KiB). Nothing was queued.",
            bytes.len(),
            MAX_SNAPSHOT_BYTES / 1024
        )));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes)
        .map_err(|e| one(format!("the snapshot is not UTF-8 text: {e}")))?;
    strict::no_duplicate_keys(text)
        .map_err(|e| one(format!("not a valid snapshot document: {e}")))?;
    let doc: Doc = serde_json::from_str(text)
        .map_err(|e| one(format!("not a valid snapshot document: {e}")))?;
    let mut errors = Vec::new();
    let mut need = |ok: bool, msg: String| {
        if !ok {
            errors.push(msg)
        }
    };
    let shown = |s: &str| crate::untrusted::clean(s, 40);
    need(
        valid_job_id(&doc.job_id),
        format!(
            "job_id: `{}` must be 1-{MAX_ID_CHARS} letters, digits, `.`, `_`, `:` or `-`",
            shown(&doc.job_id)
        ),
    );
    let provider = doc.provider_id.as_deref().unwrap_or("-");
    for (name, value) in [
        ("patient.id", doc.patient.id.as_str()),
        ("encounter_id", &doc.encounter_id),
        ("template.id", &doc.template.id),
        ("provider_id", provider),
    ] {
        need(
            !value.trim().is_empty(),
            format!("{name}: must not be empty"),
        );
        need(
            value.chars().count() <= MAX_ID_CHARS,
            format!("{name}: longer than {MAX_ID_CHARS} characters"),
        );
    }
    for (name, value) in [
        ("patient.first_name", &doc.patient.first_name),
        ("patient.last_name", &doc.patient.last_name),
    ] {
        need(
            !value.trim().is_empty(),
            format!("{name}: must not be empty"),
        );
        need(
            value.chars().count() <= MAX_NAME_CHARS,
            format!("{name}: longer than {MAX_NAME_CHARS} characters"),
        );
    }
    need(
        valid_date(&doc.patient.date_of_birth),
        format!(
            "patient.date_of_birth: `{}` is not a date (YYYY-MM-DD)",
            shown(&doc.patient.date_of_birth)
        ),
    );
    need(
        valid_date(&doc.encounter_date),
        format!(
            "encounter_date: `{}` is not a date (YYYY-MM-DD)",
            shown(&doc.encounter_date)
        ),
    );
    for f in &doc.template.fields {
        need(
            catalog::field(f).is_some(),
            format!(
                "template.fields: `{}` is not a catalog field (see `ehr-host catalog`)",
                shown(f)
            ),
        );
    }
    need(
        !doc.fields.is_empty(),
        "fields: the snapshot has no clinical fields".into(),
    );
    let mut fields = Vec::new();
    for (id, value) in &doc.fields {
        match rules::field_value(id, value) {
            Ok(v) => fields.push(ClinicalField {
                id: id.clone(),
                value: v,
            }),
            Err(e) => errors.push(format!(
                "fields.{}: {e}",
                crate::untrusted::clean(id, MAX_ID_CHARS)
            )),
        }
    }
    if !errors.is_empty() {
        return Err(SnapshotErrors(errors));
    }
    Ok(EncounterSnapshot {
        job_id: doc.job_id,
        patient: PatientRef {
            id: doc.patient.id,
            first_name: doc.patient.first_name,
            last_name: doc.patient.last_name,
            date_of_birth: doc.patient.date_of_birth,
        },
        encounter_id: doc.encounter_id,
        encounter_date: doc.encounter_date,
        provider_id: doc.provider_id,
        template: TemplateRef {
            id: doc.template.id,
            fields: doc.template.fields,
        },
        fields,
    })
}

fn valid_job_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
}

/// `YYYY-MM-DD` naming a real calendar day.
pub fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d) && y >= 1900
}

#[cfg(test)]
mod tests;
