//! The hub's side of the link (`/link/v1`, see `link/PROTOCOL.md`): pairing, signed
//! sessions, heartbeats, the long job poll, lease renewals, results and schedule changes.

mod auth;
mod heartbeat;
mod jobs;
mod pair;
mod result;
mod schedule;

use super::state::Hub;
use super::store::{HubStore, StoreError};
use crate::jobs::{Queue, QueueError};
use crate::link::protocol::{LinkError, LinkErrorKind, PREFIX};
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::Arc;
use std::time::Duration;

/// The link routes.
pub fn router<Q: Queue + 'static, S: HubStore>(hub: Arc<Hub<Q, S>>) -> Router {
    // A result carries a per-field report: bounded, but larger than other bodies.
    let limit = 1024 * 1024;
    Router::new()
        .route(&format!("{PREFIX}/pair"), post(pair::pair::<Q, S>))
        .route(&format!("{PREFIX}/session"), post(auth::session::<Q, S>))
        .route(
            &format!("{PREFIX}/heartbeat"),
            post(heartbeat::heartbeat::<Q, S>),
        )
        .route(&format!("{PREFIX}/jobs"), get(jobs::poll::<Q, S>))
        .route(
            &format!("{PREFIX}/jobs/{{id}}/lease"),
            post(jobs::lease::<Q, S>),
        )
        .route(
            &format!("{PREFIX}/jobs/{{id}}/result"),
            post(result::result::<Q, S>),
        )
        .route(
            &format!("{PREFIX}/schedule"),
            post(schedule::schedule::<Q, S>),
        )
        .layer(DefaultBodyLimit::max(limit))
        .with_state(hub)
}

/// The HTTP status of each link error.
pub fn status_of(kind: LinkErrorKind) -> StatusCode {
    match kind {
        LinkErrorKind::BadRequest | LinkErrorKind::BadCode => StatusCode::BAD_REQUEST,
        LinkErrorKind::Unauthenticated | LinkErrorKind::PairingExpired | LinkErrorKind::Revoked => {
            StatusCode::UNAUTHORIZED
        }
        LinkErrorKind::NotFound => StatusCode::NOT_FOUND,
        LinkErrorKind::LeaseLost => StatusCode::CONFLICT,
        LinkErrorKind::AgentNeedsUpdate => StatusCode::UPGRADE_REQUIRED,
        LinkErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        LinkErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// A link error answer.
pub fn fail(kind: LinkErrorKind, message: impl Into<String>) -> Response {
    let body = LinkError {
        error: kind,
        message: message.into(),
        min_version: None,
    };
    (status_of(kind), Json(body)).into_response()
}

/// `426 agent_needs_update` naming the minimum.
pub fn needs_update(version: &str, min: &semver::Version) -> Response {
    let body = LinkError {
        error: LinkErrorKind::AgentNeedsUpdate,
        message: format!(
            "agent version {} is older than this hub's minimum {min}: update the agent; no jobs are handed out until then",
            crate::untrusted::clean(version, 40)
        ),
        min_version: Some(min.to_string()),
    };
    (StatusCode::UPGRADE_REQUIRED, Json(body)).into_response()
}

/// `429 rate_limited` with `Retry-After`.
pub fn rate_limited(wait: Duration) -> Response {
    let secs = super::ratelimit::retry_after_seconds(wait);
    let mut r = fail(
        LinkErrorKind::RateLimited,
        format!("too many requests from this agent: wait {secs}s"),
    );
    r.headers_mut()
        .insert("retry-after", HeaderValue::from(secs));
    r
}

/// A store failure: `503 unavailable` (the agent retries with backoff).
pub fn store_down(e: StoreError) -> Response {
    match e {
        StoreError::Storage(e) => {
            tracing::error!("hub store: {e}");
            fail(
                LinkErrorKind::Unavailable,
                "the hub's store is unavailable; retry shortly",
            )
        }
        other => fail(LinkErrorKind::BadRequest, other.to_string()),
    }
}

/// A queue failure as a link answer.
pub fn queue_down(e: QueueError) -> Response {
    match e {
        QueueError::NotFound(id) => fail(
            LinkErrorKind::NotFound,
            format!("there is no job `{id}` for this agent"),
        ),
        QueueError::LostClaim { id, .. } | QueueError::Transition { id, .. } => fail(
            LinkErrorKind::LeaseLost,
            format!("job `{id}` is no longer this agent's: drop it"),
        ),
        e => {
            tracing::error!("hub job queue: {e}");
            fail(
                LinkErrorKind::Unavailable,
                "the hub's job queue is unavailable; retry shortly",
            )
        }
    }
}
