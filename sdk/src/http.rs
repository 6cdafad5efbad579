//! Outbound HTTP through the host. The host enforces the origin allowlist and adds
//! credentials; adapters build requests, read responses, and turn EHR error statuses into
//! typed [`AdapterError`]s with [`error_for_status`] (most use the [`crate::rest`] client,
//! which does all of that).

pub use crate::bindings::ehr::adapter::http::{HttpError, Method, Request, Response};
use crate::AdapterError;
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

/// `Ok(())` for 2xx; otherwise the typed error the status and the EHR's error body stand
/// for, read with the default [`crate::rest::ErrorShape`] (`{"error", "message",
/// "fieldErrors": [...]}`). An EHR with another body shape configures its own shape on a
/// [`crate::rest::Rest`] client, or calls [`crate::rest::ErrorShape::check`] directly.
pub fn error_for_status(response: &Response) -> Result<(), AdapterError> {
    crate::rest::ErrorShape::default().check(response)
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
