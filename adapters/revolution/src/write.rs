//! The write flow: one snapshot into one RevolutionEHR encounter.
//!
//! Order matters, because a finding in the wrong chart is a patient-safety problem and a
//! half-written exam is a mess someone has to clean up by hand. Everything that can refuse
//! the job is checked before the first write:
//!
//! 1. the encounter belongs to the snapshot's patient, and that patient's last name and
//!    date of birth in the EHR match the scribe's (an id typo must not land data in
//!    another chart) → otherwise `wrong-patient`;
//! 2. the encounter is open → otherwise `encounter-locked`;
//! 3. every EHR field the plan writes is in the encounter's template → otherwise
//!    `template-mismatch`;
//!
//! then the exam sections, the diagnosis list and the note are written, each with an
//! `Idempotency-Key` derived from the job id, so a retried job changes the chart once.

use crate::api::{Api, DiagnosisJson, EncounterJson, NoteJson, WriteAck};
use crate::mapping::{self, is_exam_section, DIAGNOSES_SECTION, NOTES_SECTION};
use ehr_adapter_sdk::mapping::{MappedValue, Plan};
use ehr_adapter_sdk::prelude::*;
use ehr_adapter_sdk::{Diagnosis, FieldWarning, WarningKind};

/// Writes `snapshot` into its encounter and reports every field.
pub fn write_encounter(snapshot: &EncounterSnapshot) -> Result<WriteResult, AdapterError> {
    let api = Api::from_config()?;
    let encounter_id = snapshot.encounter_id.as_str();

    // 1. Whose chart is this? Checked before anything else, including the lock, so a
    //    wrong id is reported as what it is.
    let encounter = api.encounter(encounter_id)?;
    confirm_patient(&api, snapshot, &encounter)?;

    // 2. Signed encounters are closed to changes; the EHR would refuse with 409 anyway,
    //    but only after earlier sections had been written.
    if !encounter.is_open() {
        return Err(AdapterError::EncounterLocked(format!(
            "encounter {encounter_id} is {} and cannot be changed; nothing was written",
            encounter.status
        )));
    }

    // 3. Plan, then make sure the EHR's template still has every field the plan writes.
    let template = api.template(&encounter.template_id)?;
    let mut plan = mapping::mapping().apply(snapshot);
    let diagnoses = shape_diagnoses(&mut plan);
    let missing: Vec<&str> = plan
        .lines()
        .filter(|l| is_exam_section(&l.section))
        .map(|l| l.name.as_str())
        .filter(|name| !template.fields.iter().any(|f| f == name))
        .collect();
    if !missing.is_empty() {
        return Err(AdapterError::TemplateMismatch(format!(
            "template {} ({}) of encounter {encounter_id} has no field {}; the EHR's template \
             changed and this adapter's mapping must be updated; nothing was written",
            template.id,
            template.name,
            missing.join(", ")
        )));
    }
    if !snapshot.template.id.is_empty() && snapshot.template.id != template.id {
        // Not fatal: scoping by the snapshot's template already happened, and every field
        // written is in the encounter's template. Worth a look, though.
        log::warn(&format!(
            "job {}: the snapshot names template {} but encounter {encounter_id} uses {}",
            snapshot.job_id, snapshot.template.id, template.id
        ));
    }

    // 4. Write. Any failure stops the job with its typed error; sections already written
    //    are replayed, not re-applied, when the host retries the same job id.
    let mut acks: Vec<WriteAck> = Vec::new();
    for section in plan.sections() {
        if !is_exam_section(&section) {
            continue;
        }
        let body = plan.section_json(&section);
        let key = format!("{}:{section}", snapshot.job_id);
        acks.push(api.put_section(encounter_id, &section, &body, &key)?);
    }
    if let Some(shaped) = &diagnoses {
        let key = format!("{}:diagnoses", snapshot.job_id);
        acks.push(api.put_diagnoses(encounter_id, &shaped.list, &key)?);
    }
    if let Some(note) = note_text(&plan) {
        let key = format!("{}:notes", snapshot.job_id);
        acks.push(api.post_note(encounter_id, &NoteJson { text: note }, &key)?);
    }

    // 5. Replayed only when the EHR said so for every write: a partly replayed job
    //    (an earlier attempt failed half-way) did change the chart now.
    let replayed = !acks.is_empty() && acks.iter().all(|a| a.replayed);
    log::info(&format!(
        "job {}: wrote {} request(s) to encounter {encounter_id}{}",
        snapshot.job_id,
        acks.len(),
        if replayed { " (all replayed)" } else { "" }
    ));
    let mut result = plan.into_write_result(Some(encounter_id.to_string()), replayed);
    if let Some(shaped) = diagnoses {
        if let Some(line) = result
            .fields
            .iter_mut()
            .find(|f| f.field == "diagnoses" && matches!(f.status, FieldStatus::Written))
        {
            line.warnings.extend(shaped.warnings);
        }
    }
    Ok(result)
}

/// The wrong-patient guard: the encounter must belong to the snapshot's patient id, and
/// that patient's last name and date of birth in the EHR must match the scribe's. Any
/// doubt refuses the write. Messages name ids only; names and birth dates are PHI and
/// error text ends up in logs and dashboards.
fn confirm_patient(
    api: &Api,
    snapshot: &EncounterSnapshot,
    encounter: &EncounterJson,
) -> Result<(), AdapterError> {
    let want = &snapshot.patient;
    if encounter.patient_id != want.id {
        return Err(AdapterError::WrongPatient(format!(
            "encounter {} belongs to patient {}, not to patient {}; nothing was written",
            snapshot.encounter_id, encounter.patient_id, want.id
        )));
    }
    let patient = api.patient(&want.id)?;
    if patient.id != want.id {
        return Err(AdapterError::WrongPatient(format!(
            "the EHR answered patient {} when asked for patient {}; nothing was written",
            patient.id, want.id
        )));
    }
    if ehr_adapter_sdk::text::name_key(&patient.last_name)
        != ehr_adapter_sdk::text::name_key(&want.last_name)
    {
        return Err(AdapterError::WrongPatient(format!(
            "patient {}'s last name in the EHR does not match the snapshot's; check the \
             patient id; nothing was written",
            want.id
        )));
    }
    match patient.date_of_birth.as_deref().map(date_part) {
        Some(dob) if !dob.is_empty() && dob == date_part(&want.date_of_birth) => Ok(()),
        Some(dob) if !dob.is_empty() => Err(AdapterError::WrongPatient(format!(
            "patient {}'s date of birth in the EHR does not match the snapshot's; check the \
             patient id; nothing was written",
            want.id
        ))),
        // Without a birth date the second identifier cannot be checked. Fail closed: a
        // person confirms the chart (and records the birth date) before anything is written.
        _ => Err(AdapterError::WrongPatient(format!(
            "patient {} has no date of birth in the EHR, so the chart cannot be confirmed \
             as the snapshot's patient; record it in the EHR and retry; nothing was written",
            want.id
        ))),
    }
}

/// The `YYYY-MM-DD` part of a date or date-time.
fn date_part(s: &str) -> &str {
    let s = s.trim();
    s.get(..10).unwrap_or(s)
}

/// The diagnosis list shaped for the EHR, and the warnings for its report line.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapedDiagnoses {
    /// The body of `PUT .../diagnoses`.
    pub list: Vec<DiagnosisJson>,
    /// Changes made on the way (characters replaced, descriptions cut).
    pub warnings: Vec<FieldWarning>,
}

/// Shapes the planned `diagnoses` value into the EHR's body. A list the EHR cannot
/// accept as a whole (a value that is not diagnoses, a malformed code, two primaries) is
/// skipped as `invalid-value` here, before any write, rather than refused by the EHR
/// after the exam sections are already in.
pub fn shape_diagnoses(plan: &mut Plan) -> Option<ShapedDiagnoses> {
    let value = plan
        .section(DIAGNOSES_SECTION)
        .first()
        .map(|l| l.value.clone())?;
    match shape(&value) {
        Ok(shaped) => Some(shaped),
        Err(detail) => {
            plan.skip_section(DIAGNOSES_SECTION, SkipReason::InvalidValue, &detail);
            None
        }
    }
}

fn shape(value: &MappedValue) -> Result<ShapedDiagnoses, String> {
    // The SDK's raw rules pass any kind of value through; only a diagnosis list fits.
    let MappedValue::Raw(FieldValue::Diagnoses(diagnoses)) = value else {
        return Err("expected a list of diagnoses".to_string());
    };
    let primaries = diagnoses.iter().filter(|d| d.primary).count();
    if primaries > 1 {
        return Err(format!(
            "{primaries} diagnoses are marked primary; the EHR accepts at most one"
        ));
    }
    let mut replaced: Vec<char> = Vec::new();
    let mut cut = 0usize;
    let mut list = Vec::with_capacity(diagnoses.len());
    for d in diagnoses {
        list.push(shape_one(d, &mut replaced, &mut cut)?);
    }
    let mut warnings = Vec::new();
    if !replaced.is_empty() {
        let chars: Vec<String> = replaced.iter().map(|c| format!("'{c}'")).collect();
        warnings.push(FieldWarning {
            kind: WarningKind::CharactersReplaced,
            message: format!(
                "replaced characters the EHR cannot store in diagnosis descriptions: {}",
                chars.join(" ")
            ),
        });
    }
    if cut > 0 {
        warnings.push(FieldWarning {
            kind: WarningKind::Truncated,
            message: format!(
                "{cut} diagnosis description(s) cut to {} characters (the EHR's limit)",
                mapping::DIAGNOSIS_DESCRIPTION_MAX
            ),
        });
    }
    Ok(ShapedDiagnoses { list, warnings })
}

fn shape_one(
    d: &Diagnosis,
    replaced: &mut Vec<char>,
    cut: &mut usize,
) -> Result<DiagnosisJson, String> {
    // Codes are case-insensitive in ICD-10-CM; the EHR wants them upper-case.
    let code = d.code.trim().to_ascii_uppercase();
    if !is_icd10(&code) {
        return Err(format!(
            "`{}` is not an ICD-10-CM code the EHR accepts",
            d.code
        ));
    }
    let (mut description, chars) = ehr_adapter_sdk::text::to_ascii(d.description.trim());
    for c in chars {
        if !replaced.contains(&c) {
            replaced.push(c);
        }
    }
    if description.chars().count() > mapping::DIAGNOSIS_DESCRIPTION_MAX {
        description = description
            .chars()
            .take(mapping::DIAGNOSIS_DESCRIPTION_MAX)
            .collect();
        *cut += 1;
    }
    Ok(DiagnosisJson {
        icd10: code,
        description: (!description.is_empty()).then_some(description),
        eye: d.laterality.eye_code(),
        primary: d.primary,
    })
}

/// The shape of an ICD-10-CM code: a letter other than U, a digit, a digit or letter,
/// then optionally a dot and one to four digits or letters (`H40.1131`, `H401131`, `E11.9`).
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

/// The planned note text, if the snapshot has one.
fn note_text(plan: &Plan) -> Option<String> {
    plan.section(NOTES_SECTION)
        .first()
        .and_then(|l| match &l.value {
            MappedValue::Text(t) => Some(t.clone()),
            _ => None,
        })
}
