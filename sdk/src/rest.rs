//! A small REST client over the host's HTTP capability: JSON in and out, ids escaped into
//! path segments, the job's idempotency key on every write, and the EHR's error answers
//! mapped to typed errors by the adapter's [`ErrorShape`].
//!
//! ```
//! use ehr_adapter_sdk::rest::{idempotency_key, Rest};
//! use ehr_adapter_sdk::testing::Harness;
//! use ehr_adapter_sdk::http::Method;
//!
//! let h = Harness::new();
//! h.http(Method::Put, "http://ehr.test/api/encounters/E%2F1/exam/iop").reply_json(200, "{}");
//! let api = Rest::new("http://ehr.test/api");
//! let ack = api
//!     .put(&["encounters", "E/1", "exam", "iop"], &serde_json::json!({"iopOd": 17}), &idempotency_key("job-1", "iop"))
//!     .unwrap();
//! assert!(!ack.replayed);
//! assert_eq!(h.requests()[0].headers[1], ("idempotency-key".to_string(), "job-1:iop".to_string()));
//! ```
//!
//! **The idempotency key** of every write is `{job_id}:{part}`, where `part` names what
//! that one request writes (`iop`, `diagnoses`, `notes`, or `encounter` when one request
//! carries the whole encounter): [`idempotency_key`]. One rule for every adapter, because
//! a key must name one request: EHRs that scope keys to the key alone (not to the path)
//! would answer the second request of a job with the first one's stored reply if the
//! bare job id were reused, and silently drop it. The job id stays the root of the key,
//! so a retried job repeats exactly the keys it used before.

mod errors;

pub use errors::{Conflict, ErrorShape, FieldErrorsAt};

use crate::config;
use crate::http::{path_segment, Request, Response};
use crate::{AdapterError, CheckReport};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The idempotency key of one write request of a job: `{job_id}:{part}` (see the module
/// documentation for why every adapter uses exactly this).
pub fn idempotency_key(job_id: &str, part: &str) -> String {
    format!("{job_id}:{part}")
}

/// The answer to a write.
#[derive(Debug, Clone)]
pub struct Ack {
    /// The EHR answered from its idempotency store (`Idempotent-Replayed: true`): this
    /// key had been applied before and nothing changed now.
    pub replayed: bool,
    /// The whole answer, for bodies the adapter reads.
    pub response: Response,
}

/// One EHR's REST API at a base URL.
#[derive(Debug, Clone)]
pub struct Rest {
    base: String,
    timeout_ms: Option<u32>,
    errors: ErrorShape,
    replay_header: &'static str,
}

impl Rest {
    /// The API at `base` (no trailing slash: `https://x.example/api/v1`), with the default
    /// [`ErrorShape`], no per-request timeout, and `Idempotent-Replayed` as the header an
    /// EHR marks replayed answers with.
    pub fn new(base: impl Into<String>) -> Self {
        Rest {
            base: base.into().trim_end_matches('/').to_string(),
            timeout_ms: None,
            errors: ErrorShape::default(),
            replay_header: "idempotent-replayed",
        }
    }

    /// The API at the operator's setting `base_url` (misconfigured, showing `example`,
    /// unless it is an http(s) address) followed by `api_path` (`/api/v1`), with the
    /// optional setting `request_timeout_secs` as every request's timeout.
    pub fn from_config(example: &str, api_path: &str) -> Result<Self, AdapterError> {
        let base = config::base_url("base_url", example)?;
        Ok(Rest::new(format!("{base}{api_path}"))
            .timeout_ms(config::timeout_ms("request_timeout_secs")?))
    }

    /// Uses `shape` to read the EHR's error answers.
    pub fn errors(mut self, shape: ErrorShape) -> Self {
        self.errors = shape;
        self
    }

    /// Waits at most `ms` for any one answer (`None`: up to the host's per-call limit).
    pub fn timeout_ms(mut self, ms: Option<u32>) -> Self {
        self.timeout_ms = ms;
        self
    }

    /// The header that marks a replayed answer (case-insensitive).
    pub fn replay_header(mut self, name: &'static str) -> Self {
        self.replay_header = name;
        self
    }

    /// The error shape in use.
    pub fn error_shape(&self) -> &ErrorShape {
        &self.errors
    }

    /// The URL of a path given as segments, each percent-encoded as one segment (see
    /// [`path_segment`]): an id can never add a segment, climb with `..`, or start a
    /// query or fragment.
    pub fn url(&self, segments: &[&str]) -> String {
        let mut url = self.base.clone();
        for s in segments {
            url.push('/');
            url.push_str(&path_segment(s));
        }
        url
    }

    /// The URL of a path with a query string, every name and value percent-encoded.
    pub fn url_with_query(&self, segments: &[&str], query: &[(&str, &str)]) -> String {
        let mut url = self.url(segments);
        for (i, (k, v)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&format!("{}={}", path_segment(k), path_segment(v)));
        }
        url
    }

    /// `GET` a JSON document.
    pub fn get<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T, AdapterError> {
        self.get_url(self.url(segments))
    }

    /// `GET` a JSON document with a query string.
    pub fn get_query<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> Result<T, AdapterError> {
        self.get_url(self.url_with_query(segments, query))
    }

    /// `PUT` a JSON body with the idempotency key `key`.
    pub fn put(
        &self,
        segments: &[&str],
        body: &impl Serialize,
        key: &str,
    ) -> Result<Ack, AdapterError> {
        self.write(Request::put(self.url(segments)), body, key)
    }

    /// `POST` a JSON body with the idempotency key `key`.
    pub fn post(
        &self,
        segments: &[&str],
        body: &impl Serialize,
        key: &str,
    ) -> Result<Ack, AdapterError> {
        self.write(Request::post(self.url(segments)), body, key)
    }

    /// Sends any request through the host with `accept` and the timeout added; the
    /// answer checked by the error shape.
    pub fn send(&self, request: Request) -> Result<Response, AdapterError> {
        let request = request.header("accept", "application/json");
        let request = match self.timeout_ms {
            Some(ms) => request.timeout_ms(ms),
            None => request,
        };
        let response = request.send()?;
        self.errors.check(&response)?;
        Ok(response)
    }

    /// `check` for a REST EHR: `GET segments`, whose JSON member `state` must equal `ok`
    /// (case-insensitive; otherwise `ehr-internal`, retryable: reachable but not usable),
    /// reporting the member `version` as the EHR's version.
    pub fn health(
        &self,
        segments: &[&str],
        state: &str,
        ok: &str,
        version: &str,
    ) -> Result<CheckReport, AdapterError> {
        let body: serde_json::Value = self.get(segments)?;
        let what = format!("GET /{}", segments.join("/"));
        let got = body[state].as_str().unwrap_or_default();
        if !got.eq_ignore_ascii_case(ok) {
            return Err(AdapterError::EhrInternal(format!(
                "{what} answered {state} `{got}`"
            )));
        }
        let v = body[version].as_str().map(str::to_string);
        Ok(CheckReport {
            details: vec![format!(
                "{what}: 200, {state} {got}, {version} {}",
                v.as_deref().unwrap_or("not reported")
            )],
            ehr_version: v,
        })
    }

    fn get_url<T: DeserializeOwned>(&self, url: String) -> Result<T, AdapterError> {
        self.send(Request::get(url))?.json()
    }

    fn write(
        &self,
        request: Request,
        body: &impl Serialize,
        key: &str,
    ) -> Result<Ack, AdapterError> {
        let response = self.send(request.json(body).idempotency_key(key))?;
        let replayed = response
            .header(self.replay_header)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        Ok(Ack { replayed, response })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Method;
    use crate::testing::Harness;

    // Ids with `../`, `?`, `#` and `/` stay inside their one segment; query values are
    // escaped too; a trailing slash on the base is dropped.
    #[test]
    fn ids_cannot_escape_their_segment() {
        let api = Rest::new("http://ehr.test/api/v1/");
        assert_eq!(
            api.url(&["patients", "../P1002"]),
            "http://ehr.test/api/v1/patients/..%2FP1002"
        );
        assert_eq!(
            api.url(&["encounters", "E1?x=1#frag/..", "notes"]),
            "http://ehr.test/api/v1/encounters/E1%3Fx%3D1%23frag%2F../notes"
        );
        assert_eq!(
            api.url(&["patients", ".."]),
            "http://ehr.test/api/v1/patients/%2E%2E"
        );
        assert_eq!(
            api.url_with_query(&["appointments"], &[("from", "2026-11-16"), ("p", "a&b=c")]),
            "http://ehr.test/api/v1/appointments?from=2026-11-16&p=a%26b%3Dc"
        );
    }

    // A write sends JSON with the key and reads the replay header; a GET parses JSON; an
    // error answer comes back typed through the configured shape.
    #[test]
    fn writes_reads_and_errors() {
        let h = Harness::new();
        h.http(Method::Post, "http://ehr.test/notes").reply_with(
            201,
            &[("Idempotent-Replayed", "true")],
            "{}",
        );
        h.http(Method::Get, "http://ehr.test/ping")
            .reply_json(200, r#"{"status":"ok"}"#);
        h.http(Method::Get, "http://ehr.test/locked")
            .reply_json(409, r#"{"error":"x"}"#);
        let api = Rest::new("http://ehr.test").timeout_ms(Some(1500));
        let ack = api
            .post(
                &["notes"],
                &serde_json::json!({"text": "n"}),
                &idempotency_key("J", "notes"),
            )
            .unwrap();
        assert!(ack.replayed);
        let sent = &h.requests()[0];
        assert_eq!(sent.timeout_ms, Some(1500));
        assert!(sent
            .headers
            .contains(&("idempotency-key".into(), "J:notes".into())));
        assert!(sent
            .headers
            .contains(&("content-type".into(), "application/json".into())));
        let ping: serde_json::Value = api.get(&["ping"]).unwrap();
        assert_eq!(ping["status"], "ok");
        let locked = api.clone().errors(ErrorShape {
            conflict: Conflict::Locked,
            ..ErrorShape::default()
        });
        assert!(matches!(
            locked.get::<serde_json::Value>(&["locked"]),
            Err(AdapterError::EncounterLocked(_))
        ));
        assert!(matches!(
            api.get::<serde_json::Value>(&["locked"]),
            Err(AdapterError::Rejected(_))
        ));
    }
}
