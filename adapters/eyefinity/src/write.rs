//! The write flow: one snapshot into one Eyefinity visit document, in the SDK's order
//! (`ehr_adapter_sdk::write::guarded`):
//!
//! 1. the visit is read, and the SDK's identity guard checks its patient block carries
//!    the snapshot's patient (id, family and given name, birth date) and that it is not
//!    locked → otherwise `wrong-patient` / `encounter-locked`;
//! 2. the visit's form is read: elements it does not have are skipped as
//!    `outside-template` (a brief form), and a form whose element ids changed is
//!    `template-mismatch` (a renamed element is never silently dropped);
//! 3. a refusal of 1 or 2 stands only if this job has not landed already: the visit's
//!    document is read back, and one that is exactly this job's document means the job
//!    succeeded (`replayed`);
//! 4. the whole document (elements, diagnoses, note) is saved with one `PUT` keyed
//!    `{job id}:encounter`: a job re-run after a save whose answer was lost gets the
//!    stored revision back instead of a second save. Elements the EHR refuses by id are
//!    skipped with its message and the document saved without them.

use crate::api::{Api, DiagnosisJson, DocumentJson, VisitJson};
use crate::mapping::{self, DIAGNOSES, DIAGNOSIS_RULES, ELEMENTS, NOTE};
use ehr_adapter_sdk::identity::{self, EhrEncounter, EhrPatient};
use ehr_adapter_sdk::prelude::*;
use ehr_adapter_sdk::rest::idempotency_key;
use ehr_adapter_sdk::write::parts::{write_parts, Part};
use ehr_adapter_sdk::write::readback::includes;
use ehr_adapter_sdk::write::{guarded, Landed};
use std::cell::Cell;

/// The name of the one request (and the idempotency key's part).
const PART: &str = "encounter";

/// Writes `snapshot` into its visit's document and reports every field.
pub fn write_encounter(s: &EncounterSnapshot) -> Result<WriteResult, AdapterError> {
    let api = Api::from_config()?;
    let id = s.encounter_id.as_str();
    let visit = api.visit(id)?;
    let mut plan = mapping::mapping().apply(s);
    plan.shape_diagnoses(DIAGNOSES, &DIAGNOSIS_RULES);
    guarded(
        &s.job_id,
        plan,
        |plan| guard(&api, s, &visit, plan),
        |plan| landed(&api, id, plan),
        |mut plan| {
            let revision = Cell::new(None);
            let part = Part::of(PART, &[ELEMENTS, DIAGNOSES, NOTE]);
            let progress = write_parts(&s.job_id, &mut plan, &[part], |_, plan| {
                let saved =
                    api.put_document(id, &document(plan), &idempotency_key(&s.job_id, PART))?;
                revision.set(Some(saved.revision));
                Ok(saved.replayed)
            })?;
            let record = revision
                .get()
                .map_or(id.to_string(), |r| format!("{id}@{r}"));
            Ok(plan.into_write_result(Some(record), progress.all_replayed()))
        },
    )
}

/// Steps 1 and 2: identity and lock, then the visit's form.
fn guard(
    api: &Api,
    s: &EncounterSnapshot,
    visit: &VisitJson,
    plan: &mut Plan,
) -> Result<(), AdapterError> {
    let p = &visit.patient;
    let ehr = EhrEncounter {
        id: &s.encounter_id,
        patient: EhrPatient {
            id: &p.patient_id,
            first_name: p.given.as_deref(),
            last_name: p.family.as_deref(),
            date_of_birth: p.birth_date.as_deref(),
        },
        locked: visit.locked,
        date: visit.date.as_deref(),
        template_id: Some(&visit.form_version),
    };
    let identity = identity::check(s, &ehr);
    if let Err(wrong @ AdapterError::WrongPatient(_)) = identity {
        return Err(wrong);
    }
    // Scoped even when the visit is locked: a landed job is recognised by the document it
    // saved, which on a brief form held only the form's elements. A lock still wins over
    // any problem with the form.
    let scoped = api.form(&visit.form_version).and_then(|form| {
        plan.scope_to_template(&visit.form_version, &form.elements, |section| {
            section == ELEMENTS
        })
    });
    identity::log_notices(&s.job_id, &s.encounter_id, &identity?);
    scoped
}

/// The whole document as the plan stands.
fn document(plan: &Plan) -> DocumentJson {
    let list = plan.diagnoses(DIAGNOSES).unwrap_or_default();
    DocumentJson {
        elements: plan.section_json(ELEMENTS),
        diagnoses: list.iter().map(DiagnosisJson::from).collect(),
        note: plan.text(NOTE).map(str::to_string),
    }
}

/// Step 3: has this job landed? The visit's document is exactly the one this job saves
/// (a save replaces the whole document, so anything else means it has not).
fn landed(api: &Api, id: &str, plan: &Plan) -> Result<Option<Landed>, AdapterError> {
    if plan.lines().next().is_none() {
        return Ok(None);
    }
    let stored = api.document(id)?;
    let want = document(plan);
    let same = stored.revision > 0
        && includes(
            &serde_json::json!(stored.document),
            &serde_json::json!(want),
        )
        && stored.document.elements.len() == want.elements.len();
    Ok(same.then(|| Landed {
        record_id: Some(format!("{id}@{}", stored.revision)),
    }))
}
