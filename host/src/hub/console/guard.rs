//! The rules every console page applies before showing anything: signed in (else to the
//! login page), allowed to see the practice (else 403 in plain words), the store up
//! (else 503 saying so), and on a POST the session's CSRF token (else 403).

use super::html::message;
use super::session::{self, Viewer};
use crate::hub::state::Hub;
use crate::hub::store::{HubStore, StoreError};
use crate::jobs::Queue;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// The signed-in viewer, or the answer to send instead (to the login page).
pub async fn signed_in<Q: Queue, S: HubStore>(
    hub: &Hub<Q, S>,
    headers: &HeaderMap,
) -> Result<Viewer, Response> {
    match session::viewer(hub, headers).await {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(to_login()),
        Err(e) => Err(unavailable(None, &e)),
    }
}

/// A redirect to the login page.
pub fn to_login() -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, "/console/login")],
    )
        .into_response()
}

/// A redirect after a POST to `to` (a console path).
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

/// 503: the hub's store or queue did not answer.
pub fn unavailable(viewer: Option<&Viewer>, e: &dyn std::fmt::Display) -> Response {
    tracing::error!("console: {e}");
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        viewer,
        "The hub cannot read its records right now",
        "The hub's store did not answer. Reload the page in a minute; if it goes on, check the hub's database.",
    )
}

/// 403 for a practice the viewer may not see.
pub fn not_yours(viewer: &Viewer) -> Response {
    let yours = match &viewer.user.role {
        crate::hub::store::UserRole::Practice { practice_id } => practice_id.clone(),
        crate::hub::store::UserRole::Operator => String::new(),
    };
    message(
        StatusCode::FORBIDDEN,
        Some(viewer),
        "Not your practice",
        &format!(
            "This belongs to another practice. You can see only the jobs and agents of {yours}."
        ),
    )
}

/// The refusal when the viewer may not see `practice` (None: they may).
pub fn may_see(viewer: &Viewer, practice: Option<&str>) -> Option<Response> {
    match practice {
        Some(p) if viewer.may_see(p) => None,
        // A job without a practice is the hub's own: operators only.
        None if viewer.user.role == crate::hub::store::UserRole::Operator => None,
        _ => Some(not_yours(viewer)),
    }
}

/// The refusal when a submitted form's CSRF token is not the session's (None: it is).
pub fn csrf(viewer: &Viewer, token: &str) -> Option<Response> {
    if viewer.csrf_ok(token) {
        None
    } else {
        tracing::warn!(user = %viewer.user.name, "console: a form without this session's CSRF token was refused");
        Some(message(
            StatusCode::FORBIDDEN,
            Some(viewer),
            "This form was not accepted",
            "The form did not come from this console session (or the session changed since it was opened). Nothing was done: go back, reload the page and try again.",
        ))
    }
}

/// A store error as the answer: not found is 404, anything else 503.
pub fn store_error(viewer: &Viewer, e: StoreError) -> Response {
    match e {
        StoreError::NotFound { what, id } => message(
            StatusCode::NOT_FOUND,
            Some(viewer),
            "Not found",
            &format!("There is no {what} `{}`.", crate::untrusted::clean(&id, 80)),
        ),
        e => unavailable(Some(viewer), &e),
    }
}
