//! Read-only lookups: ping, patients, encounters, templates.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::sections::current_name;
use crate::error::ApiError;
use crate::gateway::TemplateChanged;
use crate::shared::Shared;

/// `GET /api/v1/ping`: lets a client check its credentials and the EHR's reachability.
pub(super) async fn ping() -> Json<Value> {
    Json(json!({"status": "ok", "version": "RevolutionEHR sandbox 1.0"}))
}

/// `GET /api/v1/patients/{id}`.
pub(super) async fn patient(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let data = shared.revolution();
    let patient = data
        .patients
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("Patient {id} not found")))?;
    Ok(Json(json!(patient)))
}

/// `GET /api/v1/encounters/{id}`.
pub(super) async fn encounter(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let data = shared.revolution();
    let encounter = data
        .encounters
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("Encounter {id} not found")))?;
    Ok(Json(json!(encounter)))
}

/// `GET /api/v1/templates/{id}`: field names as the EHR currently spells them.
pub(super) async fn template(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    changed: Option<Extension<TemplateChanged>>,
) -> Result<Json<Value>, ApiError> {
    let data = shared.revolution();
    let template = data
        .templates
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("Template {id} not found")))?;
    let fields: Vec<&str> = template
        .fields
        .iter()
        .map(|f| current_name(f, changed.is_some()))
        .collect();
    Ok(Json(
        json!({"id": template.id, "name": template.name, "fields": fields}),
    ))
}
