//! The intake API for the scribe platform (`/api/v1`): submit a practice's write job,
//! follow it (status with the per-field report), retry, cancel, list, and see the
//! practice's agents. Each request carries a practice's API key (`Authorization: Bearer
//! ehk_…`) and sees that practice's jobs and agents only: another practice's job is
//! answered 404, as if it did not exist. Malformed snapshots are refused with every bad
//! field named (the same intake as everywhere: [`crate::jobs::submit`]). Each practice
//! has a request rate; beyond it the answer is 429 with `Retry-After`. The reference is
//! `openapi.json` beside this file, served at `/api/v1/openapi.json`.

mod auth;
mod handlers;

use super::state::Hub;
use super::store::HubStore;
use crate::jobs::Queue;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// The API reference (OpenAPI 3).
pub const OPENAPI: &str = include_str!("openapi.json");

/// Every route, as (method, path) in OpenAPI's notation: the router serves exactly these
/// and the reference documents exactly these (a test holds both to it).
pub const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/v1/jobs"),
    ("get", "/api/v1/jobs"),
    ("get", "/api/v1/jobs/{id}"),
    ("post", "/api/v1/jobs/{id}/retry"),
    ("post", "/api/v1/jobs/{id}/cancel"),
    ("get", "/api/v1/agents"),
    ("get", "/api/v1/openapi.json"),
];

/// The intake routes.
pub fn router<Q: Queue + 'static, S: HubStore>(hub: Arc<Hub<Q, S>>) -> Router {
    let body_limit = crate::snapshot::limits::MAX_SNAPSHOT_BYTES + 64 * 1024;
    Router::new()
        .route(
            "/api/v1/jobs",
            post(handlers::submit::<Q, S>).get(handlers::list::<Q, S>),
        )
        .route("/api/v1/jobs/{id}", get(handlers::show::<Q, S>))
        .route("/api/v1/jobs/{id}/retry", post(handlers::retry::<Q, S>))
        .route("/api/v1/jobs/{id}/cancel", post(handlers::cancel::<Q, S>))
        .route("/api/v1/agents", get(handlers::agents::<Q, S>))
        .route("/api/v1/openapi.json", get(openapi))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(hub)
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// An error answer: what happened, and every detail.
pub fn error(status: StatusCode, message: impl Into<String>, details: Vec<String>) -> Response {
    (
        status,
        Json(json!({"error": message.into(), "details": details})),
    )
        .into_response()
}

/// `429` with `Retry-After`.
pub fn too_many(wait: Duration) -> Response {
    let secs = super::ratelimit::retry_after_seconds(wait);
    let mut r = error(
        StatusCode::TOO_MANY_REQUESTS,
        format!("too many requests for this practice: wait {secs}s and try again"),
        vec![],
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    r
}

#[cfg(test)]
mod tests {
    // The reference documents exactly the routes served.
    #[test]
    fn openapi_documents_every_route() {
        let doc: serde_json::Value = serde_json::from_str(super::OPENAPI).unwrap();
        assert_eq!(
            doc["openapi"].as_str().unwrap().split('.').next(),
            Some("3")
        );
        let mut documented: Vec<(String, String)> = vec![];
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for method in ops
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| *k != "parameters")
            {
                documented.push((method.clone(), path.clone()));
            }
        }
        let mut served: Vec<(String, String)> = super::ROUTES
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        documented.sort();
        served.sort();
        assert_eq!(documented, served);
    }
}
