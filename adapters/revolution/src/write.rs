//! The write flow: one snapshot into one RevolutionEHR encounter, in the SDK's order
//! (`ehr_adapter_sdk::write::guarded`):
//!
//! 1. the encounter (and its patient) are read, and the SDK's identity guard checks it
//!    belongs to the snapshot's patient (id, last and first name, date of birth) and is
//!    open → otherwise `wrong-patient` / `encounter-locked`;
//! 2. the encounter's template is read: fields it does not take are skipped as
//!    `outside-template` (a brief visit), and a template whose field ids changed is
//!    `template-mismatch`;
//! 3. a refusal of 1 or 2 stands only if this job has not landed already: the sections it
//!    would write are read back, and a job whose values are all in the chart is reported
//!    as succeeded (`replayed`);
//! 4. the exam sections, the diagnosis list and the note are written, one request each,
//!    each with the idempotency key `{job id}:{section}`, so a retried job changes the
//!    chart once; a section the EHR refuses field by field has those fields skipped with
//!    the EHR's message and the rest written.

use crate::api::{Api, DiagnosisJson, EncounterJson, PatientJson};
use crate::mapping::{self, is_exam_section, DIAGNOSES_SECTION, DIAGNOSIS_RULES, NOTES_SECTION};
use ehr_adapter_sdk::identity::{self, EhrEncounter, EhrPatient};
use ehr_adapter_sdk::prelude::*;
use ehr_adapter_sdk::rest::idempotency_key;
use ehr_adapter_sdk::write::parts::{write_parts, Part};
use ehr_adapter_sdk::write::readback::includes;
use ehr_adapter_sdk::write::{guarded, Landed};
use serde_json::Value;

/// Writes `snapshot` into its encounter and reports every field.
pub fn write_encounter(s: &EncounterSnapshot) -> Result<WriteResult, AdapterError> {
    let api = Api::from_config()?;
    let id = s.encounter_id.as_str();
    let encounter = api.encounter(id)?;
    // The patient record is only worth reading when the encounter is the patient's.
    let patient = match encounter.patient_id == s.patient.id {
        true => Some(api.patient(&s.patient.id)?),
        false => None,
    };
    let mut plan = mapping::mapping()
        .non_ascii_marker(config::non_ascii_marker()?)
        .apply(s);
    plan.shape_diagnoses(DIAGNOSES_SECTION, &DIAGNOSIS_RULES);
    guarded(
        &s.job_id,
        plan,
        |plan| guard(&api, s, &encounter, patient.as_ref(), plan),
        |plan| landed(&api, id, plan),
        |mut plan| {
            let parts: Vec<Part> = plan.sections().iter().map(|s| Part::section(s)).collect();
            let progress = write_parts(&s.job_id, &mut plan, &parts, |part, plan| {
                send(&api, s, &part.name, plan)
            })?;
            Ok(plan.into_write_result(Some(id.to_string()), progress.all_replayed()))
        },
    )
}

/// Steps 1 and 2: identity and lock, then the encounter's template.
fn guard(
    api: &Api,
    s: &EncounterSnapshot,
    encounter: &EncounterJson,
    patient: Option<&PatientJson>,
    plan: &mut Plan,
) -> Result<(), AdapterError> {
    let ehr = EhrEncounter {
        id: &s.encounter_id,
        patient: EhrPatient {
            id: patient.map_or(&encounter.patient_id, |p| &p.id),
            first_name: patient.map(|p| p.first_name.as_str()),
            last_name: patient.map(|p| p.last_name.as_str()),
            date_of_birth: patient.and_then(|p| p.date_of_birth.as_deref()),
        },
        locked: !encounter.status.eq_ignore_ascii_case("open"),
        date: encounter.date.as_deref(),
        template_id: Some(&encounter.template_id),
    };
    let identity = identity::check(s, &ehr);
    if let Err(wrong @ AdapterError::WrongPatient(_)) = identity {
        return Err(wrong);
    }
    // Scoped even when the encounter is locked: a landed job is recognised by what it
    // wrote, which on a brief template was only the template's fields. A lock still wins
    // over any problem with the template.
    let scoped = api.template(&encounter.template_id).and_then(|template| {
        plan.scope_to_template(&encounter.template_id, &template.fields, is_exam_section)
    });
    identity::log_notices(&s.job_id, &s.encounter_id, &identity?);
    scoped
}

/// Step 4: one request, with its key.
fn send(api: &Api, s: &EncounterSnapshot, part: &str, plan: &Plan) -> Result<bool, AdapterError> {
    let key = idempotency_key(&s.job_id, part);
    let id = &s.encounter_id;
    let ack = match part {
        DIAGNOSES_SECTION => api.put_diagnoses(id, &diagnoses(plan), &key)?,
        NOTES_SECTION => api.post_note(id, plan.text(NOTES_SECTION).unwrap_or_default(), &key)?,
        section => api.put_section(id, section, &plan.section_json(section), &key)?,
    };
    Ok(ack.replayed)
}

fn diagnoses(plan: &Plan) -> Vec<DiagnosisJson> {
    let list = plan.diagnoses(DIAGNOSES_SECTION).unwrap_or_default();
    list.iter().map(DiagnosisJson::from).collect()
}

/// Step 3: has this job landed? Every planned section's values are in the encounter, the
/// diagnosis list is the planned one, and a note with the planned text exists.
fn landed(api: &Api, id: &str, plan: &Plan) -> Result<Option<Landed>, AdapterError> {
    let sections = plan.sections();
    if sections.is_empty() {
        return Ok(None);
    }
    for section in &sections {
        let there = match section.as_str() {
            DIAGNOSES_SECTION => api.diagnoses(id)? == diagnoses(plan),
            NOTES_SECTION => {
                let text = plan.text(NOTES_SECTION).unwrap_or_default();
                api.notes(id)?.iter().any(|n| n == text)
            }
            exam => includes(
                &Value::Object(api.section(id, exam)?),
                &Value::Object(plan.section_json(exam)),
            ),
        };
        if !there {
            return Ok(None);
        }
    }
    Ok(Some(Landed {
        record_id: Some(id.to_string()),
    }))
}
