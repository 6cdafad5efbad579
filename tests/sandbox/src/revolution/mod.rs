//! The RevolutionEHR-style dialect: its routes, records, seed data and validation.
//! `REVOLUTION-API.md` beside the crate is the contract these modules implement.

mod appointments;
mod cases;
mod data;
mod diagnoses;
mod exam;
mod lookups;
mod notes;
mod practice;
pub(crate) mod rules;
mod sections;
mod seed;

use std::sync::Arc;

use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post, put};
use axum::Router;

use crate::error::ApiError;
use crate::shared::Shared;

pub(crate) use data::RevolutionData;

/// The whole sandbox router for this dialect: API, OAuth and control routes, wrapped in
/// the gateway that injects faults and logs requests.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    // Layers run outside-in: authentication first, then idempotency, so a replay still
    // needs a valid token.
    let api = Router::new()
        .route("/api/v1/ping", get(lookups::ping))
        .route("/api/v1/patients/{id}", get(lookups::patient))
        .route("/api/v1/encounters/{id}", get(lookups::encounter))
        .route("/api/v1/templates/{id}", get(lookups::template))
        .route(
            "/api/v1/encounters/{id}/exam/{section}",
            put(exam::put_section).get(exam::get_section),
        )
        .route(
            "/api/v1/encounters/{id}/diagnoses",
            put(diagnoses::put).get(diagnoses::get),
        )
        .route(
            "/api/v1/encounters/{id}/notes",
            post(notes::append).get(notes::list),
        )
        .route("/api/v1/appointments", get(appointments::list))
        .route("/api/v1/providers", get(practice::providers))
        .route("/api/v1/users", get(practice::users))
        .layer(from_fn_with_state(
            shared.clone(),
            crate::idempotency::layer,
        ))
        .layer(from_fn_with_state(
            shared.clone(),
            crate::auth::require_bearer,
        ));
    Router::new()
        .merge(api)
        .route("/oauth/token", post(crate::auth::token))
        .merge(crate::control::router())
        .fallback(|| async { ApiError::not_found("No such endpoint") })
        .layer(from_fn_with_state(shared.clone(), crate::gateway::gateway))
        .with_state(shared)
}

/// Whether the `TemplateChanged` fault affects this request: template reads and exam
/// section writes are where a renamed field shows.
pub(crate) fn is_template_sensitive(method: &Method, path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/api/v1/") else {
        return false;
    };
    let segments: Vec<&str> = rest.split('/').collect();
    match segments.as_slice() {
        ["templates", _] => method == Method::GET,
        ["encounters", _, "exam", _] => method == Method::PUT,
        _ => false,
    }
}

/// The encounter's id if it exists and may be written to: the check every write starts with.
fn writable_encounter(data: &RevolutionData, id: &str) -> Result<(), ApiError> {
    let encounter = data
        .encounters
        .get(id)
        .ok_or_else(|| ApiError::not_found(format!("Encounter {id} not found")))?;
    if encounter.status == data::EncounterStatus::Signed {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "encounter_signed",
            format!("Encounter {id} is signed and cannot be changed"),
        ));
    }
    Ok(())
}

/// Parses a JSON body, answering 400 with the parser's complaint when it is not JSON.
fn parse_json(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("body is not valid JSON: {e}")))
}
