//! The JSON error bodies every endpoint answers with: `{"error", "message", "fieldErrors"?}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

/// One rejected field in a 422 answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An error answer. Handlers return it through `?` and it renders itself as JSON.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field_errors: Option<Vec<FieldError>>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field_errors: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn invalid_token(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", message)
    }

    pub fn session_expired() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "session_expired",
            "Session expired",
        )
    }

    /// 422 with one entry per bad field. The top-level message repeats the first field's,
    /// so a client that only logs `message` still says something specific.
    pub fn unprocessable(code: &'static str, errors: Vec<FieldError>) -> ApiError {
        let message = errors
            .first()
            .map(|e| e.message.clone())
            .unwrap_or_default();
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code,
            message,
            field_errors: Some(errors),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": self.code, "message": self.message});
        if let Some(errors) = self.field_errors {
            body["fieldErrors"] = json!(errors);
        }
        (self.status, axum::Json(body)).into_response()
    }
}
