//! The Eyefinity-style dialect: one clinical document per visit, written whole.
//! `EYEFINITY-API.md` beside the crate is the contract these modules implement.

mod cases;
mod data;
mod document;
mod elements;
mod lookups;
mod practice;
mod schedule;
mod seed;

use std::sync::Arc;

use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;

use crate::error::ApiError;
use crate::shared::Shared;

pub(crate) use data::EyefinityData;

/// The whole sandbox router for this dialect: API, OAuth2 and control routes, wrapped in
/// the gateway that injects faults and logs requests.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    // Layers run outside-in: authentication first, then idempotency, so a replay still
    // needs a valid token.
    let api = Router::new()
        .route("/ehr/v2/status", get(lookups::status))
        .route("/ehr/v2/patients/{id}", get(lookups::patient))
        .route("/ehr/v2/visits/{id}", get(lookups::visit))
        .route("/ehr/v2/forms/{version}", get(lookups::form))
        .route(
            "/ehr/v2/visits/{id}/document",
            get(document::get).put(document::put),
        )
        .route("/ehr/v2/schedule", get(schedule::list))
        .route("/ehr/v2/providers", get(practice::providers))
        .route("/ehr/v2/staff", get(practice::staff))
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
        .route("/oauth2/token", post(crate::auth::token))
        .merge(crate::control::router())
        .fallback(|| async { ApiError::not_found("No such endpoint") })
        .layer(from_fn_with_state(shared.clone(), crate::gateway::gateway))
        .with_state(shared)
}

/// Whether the `TemplateChanged` fault affects this request: form reads and document
/// writes are where a renamed element shows.
pub(crate) fn is_template_sensitive(method: &Method, path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/ehr/v2/") else {
        return false;
    };
    let segments: Vec<&str> = rest.split('/').collect();
    match segments.as_slice() {
        ["forms", _] => method == Method::GET,
        ["visits", _, "document"] => method == Method::PUT,
        _ => false,
    }
}
