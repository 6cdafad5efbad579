//! Exam section writes and reads: `/api/v1/encounters/{id}/exam/{section}`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde_json::{json, Map, Value};

use super::sections::{self, Refusal, Section};
use super::{parse_json, writable_encounter};
use crate::error::ApiError;
use crate::gateway::TemplateChanged;
use crate::shared::Shared;

fn known_section(name: &str) -> Result<&'static Section, ApiError> {
    sections::find(name).ok_or_else(|| ApiError::not_found(format!("Unknown exam section {name}")))
}

/// `PUT`: merges the given fields into the stored section, or refuses the whole body.
pub(super) async fn put_section(
    State(shared): State<Arc<Shared>>,
    Path((id, section_name)): Path<(String, String)>,
    changed: Option<Extension<TemplateChanged>>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let mut data = shared.revolution();
    let encounter = data
        .encounters
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("Encounter {id} not found")))?;
    let section = known_section(&section_name)?;
    writable_encounter(&data, &id)?;
    let template_id = encounter.template_id.clone();
    let Value::Object(fields) = parse_json(&body)? else {
        return Err(ApiError::bad_request(
            "body must be a JSON object of field name to value",
        ));
    };
    let template = data
        .templates
        .get(&template_id)
        .ok_or_else(|| ApiError::not_found(format!("Template {template_id} not found")))?;
    match section.check(&fields, &template.fields, &template_id, changed.is_some()) {
        Ok(()) => {}
        Err(Refusal::UnknownFields(errors)) => {
            return Err(ApiError::unprocessable("unknown_field", errors))
        }
        Err(Refusal::Invalid(errors)) => {
            return Err(ApiError::unprocessable("validation_failed", errors))
        }
    }

    let record = data.records.entry(id).or_default();
    let stored = record
        .sections
        .entry(section.name.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(stored) = stored {
        stored.extend(fields);
    }
    let stored = stored.clone();
    record.applied_writes += 1;
    Ok(Json(json!({
        "section": section.name,
        "fields": stored,
        "updatedAt": crate::timestamp::now_rfc3339(),
    })))
}

/// `GET`: the section's stored fields (`{}` if never written), so a client can check
/// whether an uncertain write landed.
pub(super) async fn get_section(
    State(shared): State<Arc<Shared>>,
    Path((id, section_name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let data = shared.revolution();
    let record = data
        .records
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("Encounter {id} not found")))?;
    let section = known_section(&section_name)?;
    let fields = record
        .sections
        .get(section.name)
        .cloned()
        .unwrap_or_else(|| json!({}));
    Ok(Json(json!({"section": section.name, "fields": fields})))
}
