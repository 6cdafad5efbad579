//! Chart notes: `/api/v1/encounters/{id}/notes`. Appending is not idempotent by nature,
//! which is what makes `Idempotency-Key` matter.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::rules::ascii_string;
use super::{parse_json, writable_encounter};
use crate::error::{ApiError, FieldError};
use crate::shared::Shared;
use crate::state::Note;

const MAX_NOTE: usize = 2000;

/// `POST`: appends a note and answers 201 with its id.
pub(super) async fn append(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut data = shared.revolution();
    writable_encounter(&data, &id)?;
    let Value::Object(body) = parse_json(&body)? else {
        return Err(ApiError::bad_request(
            "body must be a JSON object {\"text\": ...}",
        ));
    };
    let unknown: Vec<FieldError> = body
        .keys()
        .filter(|k| k.as_str() != "text")
        .map(|k| FieldError::new(k, format!("Unknown field {k}")))
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::unprocessable("unknown_field", unknown));
    }
    let text = check_text(body.get("text")).map_err(|m| {
        ApiError::unprocessable("validation_failed", vec![FieldError::new("text", m)])
    })?;

    let note = Note {
        id: format!("N{}", data.next_note_id),
        text,
        created_at: crate::timestamp::now_rfc3339(),
    };
    data.next_note_id += 1;
    let record = data.records.entry(id).or_default();
    record.notes.push(note.clone());
    record.applied_writes += 1;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": note.id, "text": note.text, "createdAt": note.created_at})),
    ))
}

fn check_text(value: Option<&Value>) -> Result<String, String> {
    let text = ascii_string(value.ok_or("is required")?)?;
    if text.trim().is_empty() {
        return Err("must not be empty".into());
    }
    if text.len() > MAX_NOTE {
        return Err(format!("must be at most {MAX_NOTE} characters"));
    }
    Ok(text.to_string())
}

/// `GET`: every note on the encounter, oldest first.
pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let data = shared.revolution();
    let record = data
        .records
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("Encounter {id} not found")))?;
    Ok(Json(json!(record.notes)))
}
