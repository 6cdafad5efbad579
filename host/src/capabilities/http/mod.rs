//! Outbound HTTP for adapters, performed by the host with reqwest: the origin must be
//! granted, the request must keep the host's [`rules`] (no credentials, user names in
//! URLs, framing or hop-by-hop headers from the guest), credential headers are added by
//! the host, the timeout and response size are capped, and an OAuth2 401 gets one
//! refresh and retry. A throttling or failing token endpoint reaches the adapter as that
//! status ([`token_status`]).

pub mod rules;
pub mod tls_expiry;
pub mod token_status;

use super::credentials::{CredentialError, Credentials};
use super::grants::Grants;
use super::origin;
use super::waiting::EhrWait;
use crate::runtime::JobControl;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Time left for the adapter, after a request timed out at the end of its call's budget,
/// to return the typed `timeout` before the call's own deadline stops it.
const CALL_MARGIN: Duration = Duration::from_millis(250);

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
    /// Malformed request, a host-only header or a user name in the URL.
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
    wait: EhrWait,
    job: Option<Arc<JobControl>>,
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
            wait: EhrWait::new(),
            job: None,
        }
    }

    /// Sends the write job's transaction id with every request, and records the request
    /// ids the EHR answers with, for the audit trail.
    pub fn with_job(mut self, job: Option<Arc<JobControl>>) -> Self {
        self.job = job;
        self
    }

    /// Records the requests of this call in `wait`, so a call that runs out of time while
    /// waiting on the EHR is told apart from a guest that never yields.
    pub fn with_wait(mut self, wait: EhrWait) -> Self {
        self.wait = wait;
        self
    }

    /// Ends every request a little before `deadline`, the end of the adapter call it
    /// serves, so a hanging EHR comes back to the adapter as a typed `timeout` ("The EHR
    /// did not answer in time") instead of the call being stopped as if the adapter hung.
    pub fn with_call_deadline(mut self, deadline: Instant) -> Self {
        self.call_deadline = Some(deadline);
        self
    }

    /// Sends `req` on the adapter's behalf.
    pub async fn send(&self, mut req: OutboundRequest) -> Result<InboundResponse, HttpFailure> {
        // Parsed once here, for every check and for the request itself.
        let url = origin::parse(&req.url).map_err(HttpFailure::Denied)?;
        rules::check_userinfo(&url).map_err(HttpFailure::InvalidRequest)?;
        let origin = self
            .grants
            .check_url(&url, &req.url)
            .map_err(HttpFailure::Denied)?;
        rules::check_headers(&req.headers).map_err(HttpFailure::InvalidRequest)?;
        // Shared, not copied, by the retry after a refresh.
        let body = req.body.take().map(bytes::Bytes::from);
        let _waiting = self.wait.enter();
        let sent = Sent {
            req: &req,
            url: &url,
            body: body.as_ref(),
        };
        let response = self.attempt(&sent, &origin, false).await?;
        if response.status == 401 && self.credentials.refreshable(&origin) {
            tracing::info!(adapter = %self.grants.adapter, %origin, "401 from EHR: refreshing OAuth2 token and retrying once");
            return self.attempt(&sent, &origin, true).await;
        }
        Ok(response)
    }

    async fn attempt(
        &self,
        sent: &Sent<'_>,
        origin: &str,
        refresh: bool,
    ) -> Result<InboundResponse, HttpFailure> {
        let req = sent.req;
        let timeout = request_timeout(req.timeout, self.max_timeout, self.call_deadline);
        let mut builder = self
            .client
            .request(req.method.clone(), sent.url.clone())
            .timeout(timeout);
        for (name, value) in &req.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(job) = &self.job {
            builder = builder.header(rules::TRANSACTION_HEADER, job.transaction_id());
        }
        match self
            .credentials
            .authorization(origin, &self.client, refresh)
            .await
        {
            Ok(Some(auth)) => {
                if refresh {
                    crate::metrics::global()
                        .token_refresh(&self.grants.adapter, crate::metrics::TokenRefresh::Issued);
                } else if self.credentials.refreshable(origin) {
                    // A token in hand ends a token-failure incident without a refresh.
                    crate::metrics::global().token_usable(&self.grants.adapter);
                }
                builder = builder.header("authorization", auth)
            }
            Ok(None) => {}
            Err(e) => return self.credential_failure(origin, e),
        }
        if let Some(body) = sent.body {
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
        crate::metrics::global().ehr_response(&self.grants.adapter, status);
        if let Some(not_after) = response
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|t| t.peer_certificate())
            .and_then(tls_expiry::not_after_ms)
        {
            crate::metrics::global().tls_seen(origin, not_after);
        }
        if let Some(job) = &self.job {
            for name in rules::REQUEST_ID_HEADERS {
                if let Some(v) = response.headers().get(*name).and_then(|v| v.to_str().ok()) {
                    job.ehr_request_id(crate::untrusted::clean(v, 100));
                }
            }
        }
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
        let expected = response.content_length().unwrap_or(0) as usize;
        let mut body = Vec::with_capacity(expected.min(self.max_body));
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

/// One request as it is sent (and sent again after a token refresh): the adapter's
/// request, its URL parsed once, its body shared.
struct Sent<'a> {
    req: &'a OutboundRequest,
    url: &'a url::Url,
    body: Option<&'a bytes::Bytes>,
}

impl HttpCapability {
    /// What the adapter gets when no credential could be produced for its request.
    fn credential_failure(
        &self,
        origin: &str,
        e: CredentialError,
    ) -> Result<InboundResponse, HttpFailure> {
        if matches!(
            e,
            CredentialError::EndpointStatus(_) | CredentialError::Refused(_)
        ) {
            crate::metrics::global()
                .token_refresh(&self.grants.adapter, crate::metrics::TokenRefresh::Failed);
        }
        Err(match e {
            // The EHR's token endpoint is busy or down: the adapter gets that status.
            CredentialError::EndpointStatus(s) => {
                tracing::info!(adapter = %self.grants.adapter, %origin, status = s.status, "token endpoint throttling or failing; its status is handed to the adapter");
                return Ok(token_status::response(&s));
            }
            // Denied reaches the adapter as "misconfigured": the operator must fix it.
            CredentialError::Missing(m) => HttpFailure::Denied(m),
            CredentialError::Refused(m) => HttpFailure::Credentials(m),
            CredentialError::Unreachable(m) => HttpFailure::Unreachable(m),
            CredentialError::Timeout(m) => HttpFailure::Timeout(m),
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
mod tests;
