//! `/_sandbox/` endpoints: the HTTP face of the [`Sandbox`](crate::Sandbox) methods, for
//! scripts and demos running the binary. Unauthenticated and never hit by faults.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::error::ApiError;
use crate::faults::Fault;
use crate::shared::Shared;

/// The control routes, to be merged into the sandbox router.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sandbox/faults", post(set_fault).delete(clear_fault))
        .route("/_sandbox/expire-tokens", post(expire_tokens))
        .route("/_sandbox/reset", post(reset))
        .route("/_sandbox/state", get(state))
        .route("/_sandbox/encounters/{id}/sign", post(sign))
        .merge(crate::echo::router())
}

/// Answers the fault as stored, so a script can see how its JSON was understood.
async fn set_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Fault>(&body) {
        Ok(fault) => {
            shared.faults.set(fault);
            Json(serde_json::json!({"fault": shared.faults.current()})).into_response()
        }
        Err(err) => ApiError::bad_request(format!("invalid fault: {err}")).into_response(),
    }
}

async fn clear_fault(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.faults.clear();
    StatusCode::NO_CONTENT
}

async fn expire_tokens(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.tokens.expire_all();
    StatusCode::NO_CONTENT
}

async fn reset(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.reset();
    StatusCode::NO_CONTENT
}

/// Signs (locks) one encounter: 204, or 404 when the seed has no such encounter.
async fn sign(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    if shared.sign_encounter(&id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        ApiError::not_found(format!("No encounter {id} to sign")).into_response()
    }
}

async fn state(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.state()).into_response()
}
