//! Outbound HTTP for adapters, performed by the host with reqwest: the origin must be
//! granted, credential headers are added by the host (and refused from the guest), the
//! timeout and response size are capped, and an OAuth2 401 gets one refresh and retry.

use super::credentials::{CredentialError, Credentials};
use super::grants::Grants;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Time left for the adapter, after a request timed out at the end of its call's budget,
/// to return the typed `timeout` before the call's own deadline stops it.
const CALL_MARGIN: Duration = Duration::from_millis(250);

/// Headers only the host may set: they carry credentials.
const HOST_ONLY_HEADERS: &[&str] = &["authorization", "cookie", "proxy-authorization"];

/// A request from an adapter, independent of the contract version.
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    /// The method.
    pub method: reqwest::Method,
    /// The absolute URL.
    pub url: String,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Option<Vec<u8>>,
    /// Requested timeout; capped by the host's.
    pub timeout: Option<Duration>,
}

/// A response handed back to the adapter.
#[derive(Debug, Clone)]
pub struct InboundResponse {
    /// Status code.
    pub status: u16,
    /// Lower-case header names and values.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// Why no response could be handed back.
#[derive(Debug, Clone, PartialEq)]
pub enum HttpFailure {
    /// Origin not granted.
    Denied(String),
    /// Connection refused, reset, DNS or TLS failure.
    Unreachable(String),
    /// No answer in time.
    Timeout(String),
    /// Malformed request or a host-only header.
    InvalidRequest(String),
    /// Credentials could not be obtained.
    Credentials(String),
    /// Response too large.
    TooLarge(String),
}

/// The HTTP capability of one loaded adapter.
#[derive(Clone)]
pub struct HttpCapability {
    client: reqwest::Client,
    grants: Arc<Grants>,
    credentials: Arc<Credentials>,
    max_timeout: Duration,
    max_body: usize,
    call_deadline: Option<Instant>,
}

impl HttpCapability {
    /// A capability enforcing `grants`, injecting `credentials`, with per-request limits.
    pub fn new(
        client: reqwest::Client,
        grants: Arc<Grants>,
        credentials: Arc<Credentials>,
        max_timeout: Duration,
        max_body: usize,
    ) -> Self {
        HttpCapability {
            client,
            grants,
            credentials,
            max_timeout,
            max_body,
            call_deadline: None,
        }
    }

    /// Ends every request a little before `deadline`, the end of the adapter call it
    /// serves, so a hanging EHR comes back to the adapter as a typed `timeout` ("The EHR
    /// did not answer in time") instead of the call being stopped as if the adapter hung.
    pub fn with_call_deadline(mut self, deadline: Instant) -> Self {
        self.call_deadline = Some(deadline);
        self
    }

    /// Sends `req` on the adapter's behalf.
    pub async fn send(&self, req: OutboundRequest) -> Result<InboundResponse, HttpFailure> {
        let origin = self
            .grants
            .check_url(&req.url)
            .map_err(HttpFailure::Denied)?;
        if let Some((name, _)) = req
            .headers
            .iter()
            .find(|(n, _)| HOST_ONLY_HEADERS.contains(&n.to_ascii_lowercase().as_str()))
        {
            return Err(HttpFailure::InvalidRequest(format!(
                "header `{name}` is set by the host from its own credentials; adapters may not send it"
            )));
        }
        let response = self.attempt(&req, &origin, false).await?;
        if response.status == 401 && self.credentials.refreshable(&origin) {
            tracing::info!(adapter = %self.grants.adapter, %origin, "401 from EHR: refreshing OAuth2 token and retrying once");
            return self.attempt(&req, &origin, true).await;
        }
        Ok(response)
    }

    async fn attempt(
        &self,
        req: &OutboundRequest,
        origin: &str,
        refresh: bool,
    ) -> Result<InboundResponse, HttpFailure> {
        let timeout = request_timeout(req.timeout, self.max_timeout, self.call_deadline);
        let mut builder = self
            .client
            .request(req.method.clone(), &req.url)
            .timeout(timeout);
        for (name, value) in &req.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(auth) = self
            .credentials
            .authorization(origin, &self.client, refresh)
            .await
            .map_err(|e| match e {
                // Denied reaches the adapter as "misconfigured": the operator must fix it.
                CredentialError::Missing(m) => HttpFailure::Denied(m),
                CredentialError::Refused(m) => HttpFailure::Credentials(m),
                CredentialError::Unreachable(m) => HttpFailure::Unreachable(m),
                CredentialError::Timeout(m) => HttpFailure::Timeout(m),
            })?
        {
            builder = builder.header("authorization", auth);
        }
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let request = builder
            .build()
            .map_err(|e| HttpFailure::InvalidRequest(format!("{}: {e}", req.url)))?;
        let mut response = self
            .client
            .execute(request)
            .await
            .map_err(|e| classify(&req.url, &e, timeout))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| classify(&req.url, &e, timeout))?
        {
            if body.len() + chunk.len() > self.max_body {
                return Err(HttpFailure::TooLarge(format!(
                    "response from {} is larger than the {} byte limit",
                    req.url, self.max_body
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(InboundResponse {
            status,
            headers,
            body,
        })
    }
}

/// The timeout for one request: the adapter's wish, capped by the host's limit and by
/// what is left of the call's budget (less [`CALL_MARGIN`]), never zero.
fn request_timeout(
    requested: Option<Duration>,
    max: Duration,
    call_deadline: Option<Instant>,
) -> Duration {
    let mut timeout = requested.unwrap_or(max).min(max);
    if let Some(deadline) = call_deadline {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .saturating_sub(CALL_MARGIN);
        timeout = timeout.min(left.max(Duration::from_millis(1)));
    }
    timeout
}

/// Words for a transport failure: the URL, what happened, and the underlying cause.
fn classify(url: &str, e: &reqwest::Error, timeout: Duration) -> HttpFailure {
    let mut cause = String::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if e.is_timeout() {
        HttpFailure::Timeout(format!(
            "no answer from {url} within {}s",
            timeout.as_secs_f32()
        ))
    } else if e.is_connect() {
        HttpFailure::Unreachable(format!("cannot connect to {url}: {cause}"))
    } else {
        HttpFailure::Unreachable(format!("connection to {url} failed: {cause}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AdapterConfig;
    use crate::package::manifest::{Manifest, Requested};

    fn capability() -> HttpCapability {
        let manifest = Manifest {
            id: "rev".into(),
            version: "1.0.0".parse().unwrap(),
            ehr: "Rev".into(),
            contract: "0.1.0".parse().unwrap(),
            description: String::new(),
            capabilities: Requested {
                http: vec!["http://127.0.0.1:9".into()],
                databases: vec![],
            },
        };
        let config = AdapterConfig {
            http: vec!["http://127.0.0.1:9".into()],
            ..Default::default()
        };
        HttpCapability::new(
            reqwest::Client::new(),
            Arc::new(Grants::new(&manifest, &config)),
            Arc::new(Credentials::from_config(&config)),
            Duration::from_secs(1),
            1024,
        )
    }

    fn request(url: &str, headers: &[(&str, &str)]) -> OutboundRequest {
        OutboundRequest {
            method: reqwest::Method::GET,
            url: url.into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: None,
            timeout: None,
        }
    }

    // A guest may not send credential headers of its own, in any letter case: the host
    // refuses the request before anything leaves the machine.
    #[tokio::test]
    async fn guest_credential_headers_are_refused() {
        let cap = capability();
        for name in ["Authorization", "cookie", "PROXY-AUTHORIZATION"] {
            let err = cap
                .send(request("http://127.0.0.1:9/x", &[(name, "x")]))
                .await
                .unwrap_err();
            assert!(
                matches!(&err, HttpFailure::InvalidRequest(m) if m.contains(name) && m.contains("set by the host")),
                "{err:?}"
            );
        }
    }

    // An origin outside the grants is refused, naming it; a granted origin that nobody
    // listens on is reported as unreachable, not as a refusal.
    #[tokio::test]
    async fn denied_versus_unreachable() {
        let cap = capability();
        let err = cap
            .send(request("http://127.0.0.1:10/x", &[]))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, HttpFailure::Denied(m) if m.contains("http://127.0.0.1:10")),
            "{err:?}"
        );
        let err = cap
            .send(request("http://127.0.0.1:9/x", &[]))
            .await
            .unwrap_err();
        assert!(matches!(err, HttpFailure::Unreachable(_)), "{err:?}");
    }

    // A credential whose secret the configuration does not provide (unset environment
    // variable) is refused as a configuration problem naming the variable, before any
    // request is sent, not reported as an expired session.
    #[tokio::test]
    async fn missing_secret_is_a_configuration_problem() {
        let mut cap = capability();
        let config = AdapterConfig {
            http: vec!["http://127.0.0.1:9".into()],
            credentials: vec![crate::config::Credential::Bearer {
                origin: "http://127.0.0.1:9".into(),
                token: None,
                token_env: Some("EHR_HOST_TEST_UNSET_TOKEN".into()),
            }],
            ..Default::default()
        };
        cap.credentials = Arc::new(Credentials::from_config(&config));
        let err = cap
            .send(request("http://127.0.0.1:9/x", &[]))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, HttpFailure::Denied(m) if m.contains("EHR_HOST_TEST_UNSET_TOKEN")),
            "{err:?}"
        );
    }

    // A request's timeout is the adapter's wish capped by the host's limit and, near the
    // end of the call, by what is left of the call's budget less a margin.
    #[test]
    fn request_timeout_respects_the_call_deadline() {
        let s = Duration::from_secs;
        assert_eq!(request_timeout(None, s(30), None), s(30));
        assert_eq!(request_timeout(Some(s(60)), s(30), None), s(30));
        assert_eq!(request_timeout(Some(s(2)), s(30), None), s(2));
        let deadline = Some(Instant::now() + s(5));
        let t = request_timeout(None, s(30), deadline);
        assert!(t <= s(5) - CALL_MARGIN && t > s(4), "{t:?}");
        assert_eq!(request_timeout(Some(s(1)), s(30), deadline), s(1));
        let spent = Some(Instant::now());
        assert_eq!(
            request_timeout(None, s(30), spent),
            Duration::from_millis(1)
        );
    }
}
