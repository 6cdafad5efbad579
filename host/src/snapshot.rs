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
//! accepted unless all of it is valid.

use crate::runtime::bindings::latest::{
    ClinicalField, Diagnosis, EncounterSnapshot, FieldValue, Laterality, PatientRef, Procedure,
    TemplateRef,
};
use ehr_adapter_sdk::catalog::{self, Kind};
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

/// Parses and checks a snapshot.
pub fn parse(text: &str) -> Result<EncounterSnapshot, SnapshotErrors> {
    let doc: Doc = serde_json::from_str(text)
        .map_err(|e| SnapshotErrors(vec![format!("not a valid snapshot document: {e}")]))?;
    let mut errors = Vec::new();
    let mut need = |ok: bool, msg: String| {
        if !ok {
            errors.push(msg)
        }
    };
    need(
        valid_job_id(&doc.job_id),
        format!(
            "job_id: `{}` must be 1-128 letters, digits, `.`, `_`, `:` or `-`",
            doc.job_id
        ),
    );
    need(
        !doc.patient.id.trim().is_empty(),
        "patient.id: must not be empty".into(),
    );
    need(
        !doc.patient.first_name.trim().is_empty(),
        "patient.first_name: must not be empty".into(),
    );
    need(
        !doc.patient.last_name.trim().is_empty(),
        "patient.last_name: must not be empty".into(),
    );
    need(
        valid_date(&doc.patient.date_of_birth),
        format!(
            "patient.date_of_birth: `{}` is not a date (YYYY-MM-DD)",
            doc.patient.date_of_birth
        ),
    );
    need(
        !doc.encounter_id.trim().is_empty(),
        "encounter_id: must not be empty".into(),
    );
    need(
        valid_date(&doc.encounter_date),
        format!(
            "encounter_date: `{}` is not a date (YYYY-MM-DD)",
            doc.encounter_date
        ),
    );
    need(
        !doc.template.id.trim().is_empty(),
        "template.id: must not be empty".into(),
    );
    for f in &doc.template.fields {
        need(
            catalog::field(f).is_some(),
            format!("template.fields: `{f}` is not a catalog field (see `ehr-host catalog`)"),
        );
    }
    need(
        !doc.fields.is_empty(),
        "fields: the snapshot has no clinical fields".into(),
    );
    let mut fields = Vec::new();
    for (id, value) in &doc.fields {
        match field_value(id, value) {
            Ok(v) => fields.push(ClinicalField {
                id: id.clone(),
                value: v,
            }),
            Err(e) => errors.push(format!("fields.{id}: {e}")),
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

fn field_value(id: &str, value: &Value) -> Result<FieldValue, String> {
    let field = catalog::field(id)
        .ok_or_else(|| "not a catalog field (see `ehr-host catalog`)".to_string())?;
    if value.is_null() {
        return Err("is null; leave the field out instead".into());
    }
    match field.kind {
        Kind::Text => value
            .as_str()
            .map(|s| FieldValue::Text(s.to_string()))
            .ok_or_else(|| format!("expected text, got {value}")),
        Kind::Number => {
            let n = value.as_f64().ok_or_else(|| {
                format!(
                    "expected a number in {}, got {value}",
                    field.unit.as_deref().unwrap_or("units")
                )
            })?;
            let (lo, hi) = (field.min.unwrap_or(f64::MIN), field.max.unwrap_or(f64::MAX));
            if n < lo || n > hi {
                return Err(format!(
                    "{n} is outside {lo}..{hi} {}",
                    field.unit.as_deref().unwrap_or("")
                ));
            }
            Ok(FieldValue::Number(n))
        }
        Kind::Diagnoses => {
            let items = value.as_array().ok_or("expected a list of diagnoses")?;
            let list = items
                .iter()
                .enumerate()
                .map(|(i, d)| diagnosis(d).map_err(|e| format!("[{i}]: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            if list.iter().filter(|d| d.primary).count() > 1 {
                return Err("more than one diagnosis is marked primary".into());
            }
            Ok(FieldValue::Diagnoses(list))
        }
        Kind::Procedures => {
            let items = value.as_array().ok_or("expected a list of procedures")?;
            let list = items
                .iter()
                .enumerate()
                .map(|(i, p)| procedure(p).map_err(|e| format!("[{i}]: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(FieldValue::Procedures(list))
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiagnosisDoc {
    code: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    laterality: Option<String>,
    #[serde(default)]
    primary: bool,
}

fn diagnosis(v: &Value) -> Result<Diagnosis, String> {
    let d: DiagnosisDoc = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    if !valid_icd10(&d.code) {
        return Err(format!("`{}` is not an ICD-10-CM code", d.code));
    }
    let laterality = match d.laterality.as_deref().unwrap_or("not_applicable") {
        "right" | "od" | "OD" => Laterality::Right,
        "left" | "os" | "OS" => Laterality::Left,
        "both" | "ou" | "OU" => Laterality::Both,
        "not_applicable" | "none" => Laterality::NotApplicable,
        other => {
            return Err(format!(
                "laterality `{other}` must be right, left, both or not_applicable"
            ))
        }
    };
    Ok(Diagnosis {
        code: d.code,
        description: d.description,
        laterality,
        primary: d.primary,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProcedureDoc {
    code: String,
    #[serde(default)]
    modifiers: Vec<String>,
    #[serde(default = "one")]
    units: u32,
    #[serde(default)]
    diagnosis_pointers: Vec<String>,
}

fn one() -> u32 {
    1
}

fn procedure(v: &Value) -> Result<Procedure, String> {
    let p: ProcedureDoc = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    if p.code.len() != 5 || !p.code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "`{}` is not a CPT/HCPCS code (5 letters or digits)",
            p.code
        ));
    }
    if p.units == 0 {
        return Err("units must be at least 1".into());
    }
    Ok(Procedure {
        code: p.code,
        modifiers: p.modifiers,
        units: p.units,
        diagnosis_pointers: p.diagnosis_pointers,
    })
}

fn valid_job_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
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

/// ICD-10-CM, by the SDK's shared rules (`ehr_adapter_sdk::icd10`), so the host never
/// accepts a code the adapters refuse, or the other way round.
fn valid_icd10(code: &str) -> bool {
    ehr_adapter_sdk::icd10::is_valid(code)
}

// The one ICD-10-CM table the SDK's tests also run (U codes, 7th characters with the
// placeholder X, dots optional, any case), through the snapshot check.
#[cfg(test)]
#[test]
fn icd10_table_is_the_sdks() {
    let accepts = |code: &str| diagnosis(&serde_json::json!({ "code": code })).is_ok();
    let wrong = ehr_adapter_sdk::icd10::table_mismatches(accepts);
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[cfg(test)]
mod tests;
