//! The answers of the modes that replace the response outright.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::FaultMode;

impl FaultMode {
    /// The canned answer of the modes that replace the response outright; `None` for the
    /// modes that let the request through in some form.
    pub(crate) fn canned_response(&self) -> Option<Response> {
        let (status, body) = match self {
            FaultMode::SessionExpired => (
                StatusCode::UNAUTHORIZED,
                json!({"error": "session_expired", "message": "Session expired"}),
            ),
            FaultMode::LoggedOut => (
                StatusCode::UNAUTHORIZED,
                json!({"error": "not_logged_in", "message": "No user is logged in"}),
            ),
            FaultMode::Forbidden { missing_permission } => (
                StatusCode::FORBIDDEN,
                json!({
                    "error": "forbidden",
                    "message": "The user is not permitted to perform this action",
                    "missingPermission": missing_permission,
                }),
            ),
            FaultMode::RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                json!({"error": "request_timeout"}),
            ),
            FaultMode::Reject => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({
                    "error": "validation_failed",
                    "message": "Exam rejected",
                    "fieldErrors": [{"field": "iopOd", "message": "value rejected by EHR rule R-17"}],
                }),
            ),
            FaultMode::RateLimited { retry_after } => {
                let mut resp = (
                    StatusCode::TOO_MANY_REQUESTS,
                    axum::Json(json!({"error": "rate_limited"})),
                )
                    .into_response();
                if let Some(secs) = retry_after {
                    resp.headers_mut()
                        .insert("retry-after", HeaderValue::from(*secs));
                }
                return Some(resp);
            }
            FaultMode::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": "internal", "requestId": crate::ids::uuid_like()}),
            ),
            FaultMode::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"error": "unavailable", "message": "Service temporarily unavailable"}),
            ),
            FaultMode::Slow { .. }
            | FaultMode::Reset
            | FaultMode::TemplateChanged
            | FaultMode::LandThenTimeout => return None,
        };
        Some((status, axum::Json(body)).into_response())
    }
}
