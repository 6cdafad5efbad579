//! The write flow: one snapshot into one Eyefinity visit document.
//!
//! Everything that can refuse the job is checked before the one write:
//!
//! 1. the visit belongs to the snapshot's patient (id), and the visit's patient block
//!    carries the scribe's family name and birth date → otherwise `wrong-patient`;
//! 2. the visit is not locked → otherwise `encounter-locked`;
//! 3. every element the plan writes is on the visit's form → otherwise `template-mismatch`
//!    (a renamed element is never silently dropped);
//!
//! then the whole document is saved with one `PUT`, with the job id as `Idempotency-Key`:
//! a job re-run after a save that landed but whose answer was lost gets the stored
//! revision back instead of a second save.

use crate::api::{Api, DiagnosisJson, DocumentJson, VisitJson};
use crate::mapping::{self, DIAGNOSES, ELEMENTS, NOTE};
use ehr_adapter_sdk::mapping::{MappedValue, Plan};
use ehr_adapter_sdk::prelude::*;
use ehr_adapter_sdk::{FieldWarning, Laterality, WarningKind};

/// Writes `snapshot` into its visit's document and reports every field.
pub fn write_encounter(snapshot: &EncounterSnapshot) -> Result<WriteResult, AdapterError> {
    let api = Api::from_config()?;
    let visit_id = snapshot.encounter_id.as_str();

    let visit = api.visit(visit_id)?;
    confirm_patient(snapshot, &visit)?;
    if visit.locked {
        return Err(AdapterError::EncounterLocked(format!(
            "visit {visit_id} is finalized and locked; nothing was written"
        )));
    }

    let form = api.form(&visit.form_version)?;
    let mut plan = mapping::mapping().apply(snapshot);
    let missing: Vec<&str> = plan
        .section(ELEMENTS)
        .into_iter()
        .map(|l| l.name.as_str())
        .filter(|id| !form.elements.iter().any(|e| e == id))
        .collect();
    if !missing.is_empty() {
        return Err(AdapterError::TemplateMismatch(format!(
            "form {} ({}) of visit {visit_id} has no element {}; the EHR's form changed and \
             this adapter's mapping must be updated; nothing was written",
            form.form_version,
            form.title,
            missing.join(", ")
        )));
    }

    let (diagnoses, diagnosis_warnings) = shape_diagnoses(&mut plan);
    let doc = DocumentJson {
        elements: plan.section_json(ELEMENTS),
        diagnoses,
        note: plan.section(NOTE).first().and_then(|l| match &l.value {
            MappedValue::Text(t) => Some(t.clone()),
            _ => None,
        }),
    };
    let saved = api.put_document(visit_id, &doc, &snapshot.job_id)?;
    log::info(&format!(
        "job {}: saved visit {visit_id} document revision {}{}",
        snapshot.job_id,
        saved.revision,
        if saved.replayed { " (replayed)" } else { "" }
    ));
    let mut result = plan.into_write_result(
        Some(format!("{visit_id}@{}", saved.revision)),
        saved.replayed,
    );
    if let Some(line) = result
        .fields
        .iter_mut()
        .find(|f| f.field == "diagnoses" && matches!(f.status, FieldStatus::Written))
    {
        line.warnings.extend(diagnosis_warnings);
    }
    Ok(result)
}

/// The wrong-patient guard. Messages name ids only: names and birth dates are PHI.
fn confirm_patient(snapshot: &EncounterSnapshot, visit: &VisitJson) -> Result<(), AdapterError> {
    let want = &snapshot.patient;
    let got = &visit.patient;
    if got.patient_id != want.id {
        return Err(AdapterError::WrongPatient(format!(
            "visit {} belongs to patient {}, not to patient {}; nothing was written",
            visit.visit_id, got.patient_id, want.id
        )));
    }
    if got.family.as_deref().map(name_key) != Some(name_key(&want.last_name)) {
        return Err(AdapterError::WrongPatient(format!(
            "patient {}'s family name in the EHR does not match the snapshot's; check the \
             patient id; nothing was written",
            want.id
        )));
    }
    match got.birth_date.as_deref().map(date_part) {
        Some(dob) if !dob.is_empty() && dob == date_part(&want.date_of_birth) => Ok(()),
        Some(dob) if !dob.is_empty() => Err(AdapterError::WrongPatient(format!(
            "patient {}'s birth date in the EHR does not match the snapshot's; check the \
             patient id; nothing was written",
            want.id
        ))),
        // Fail closed: without a birth date the chart cannot be confirmed.
        _ => Err(AdapterError::WrongPatient(format!(
            "patient {} has no birth date in the EHR, so the chart cannot be confirmed as the \
             snapshot's patient; record it in the EHR and retry; nothing was written",
            want.id
        ))),
    }
}

/// A name reduced for comparison: lower-case, whitespace collapsed. Eyefinity stores
/// UTF-8, so accents are compared as they are.
pub fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn date_part(s: &str) -> &str {
    let s = s.trim();
    s.get(..10).unwrap_or(s)
}

/// The planned diagnoses shaped for the document, and the warnings for their report line.
/// A list the EHR cannot take (not diagnoses, a malformed code, two primaries) is skipped
/// as `invalid-value` before the save, rather than failing the whole document.
pub fn shape_diagnoses(plan: &mut Plan) -> (Vec<DiagnosisJson>, Vec<FieldWarning>) {
    let Some(value) = plan.section(DIAGNOSES).first().map(|l| l.value.clone()) else {
        return (Vec::new(), Vec::new());
    };
    match shape(&value) {
        Ok(shaped) => shaped,
        Err(detail) => {
            plan.skip_section(DIAGNOSES, SkipReason::InvalidValue, &detail);
            (Vec::new(), Vec::new())
        }
    }
}

fn shape(value: &MappedValue) -> Result<(Vec<DiagnosisJson>, Vec<FieldWarning>), String> {
    let MappedValue::Raw(FieldValue::Diagnoses(list)) = value else {
        return Err("expected a list of diagnoses".to_string());
    };
    let primaries = list.iter().filter(|d| d.primary).count();
    if primaries > 1 {
        return Err(format!(
            "{primaries} diagnoses are marked primary; the EHR accepts at most one"
        ));
    }
    let mut cut = 0;
    let mut out = Vec::with_capacity(list.len());
    for d in list {
        let code = d.code.trim().to_ascii_uppercase();
        if !is_icd10(&code) {
            return Err(format!(
                "`{}` is not an ICD-10-CM code the EHR accepts",
                d.code
            ));
        }
        let mut text = d.description.trim().to_string();
        if text.chars().count() > mapping::DIAGNOSIS_TEXT_MAX {
            text = text.chars().take(mapping::DIAGNOSIS_TEXT_MAX).collect();
            cut += 1;
        }
        out.push(DiagnosisJson {
            code,
            text: (!text.is_empty()).then_some(text),
            eye: match d.laterality {
                Laterality::Right => Some("R"),
                Laterality::Left => Some("L"),
                Laterality::Both => Some("B"),
                Laterality::NotApplicable => None,
            },
            primary: d.primary,
        });
    }
    let warnings = if cut > 0 {
        vec![FieldWarning {
            kind: WarningKind::Truncated,
            message: format!(
                "{cut} diagnosis text(s) cut to {} characters (the EHR's limit)",
                mapping::DIAGNOSIS_TEXT_MAX
            ),
        }]
    } else {
        Vec::new()
    };
    Ok((out, warnings))
}

/// The shape of an ICD-10-CM code (`H40.1131`, `H401131`, `E11.9`).
pub fn is_icd10(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 3 || !s.is_ascii() {
        return false;
    }
    let upper_or_digit = |c: u8| c.is_ascii_digit() || c.is_ascii_uppercase();
    let head =
        b[0].is_ascii_uppercase() && b[0] != b'U' && b[1].is_ascii_digit() && upper_or_digit(b[2]);
    let tail = b[3..].strip_prefix(b".").unwrap_or(&b[3..]);
    head && (b.len() == 3
        || ((1..=4).contains(&tail.len()) && tail.iter().all(|&c| upper_or_digit(c))))
}
