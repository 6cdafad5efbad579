//! The encounter's diagnosis list: `/api/v1/encounters/{id}/diagnoses`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Map, Value};

use super::rules::{ascii_string, is_icd10};
use super::{parse_json, writable_encounter};
use crate::error::{ApiError, FieldError};
use crate::shared::Shared;
use crate::state::Diagnosis;

const KEYS: [&str; 4] = ["icd10", "description", "eye", "primary"];

/// `PUT`: replaces the whole list, or refuses it whole.
pub(super) async fn put(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let mut data = shared.revolution();
    writable_encounter(&data, &id)?;
    let Value::Array(items) = parse_json(&body)? else {
        return Err(ApiError::bad_request(
            "body must be a JSON array of diagnoses",
        ));
    };

    let mut unknown = Vec::new();
    let mut invalid = Vec::new();
    let mut diagnoses = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Value::Object(item) = item else {
            invalid.push(FieldError::new(format!("[{i}]"), "must be an object"));
            continue;
        };
        for key in item.keys().filter(|k| !KEYS.contains(&k.as_str())) {
            unknown.push(FieldError::new(
                format!("[{i}].{key}"),
                format!("Unknown field {key}"),
            ));
        }
        match parse_diagnosis(item) {
            Ok(d) => diagnoses.push(d),
            Err((field, message)) => {
                invalid.push(FieldError::new(format!("[{i}].{field}"), message))
            }
        }
    }
    if diagnoses.iter().filter(|d| d.primary).count() > 1 {
        invalid.push(FieldError::new(
            "primary",
            "at most one diagnosis may be primary",
        ));
    }
    if !unknown.is_empty() {
        return Err(ApiError::unprocessable("unknown_field", unknown));
    }
    if !invalid.is_empty() {
        return Err(ApiError::unprocessable("validation_failed", invalid));
    }

    let record = data.records.entry(id).or_default();
    record.diagnoses = diagnoses;
    record.applied_writes += 1;
    Ok(Json(json!({"diagnoses": record.diagnoses})))
}

/// Reads one diagnosis, answering the first bad field and why.
fn parse_diagnosis(item: &Map<String, Value>) -> Result<Diagnosis, (&'static str, String)> {
    let icd10 = match item.get("icd10") {
        Some(Value::String(code)) if is_icd10(code) => code.clone(),
        _ => return Err(("icd10", "must be an ICD-10 code like H40.1131".to_string())),
    };
    let description = match item.get("description") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let text = ascii_string(v).map_err(|m| ("description", m))?;
            if text.len() > 500 {
                return Err(("description", "must be at most 500 characters".to_string()));
            }
            Some(text.to_string())
        }
    };
    let eye = match item.get("eye") {
        None | Some(Value::Null) => None,
        Some(Value::String(e)) if ["OD", "OS", "OU"].contains(&e.as_str()) => Some(e.clone()),
        Some(_) => return Err(("eye", "must be OD, OS, OU or null".to_string())),
    };
    let primary = match item.get("primary") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(("primary", "must be true or false".to_string())),
    };
    Ok(Diagnosis {
        icd10,
        description,
        eye,
        primary,
    })
}

/// `GET`: the current list.
pub(super) async fn get(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let data = shared.revolution();
    let record = data
        .records
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("Encounter {id} not found")))?;
    Ok(Json(json!({"diagnoses": record.diagnoses})))
}
