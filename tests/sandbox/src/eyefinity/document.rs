//! The visit's clinical document: `/ehr/v2/visits/{id}/document`. A `PUT` replaces the
//! whole document and creates a new revision; it requires an `Idempotency-Key`, so a
//! retried save returns the stored revision instead of creating another.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use serde_json::{json, Map, Value};

use super::data::EyefinityData;
use super::elements::{self, current_id, DIAGNOSIS_TEXT_MAX, NOTE_MAX};
use crate::error::{ApiError, FieldError};
use crate::gateway::TemplateChanged;
use crate::revolution::rules::is_icd10;
use crate::shared::Shared;
use crate::state::{Diagnosis, Note};

const TOP_LEVEL: [&str; 3] = ["elements", "diagnoses", "note"];
const DIAGNOSIS_KEYS: [&str; 4] = ["code", "text", "eye", "primary"];

/// `PUT`: validates the whole document against the visit's form and stores it as a new
/// revision, or refuses it whole.
pub(super) async fn put(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    changed: Option<Extension<TemplateChanged>>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    if !headers.contains_key(crate::idempotency::KEY_HEADER) {
        return Err(ApiError::bad_request(
            "Idempotency-Key is required on document saves",
        ));
    }
    let mut data = shared.eyefinity();
    let form_elements = writable_visit(&data, &id)?;
    let Ok(Value::Object(doc)) = serde_json::from_slice::<Value>(&body) else {
        return Err(ApiError::bad_request(
            "body must be a JSON object {elements, diagnoses, note}",
        ));
    };
    let unknown: Vec<FieldError> = doc
        .keys()
        .filter(|k| !TOP_LEVEL.contains(&k.as_str()))
        .map(|k| FieldError::new(k, format!("Unknown field {k}")))
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::unprocessable("unknown_field", unknown));
    }
    let elements = check_elements(doc.get("elements"), &form_elements, changed.is_some())?;
    let diagnoses = check_diagnoses(doc.get("diagnoses"))?;
    let note = check_note(doc.get("note"))?;

    let record = data.records.entry(id.clone()).or_default();
    record.sections = [("elements".to_string(), Value::Object(elements))].into();
    record.diagnoses = diagnoses;
    record.notes = note
        .map(|text| Note {
            id: format!("{id}-r{}", record.revision + 1),
            text,
            created_at: crate::timestamp::now_rfc3339(),
        })
        .into_iter()
        .collect();
    record.revision += 1;
    record.applied_writes += 1;
    Ok(Json(json!({
        "visitId": id,
        "revision": record.revision,
        "savedAt": crate::timestamp::now_rfc3339(),
    })))
}

/// `GET`: the current document and its revision (0 and empty before the first save), so a
/// client can read back what landed.
pub(super) async fn get(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let data = shared.eyefinity();
    let record = data
        .records
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("Visit {id} not found")))?;
    Ok(Json(json!({
        "visitId": id,
        "revision": record.revision,
        "elements": record.sections.get("elements").cloned().unwrap_or_else(|| json!({})),
        "diagnoses": record.diagnoses.iter().map(|d| json!({
            "code": d.icd10, "text": d.description, "eye": d.eye, "primary": d.primary,
        })).collect::<Vec<_>>(),
        "note": record.notes.first().map(|n| n.text.clone()),
    })))
}

/// The element ids of the visit's form, if the visit exists and is not locked.
fn writable_visit(data: &EyefinityData, id: &str) -> Result<Vec<&'static str>, ApiError> {
    let visit = data
        .visits
        .get(id)
        .ok_or_else(|| ApiError::not_found(format!("Visit {id} not found")))?;
    if visit.locked {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "visit_locked",
            format!("Visit {id} is finalized and locked"),
        ));
    }
    let form = data
        .forms
        .get(&visit.form_version)
        .ok_or_else(|| ApiError::not_found(format!("Form {} not found", visit.form_version)))?;
    Ok(form.elements.clone())
}

/// Checks the elements against the form (as currently named) and their rules; answers
/// them keyed by canonical id.
fn check_elements(
    value: Option<&Value>,
    form: &[&'static str],
    changed: bool,
) -> Result<Map<String, Value>, ApiError> {
    let Some(value) = value else {
        return Ok(Map::new());
    };
    let Value::Object(given) = value else {
        return Err(ApiError::bad_request("elements must be an object"));
    };
    let mut unknown = Vec::new();
    let mut invalid = Vec::new();
    let mut out = Map::new();
    for (name, v) in given {
        match form.iter().find(|e| current_id(e, changed) == name) {
            None => unknown.push(FieldError::new(
                name,
                format!("Unknown element {name} for this visit's form"),
            )),
            Some(canonical) => {
                let rule = elements::rule(canonical).expect("form elements have rules");
                match rule.check(v) {
                    Ok(()) => {
                        out.insert(canonical.to_string(), v.clone());
                    }
                    Err(m) => invalid.push(FieldError::new(name, m)),
                }
            }
        }
    }
    if !unknown.is_empty() {
        return Err(ApiError::unprocessable("unknown_element", unknown));
    }
    if !invalid.is_empty() {
        return Err(ApiError::unprocessable("validation_failed", invalid));
    }
    Ok(out)
}

fn check_diagnoses(value: Option<&Value>) -> Result<Vec<Diagnosis>, ApiError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::bad_request("diagnoses must be an array")),
    };
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Value::Object(item) = item else {
            errors.push(FieldError::new(
                format!("diagnoses[{i}]"),
                "must be an object",
            ));
            continue;
        };
        if let Some(k) = item.keys().find(|k| !DIAGNOSIS_KEYS.contains(&k.as_str())) {
            errors.push(FieldError::new(
                format!("diagnoses[{i}].{k}"),
                format!("Unknown field {k}"),
            ));
            continue;
        }
        let code = item.get("code").and_then(Value::as_str).unwrap_or("");
        if !is_icd10(code) {
            errors.push(FieldError::new(
                format!("diagnoses[{i}].code"),
                "must be an ICD-10 code like H40.1131",
            ));
            continue;
        }
        let text = item.get("text").and_then(Value::as_str).map(str::to_owned);
        if text
            .as_ref()
            .is_some_and(|t| t.chars().count() > DIAGNOSIS_TEXT_MAX)
        {
            errors.push(FieldError::new(
                format!("diagnoses[{i}].text"),
                format!("must be at most {DIAGNOSIS_TEXT_MAX} characters"),
            ));
            continue;
        }
        let eye = match item.get("eye") {
            None | Some(Value::Null) => None,
            Some(Value::String(e)) if ["R", "L", "B"].contains(&e.as_str()) => Some(e.clone()),
            Some(_) => {
                errors.push(FieldError::new(
                    format!("diagnoses[{i}].eye"),
                    "must be R, L, B or null",
                ));
                continue;
            }
        };
        out.push(Diagnosis {
            icd10: code.to_string(),
            description: text,
            eye,
            primary: item
                .get("primary")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        });
    }
    if out.iter().filter(|d| d.primary).count() > 1 {
        errors.push(FieldError::new(
            "diagnoses",
            "at most one diagnosis may be primary",
        ));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::unprocessable("validation_failed", errors))
    }
}

fn check_note(value: Option<&Value>) -> Result<Option<String>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= NOTE_MAX => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(ApiError::unprocessable(
            "validation_failed",
            vec![FieldError::new(
                "note",
                format!("must be at most {NOTE_MAX} characters"),
            )],
        )),
        Some(_) => Err(ApiError::bad_request("note must be a string or null")),
    }
}
