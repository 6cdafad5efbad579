//! The local job API: submit and inspect jobs over HTTP on loopback, for the scribe
//! platform's connector on the same machine. Every request needs the bearer token kept in
//! `<home>/api.token` (created, readable by the owner only, on first start). Jobs read the
//! same here as in `ehr-host jobs show --json` ([`JobView`]).
//!
//! | request | answer |
//! |---|---|
//! | `POST /v1/jobs` `{"ehr": "...", "snapshot": {...}}` | 201 `{"id", "ehr"}`; 400 with every invalid field, or for an EHR not served here; 409 for a used job id; 413 over the size limit |
//! | `GET /v1/jobs[?status=failed]` | 200 list of jobs |
//! | `GET /v1/jobs/{id}` | 200 job with its report or failure; 404 |
//! | `POST /v1/jobs/{id}/retry` | 204; 409 when the state forbids it; 404 |
//! | `POST /v1/jobs/{id}/cancel` | 200 `{"outcome": "cancelled"}`, or 202 `{"outcome": "requested"}` for a job being written (its agent stops before its next write); 409; 404 |

use super::clock::{Clock, SystemClock};
use super::intake::{self, SubmitError};
use super::lifecycle::Status;
use super::queue::{CancelOutcome, Queue, QueueError};
use super::seal::Sealer;
use super::view::JobView;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// The adapters this host serves, asked at each submission.
pub type KnownEhrs = Arc<dyn Fn() -> Vec<String> + Send + Sync>;

/// What the API serves and how.
pub struct ApiConfig<Q> {
    /// The queue.
    pub queue: Arc<Q>,
    /// Seals submitted snapshots.
    pub sealer: Arc<Sealer>,
    /// The bearer token every request must carry.
    pub token: String,
    /// The adapters a job may be submitted for.
    pub known: KnownEhrs,
    /// When a claimed job without progress is flagged stuck.
    pub stuck_after: Duration,
}

/// The API's routes.
pub fn router<Q: Queue + 'static>(config: ApiConfig<Q>) -> Router {
    // The body holds the snapshot plus its envelope; the snapshot's own limit is checked
    // (and named) by the intake, so the transport allows a little more.
    let body_limit = crate::snapshot::limits::MAX_SNAPSHOT_BYTES + 64 * 1024;
    Router::new()
        .route("/v1/jobs", post(submit::<Q>).get(list::<Q>))
        .route("/v1/jobs/{id}", get(show::<Q>))
        .route("/v1/jobs/{id}/retry", post(retry::<Q>))
        .route("/v1/jobs/{id}/cancel", post(cancel::<Q>))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(Arc::new(config))
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

type Api<Q> = State<Arc<ApiConfig<Q>>>;

fn error(status: StatusCode, message: impl Into<String>, details: Vec<String>) -> Response {
    (
        status,
        Json(json!({"error": message.into(), "details": details})),
    )
        .into_response()
}

fn authorized<Q>(api: &ApiConfig<Q>, headers: &HeaderMap) -> bool {
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
        QueueError::Unreadable { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        QueueError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    error(status, e.to_string(), vec![])
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Submit {
    ehr: String,
    snapshot: Box<serde_json::value::RawValue>,
}

async fn submit<Q: Queue>(State(api): Api<Q>, headers: HeaderMap, body: String) -> Response {
    if !authorized(&api, &headers) {
        return unauthorized();
    }
    let req: Submit = match serde_json::from_str(&body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("not a job submission (`{{\"ehr\": ..., \"snapshot\": {{...}}}}`): {e}"),
                vec![],
            )
        }
    };
    let known = (api.known)();
    let snapshot = req.snapshot.get().as_bytes();
    match intake::submit(api.queue.as_ref(), &api.sealer, &known, &req.ehr, snapshot).await {
        Ok(s) => (StatusCode::CREATED, Json(json!(s))).into_response(),
        Err(SubmitError::Invalid(e)) => {
            let status = if snapshot.len() > crate::snapshot::limits::MAX_SNAPSHOT_BYTES {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            error(
                status,
                "the snapshot is not valid, nothing was accepted",
                e.0,
            )
        }
        Err(e @ SubmitError::UnknownEhr { .. }) => {
            error(StatusCode::BAD_REQUEST, e.to_string(), vec![])
        }
        Err(SubmitError::Queue(e)) => queue_error(e),
        Err(e @ SubmitError::Seal(_)) => {
            error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), vec![])
        }
    }
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
}

async fn list<Q: Queue>(
    State(api): Api<Q>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    if !authorized(&api, &headers) {
        return unauthorized();
    }
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => match Status::parse(s) {
            Some(st) => Some(st),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("`{}` is not a job status", crate::untrusted::clean(s, 40)),
                    vec![],
                )
            }
        },
    };
    let now = SystemClock.now_ms();
    match api.queue.list(status).await {
        Ok(jobs) => {
            let views: Vec<JobView> = jobs
                .into_iter()
                .map(|j| JobView::new(j, now, api.stuck_after))
                .collect();
            Json(json!(views)).into_response()
        }
        Err(e) => queue_error(e),
    }
}

async fn show<Q: Queue>(
    State(api): Api<Q>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&api, &headers) {
        return unauthorized();
    }
    match api.queue.get(&id).await {
        Ok(j) => Json(JobView::new(j, SystemClock.now_ms(), api.stuck_after)).into_response(),
        Err(e) => queue_error(e),
    }
}

async fn retry<Q: Queue>(
    State(api): Api<Q>,
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
    State(api): Api<Q>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&api, &headers) {
        return unauthorized();
    }
    match api.queue.cancel(&id).await {
        Ok(outcome) => {
            let status = match outcome {
                CancelOutcome::Cancelled => StatusCode::OK,
                CancelOutcome::Requested => StatusCode::ACCEPTED,
            };
            (status, Json(json!({"id": id, "outcome": outcome}))).into_response()
        }
        Err(e) => queue_error(e),
    }
}
