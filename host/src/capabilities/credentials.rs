//! Credentials the host holds and injects per origin: static bearer tokens and OAuth2
//! client credentials (fetched, cached until shortly before expiry, refreshed on 401).
//! They live in the host for the life of the loaded adapter; no guest ever sees one, and
//! every value (configured or obtained) is in the adapter's [`SecretSet`], so one an EHR
//! reflects is redacted from whatever the adapter returns.

use super::origin;
use super::secrets::SecretSet;
use crate::config::{resolve_secret, AdapterConfig, Credential};
use crate::untrusted;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Refresh this long before the EHR says a token expires, so it does not expire in flight.
const EXPIRY_MARGIN: Duration = Duration::from_secs(30);

struct Entry {
    origin: String,
    credential: Credential,
    cached: Mutex<Option<(String, Instant)>>,
}

/// The credentials of one adapter, by origin.
pub struct Credentials {
    entries: Vec<Entry>,
    secrets: SecretSet,
}

impl Credentials {
    /// From the operator's config. Secrets are resolved when first used, so a missing
    /// environment variable fails the call that needs it, with its name; those that can
    /// be resolved now already join the secret set, so they are redacted from the first
    /// call on.
    pub fn from_config(config: &AdapterConfig) -> Credentials {
        let secrets = SecretSet::new();
        let entries = config
            .credentials
            .iter()
            .map(|c| {
                if let Some(value) = configured_secret(c) {
                    secrets.add_configured(&value);
                }
                Entry {
                    origin: origin::of_url(c.origin()).unwrap_or_else(|_| c.origin().to_string()),
                    credential: c.clone(),
                    cached: Mutex::new(None),
                }
            })
            .collect();
        Credentials { entries, secrets }
    }

    /// The secrets these credentials hold (shared: obtained tokens join it later).
    pub fn secrets(&self) -> &SecretSet {
        &self.secrets
    }

    /// The first credential held, which tells what kind of login the EHR relies on (for
    /// advice: an API token is fixed in config, a session by logging in).
    pub fn primary(&self) -> Option<&Credential> {
        self.entries.first().map(|e| &e.credential)
    }

    fn entry(&self, origin: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.origin == origin)
    }

    /// True when `origin` uses OAuth2 (so a 401 is worth one refresh).
    pub fn refreshable(&self, origin: &str) -> bool {
        matches!(
            self.entry(origin).map(|e| &e.credential),
            Some(Credential::Oauth2 { .. })
        )
    }

    /// The `Authorization` header value for `origin`, if the host holds a credential
    /// for it. With `force_refresh`, a cached OAuth2 token is discarded first.
    pub async fn authorization(
        &self,
        origin: &str,
        client: &reqwest::Client,
        force_refresh: bool,
    ) -> Result<Option<String>, CredentialError> {
        let Some(entry) = self.entry(origin) else {
            return Ok(None);
        };
        match &entry.credential {
            Credential::Bearer {
                token, token_env, ..
            } => {
                let t = resolve_secret(token, token_env, &format!("bearer token for {origin}"))
                    .map_err(|e| CredentialError::Missing(format!("{e:#}")))?;
                self.secrets.add_configured(&t);
                Ok(Some(format!("Bearer {t}")))
            }
            Credential::Oauth2 {
                token_url,
                client_id,
                client_secret,
                client_secret_env,
                scope,
                ..
            } => {
                // One lock per origin: concurrent calls wait for one token fetch instead of
                // stampeding the token endpoint.
                let mut cached = entry.cached.lock().await;
                if force_refresh {
                    *cached = None;
                }
                if let Some((token, expires)) = cached.as_ref() {
                    if Instant::now() + EXPIRY_MARGIN < *expires {
                        return Ok(Some(format!("Bearer {token}")));
                    }
                }
                let secret = resolve_secret(
                    client_secret,
                    client_secret_env,
                    &format!("OAuth2 client secret for {origin}"),
                )
                .map_err(|e| CredentialError::Missing(format!("{e:#}")))?;
                self.secrets.add_configured(&secret);
                let (token, ttl) = fetch_token(
                    client,
                    token_url,
                    client_id,
                    &secret,
                    scope.as_deref(),
                    &self.secrets,
                )
                .await
                .map_err(|e| e.map_message(|m| self.secrets.redact(m)))?;
                self.secrets.add_obtained(&token);
                *cached = Some((token.clone(), Instant::now() + ttl));
                Ok(Some(format!("Bearer {token}")))
            }
        }
    }
}

/// Why the host could not produce a credential. The difference matters to the user: a
/// refused credential needs a person (log in again, fix the secret), an outage of the
/// token endpoint is retried automatically like any other unreachable EHR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialError {
    /// The operator's configuration does not provide the secret (an unset environment
    /// variable, say): a configuration fix, not a log-in.
    Missing(String),
    /// The token endpoint refused the credential (4xx).
    Refused(String),
    /// The token endpoint could not be reached or answered something that is not a token.
    Unreachable(String),
    /// The token endpoint did not answer in time.
    Timeout(String),
    /// The token endpoint is throttling (429) or failing on its side (5xx): the EHR's
    /// own outage, handed to the adapter as that status (see `http`), so it is classed
    /// "rate limited" or "EHR internal" and retried like any API call.
    EndpointStatus(TokenEndpointStatus),
}

/// A 429 or 5xx answer of the token endpoint, without its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenEndpointStatus {
    /// The HTTP status.
    pub status: u16,
    /// Its `Retry-After` in seconds, when it sent a usable one.
    pub retry_after_seconds: Option<u32>,
    /// What happened, in words.
    pub message: String,
}

impl CredentialError {
    fn map_message(self, f: impl Fn(&str) -> String) -> CredentialError {
        match self {
            CredentialError::Missing(m) => CredentialError::Missing(f(&m)),
            CredentialError::Refused(m) => CredentialError::Refused(f(&m)),
            CredentialError::Unreachable(m) => CredentialError::Unreachable(f(&m)),
            CredentialError::Timeout(m) => CredentialError::Timeout(f(&m)),
            CredentialError::EndpointStatus(mut s) => {
                s.message = f(&s.message);
                CredentialError::EndpointStatus(s)
            }
        }
    }
}

impl std::fmt::Display for CredentialError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialError::Missing(m)
            | CredentialError::Refused(m)
            | CredentialError::Unreachable(m)
            | CredentialError::Timeout(m) => f.write_str(m),
            CredentialError::EndpointStatus(s) => f.write_str(&s.message),
        }
    }
}

/// The secret a credential entry holds inline or in its (set) environment variable.
fn configured_secret(c: &Credential) -> Option<String> {
    match c {
        Credential::Bearer {
            token, token_env, ..
        } => resolve_secret(token, token_env, "").ok(),
        Credential::Oauth2 {
            client_secret,
            client_secret_env,
            ..
        } => resolve_secret(client_secret, client_secret_env, "").ok(),
    }
}

/// A `Retry-After` the adapter can use: whole seconds, bounded to a day. (The HTTP-date
/// form is dropped; the job's own backoff applies then.)
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<u32> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u32>().ok().map(|s| s.min(86_400))
}

/// Most of a token endpoint's error body read (for its message).
const MAX_ERROR_BODY: usize = 4096;
/// Largest token answer accepted.
const MAX_TOKEN_BODY: usize = 64 * 1024;

/// Up to `limit` bytes of the body, and whether that was all of it (a body that fails
/// half-way counts as incomplete).
async fn read_bounded(mut response: reqwest::Response, limit: usize) -> (Vec<u8>, bool) {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if body.len() + chunk.len() <= limit => body.extend_from_slice(&chunk),
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk[..limit - body.len()]);
                return (body, false);
            }
            Ok(None) => return (body, true),
            Err(_) => return (body, false),
        }
    }
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

async fn fetch_token(
    client: &reqwest::Client,
    token_url: &str,
    client_id: &str,
    secret: &str,
    scope: Option<&str>,
    secrets: &SecretSet,
) -> Result<(String, Duration), CredentialError> {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret),
    ];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    let response = client
        .post(token_url)
        .form(&form)
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .map_err(|e| {
            let m = format!("token endpoint {token_url} could not be reached: {e}");
            if e.is_timeout() {
                CredentialError::Timeout(m)
            } else {
                CredentialError::Unreachable(m)
            }
        })?;
    let status = response.status();
    if status.is_server_error() || status.as_u16() == 429 {
        // The body is not read: it is the EHR's text, and the status says all there is.
        return Err(CredentialError::EndpointStatus(TokenEndpointStatus {
            status: status.as_u16(),
            retry_after_seconds: retry_after(response.headers()),
            message: format!(
                "the OAuth2 token endpoint {token_url} answered HTTP {status}, so the host could not obtain an access token"
            ),
        }));
    }
    if !status.is_success() {
        let (body, _) = read_bounded(response, MAX_ERROR_BODY).await;
        let body = String::from_utf8_lossy(&body);
        // The EHR's words, without any secret it echoed, as one safe line. Redacted
        // before it is cut, so a cut cannot leave half a secret behind.
        let body = untrusted::clean(&secrets.redact(&body), 200);
        return Err(CredentialError::Refused(format!(
            "token endpoint {token_url} refused the client credentials (HTTP {status}): {body}"
        )));
    }
    let (body, complete) = read_bounded(response, MAX_TOKEN_BODY).await;
    if !complete {
        return Err(CredentialError::Unreachable(format!(
            "token endpoint {token_url} answered with more than {MAX_TOKEN_BODY} bytes, which is not a token"
        )));
    }
    let t: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
        CredentialError::Unreachable(format!(
            "token endpoint {token_url} answered with an unexpected body: {e}"
        ))
    })?;
    Ok((
        t.access_token,
        Duration::from_secs(t.expires_in.unwrap_or(300)),
    ))
}
