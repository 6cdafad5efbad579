//! Read-only lookups: status, patients, visits, forms.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::data::Patient;
use super::elements::current_id;
use crate::error::ApiError;
use crate::gateway::TemplateChanged;
use crate::shared::Shared;

/// `GET /ehr/v2/status`: lets a client check its credentials and the EHR's reachability.
pub(super) async fn status() -> Json<Value> {
    Json(json!({"state": "up", "build": "Eyefinity sandbox 2.0"}))
}

/// The JSON of a patient: names in a `name` block, contact details in `contact`,
/// insurance in `coverage` (a list, primary first).
pub(super) fn patient_json(p: &Patient) -> Value {
    json!({
        "patientId": p.id,
        "name": {"given": p.given, "family": p.family},
        "birthDate": p.birth_date,
        "contact": {"email": p.email, "phone": p.phone},
        "address": p.address,
        "coverage": p.coverage,
    })
}

/// `GET /ehr/v2/patients/{id}`.
pub(super) async fn patient(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let data = shared.eyefinity();
    let patient = data
        .patients
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("Patient {id} not found")))?;
    Ok(Json(patient_json(patient)))
}

/// `GET /ehr/v2/visits/{id}`: the visit with its patient block, lock flag and form version.
pub(super) async fn visit(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let data = shared.eyefinity();
    let visit = data
        .visits
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("Visit {id} not found")))?;
    let patient = data.patients.get(&visit.patient_id);
    Ok(Json(json!({
        "visitId": visit.id,
        "date": visit.date,
        "providerId": visit.provider_id,
        "formVersion": visit.form_version,
        "locked": visit.locked,
        "patient": {
            "patientId": visit.patient_id,
            "given": patient.map(|p| p.given.clone()),
            "family": patient.map(|p| p.family.clone()),
            "birthDate": patient.and_then(|p| p.birth_date.clone()),
        },
    })))
}

/// `GET /ehr/v2/forms/{version}`: element ids as the EHR currently spells them.
pub(super) async fn form(
    State(shared): State<Arc<Shared>>,
    Path(version): Path<String>,
    changed: Option<Extension<TemplateChanged>>,
) -> Result<Json<Value>, ApiError> {
    let data = shared.eyefinity();
    let form = data
        .forms
        .get(&version)
        .ok_or_else(|| ApiError::not_found(format!("Form {version} not found")))?;
    let elements: Vec<&str> = form
        .elements
        .iter()
        .map(|e| current_id(e, changed.is_some()))
        .collect();
    Ok(Json(
        json!({"formVersion": form.version, "title": form.title, "elements": elements}),
    ))
}
