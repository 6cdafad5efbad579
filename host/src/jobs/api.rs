//! The local job API: submit and inspect jobs over HTTP on loopback, for the scribe
//! platform's connector on the same machine. Every request needs the bearer token kept in
//! `<home>/api.token` (created, readable by the owner only, on first start).
//!
//! | request | answer |
//! |---|---|
//! | `POST /v1/jobs` `{"ehr": "...", "snapshot": {...}}` | 201 `{"id"}`; 400 with every invalid field; 409 for a used job id |
//! | `GET /v1/jobs[?status=failed]` | 200 list |
//! | `GET /v1/jobs/{id}` | 200 job with its report or failure; 404 |
//! | `POST /v1/jobs/{id}/retry`, `POST /v1/jobs/{id}/cancel` | 204; 409 when the state forbids it; 404 |

use super::lifecycle::Status;
use super::queue::{NewJob, Queue, QueueError};
use super::seal::Sealer;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

struct Api<Q> {
    queue: Arc<Q>,
    sealer: Arc<Sealer>,
    token: String,
}

/// The API's routes over `queue`, guarded by `token`.
pub fn router<Q: Queue + 'static>(queue: Arc<Q>, sealer: Arc<Sealer>, token: String) -> Router {
    let api = Arc::new(Api {
        queue,
        sealer,
        token,
    });
    Router::new()
        .route("/v1/jobs", post(submit::<Q>).get(list::<Q>))
        .route("/v1/jobs/{id}", get(show::<Q>))
        .route("/v1/jobs/{id}/retry", post(retry::<Q>))
        .route("/v1/jobs/{id}/cancel", post(cancel::<Q>))
        .with_state(api)
}

/// The token in `path`, created (random, owner-only) when absent.
pub fn load_or_create_token(path: &std::path::Path) -> anyhow::Result<String> {
    let token = crate::fsutil::read_or_create_secret(path, || {
        let mut raw = [0u8; 24];
        getrandom::fill(&mut raw).map_err(|e| anyhow::anyhow!("no randomness available: {e}"))?;
        Ok(format!("{}\n", hex::encode(raw)).into_bytes())
    })?;
    Ok(token.trim().to_string())
}

fn error(status: StatusCode, message: impl Into<String>, details: Vec<String>) -> Response {
    (
        status,
        Json(json!({"error": message.into(), "details": details})),
    )
        .into_response()
}

fn authorized<Q>(api: &Api<Q>, headers: &HeaderMap) -> bool {
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    given.is_some_and(|t| constant_time_eq(t.as_bytes(), api.token.as_bytes()))
}

fn unauthorized() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "missing or wrong API token: send `Authorization: Bearer <token from api.token in the host's home>`",
        vec![],
    )
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn queue_error(e: QueueError) -> Response {
    let status = match &e {
        QueueError::NotFound(_) => StatusCode::NOT_FOUND,
        QueueError::Duplicate(_) | QueueError::Transition { .. } | QueueError::LostClaim { .. } => {
            StatusCode::CONFLICT
        }
        QueueError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    error(status, e.to_string(), vec![])
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Submit {
    ehr: String,
    snapshot: Value,
}

async fn submit<Q: Queue>(
    State(api): State<Arc<Api<Q>>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if !authorized(&api, &headers) {
        return unauthorized();
    }
    let req: Submit = match serde_json::from_str(&body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("not a job submission: {e}"),
                vec![],
            )
        }
    };
    let text = req.snapshot.to_string();
    let snapshot = match crate::snapshot::parse(&text) {
        Ok(s) => s,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "the snapshot is not valid, nothing was accepted",
                e.0,
            )
        }
    };
    let id = snapshot.job_id;
    let payload = match api.sealer.seal(&id, text.as_bytes()) {
        Ok(p) => p,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), vec![]),
    };
    match api
        .queue
        .submit(NewJob {
            id: id.clone(),
            ehr: req.ehr,
            payload,
        })
        .await
    {
        Ok(()) => (StatusCode::CREATED, Json(json!({"id": id}))).into_response(),
        Err(e) => queue_error(e),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
}

async fn list<Q: Queue>(
    State(api): State<Arc<Api<Q>>>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    if !authorized(&api, &headers) {
        return unauthorized();
    }
    let status = match q.status.as_deref().map(|s| (s, Status::parse(s))) {
        Some((s, None)) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("`{s}` is not a job status"),
                vec![],
            )
        }
        Some((_, st)) => st,
        None => None,
    };
    match api.queue.list(status).await {
        Ok(jobs) => Json(json!(jobs)).into_response(),
        Err(e) => queue_error(e),
    }
}

async fn show<Q: Queue>(
    State(api): State<Arc<Api<Q>>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&api, &headers) {
        return unauthorized();
    }
    match api.queue.get(&id).await {
        Ok(j) => {
            let parse = |s: &Option<String>| {
                s.as_deref()
                    .and_then(|t| serde_json::from_str::<Value>(t).ok())
            };
            Json(json!({"job": j, "report": parse(&j.outcome), "error": parse(&j.error)}))
                .into_response()
        }
        Err(e) => queue_error(e),
    }
}

async fn retry<Q: Queue>(
    State(api): State<Arc<Api<Q>>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&api, &headers) {
        return unauthorized();
    }
    match api.queue.retry(&id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => queue_error(e),
    }
}

async fn cancel<Q: Queue>(
    State(api): State<Arc<Api<Q>>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&api, &headers) {
        return unauthorized();
    }
    match api.queue.cancel(&id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => queue_error(e),
    }
}
