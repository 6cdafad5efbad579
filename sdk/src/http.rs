//! Outbound HTTP through the host. The host enforces the origin allowlist and adds
//! credentials; adapters build requests, read responses, and turn EHR error statuses into
//! typed [`AdapterError`]s with [`error_for_status`].

pub use crate::bindings::ehr::adapter::http::{HttpError, Method, Request, Response};
use crate::{AdapterError, FieldError, Permission, RateLimit, Rejection};
use serde::de::DeserializeOwned;

impl Request {
    /// A request with no headers and no body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            timeout_ms: None,
        }
    }

    /// A `GET` request.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url)
    }

    /// A `PUT` request.
    pub fn put(url: impl Into<String>) -> Self {
        Self::new(Method::Put, url)
    }

    /// A `POST` request.
    pub fn post(url: impl Into<String>) -> Self {
        Self::new(Method::Post, url)
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Sets a JSON body and the matching content type.
    pub fn json(mut self, body: &impl serde::Serialize) -> Self {
        let bytes = serde_json::to_vec(body).expect("JSON serialisation of a body cannot fail");
        self.body = Some(bytes);
        self.header("content-type", "application/json")
    }

    /// Sets the EHR-side idempotency key (`Idempotency-Key` header).
    pub fn idempotency_key(self, key: impl Into<String>) -> Self {
        self.header("idempotency-key", key)
    }

    /// Sets a per-request timeout; the host caps it at its own limit.
    pub fn timeout_ms(mut self, ms: u32) -> Self {
        self.timeout_ms = Some(ms);
        self
    }

    /// Sends the request through the host.
    pub fn send(self) -> Result<Response, HttpError> {
        send(&self)
    }
}

impl Response {
    /// The first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// True for 2xx statuses.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as UTF-8 text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON, or an `adapter-bug` error saying what did not parse.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, AdapterError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            AdapterError::AdapterBug(format!(
                "unexpected response body (status {}): {e}",
                self.status
            ))
        })
    }
}

/// Sends one request through the host.
pub fn send(request: &Request) -> Result<Response, HttpError> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::ehr::adapter::http::send(request);
    #[cfg(not(target_arch = "wasm32"))]
    return crate::testing::stub_http_send(request);
}

impl From<HttpError> for AdapterError {
    fn from(e: HttpError) -> Self {
        match e {
            HttpError::Denied(m) => {
                AdapterError::Misconfigured(format!("HTTP refused by host: {m}"))
            }
            HttpError::Unreachable(m) => AdapterError::Unreachable(m),
            HttpError::Timeout(m) => AdapterError::Timeout(m),
            HttpError::InvalidRequest(m) => {
                AdapterError::AdapterBug(format!("invalid HTTP request: {m}"))
            }
            HttpError::Credentials(m) => {
                AdapterError::SessionExpired(format!("could not obtain credentials: {m}"))
            }
            HttpError::TooLarge(m) => AdapterError::EhrInternal(format!("response too large: {m}")),
        }
    }
}

/// The error body shape most EHR APIs use; every member is optional.
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    error: Option<String>,
    message: Option<String>,
    missing_permission: Option<String>,
    #[serde(default)]
    field_errors: Vec<ErrorField>,
    request_id: Option<String>,
}

#[derive(serde::Deserialize)]
struct ErrorField {
    field: String,
    message: String,
}

/// `Ok(())` for 2xx; otherwise the typed error the status (and the EHR's JSON error body,
/// when it has one) stands for:
///
/// | status | error |
/// |---|---|
/// | 401 | `session-expired`, or `not-logged-in` when the body's `error` says so |
/// | 403 | `permission-denied`, naming `missingPermission` when present |
/// | 404 | `not-found` |
/// | 408 | `timeout` |
/// | 409 | `encounter-locked` when the body's `error` mentions signed/locked, else `rejected` |
/// | 422, 400 | `rejected` with per-field messages |
/// | 429 | `rate-limited` with `Retry-After` seconds |
/// | 5xx | `ehr-internal` |
pub fn error_for_status(response: &Response) -> Result<(), AdapterError> {
    if response.is_success() {
        return Ok(());
    }
    let body: ErrorBody = serde_json::from_slice(&response.body).unwrap_or_default();
    let code = body.error.clone().unwrap_or_default();
    let message = body
        .message
        .clone()
        .or(body.error.clone())
        .unwrap_or_else(|| format!("HTTP {}", response.status));
    Err(match response.status {
        401 if code.contains("not_logged_in") || code.contains("logged_out") => {
            AdapterError::NotLoggedIn(message)
        }
        401 => AdapterError::SessionExpired(message),
        403 => AdapterError::PermissionDenied(Permission {
            missing: body.missing_permission,
            message,
        }),
        404 => AdapterError::NotFound(message),
        408 => AdapterError::Timeout(format!("the EHR answered 408: {message}")),
        409 if code.contains("signed") || code.contains("locked") => {
            AdapterError::EncounterLocked(message)
        }
        429 => AdapterError::RateLimited(RateLimit {
            retry_after_seconds: response
                .header("retry-after")
                .and_then(|v| v.trim().parse().ok()),
            message,
        }),
        400 | 409 | 422 => AdapterError::Rejected(Rejection {
            code: body.error,
            message,
            field_errors: body
                .field_errors
                .into_iter()
                .map(|f| FieldError {
                    field: f.field,
                    message: f.message,
                })
                .collect(),
        }),
        s if s >= 500 => AdapterError::EhrInternal(match body.request_id {
            Some(id) => format!("HTTP {s} {message} (request id {id})"),
            None => format!("HTTP {s} {message}"),
        }),
        s => AdapterError::EhrInternal(format!("unexpected HTTP {s}: {message}")),
    })
}

/// `value` percent-encoded as one URL path segment: everything but unreserved characters
/// is escaped, and `.`/`..` too (they mean "this" and "parent" to path resolvers), so an
/// id can never change which resource a request reaches.
pub fn path_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    match out.as_str() {
        "." => "%2E".to_string(),
        ".." => "%2E%2E".to_string(),
        _ => out,
    }
}

#[cfg(test)]
mod tests {
    // Ids are escaped so they stay one segment; dot segments cannot climb the path.
    #[test]
    fn path_segments() {
        assert_eq!(super::path_segment("E 50/01"), "E%2050%2F01");
        assert_eq!(super::path_segment(".."), "%2E%2E");
        assert_eq!(super::path_segment("a.b-c_d~"), "a.b-c_d~");
    }
}
