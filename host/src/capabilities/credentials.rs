//! Credentials the host holds and injects per origin: static bearer tokens and OAuth2
//! client credentials (fetched, cached until shortly before expiry, refreshed on 401).
//! They live in the host for the life of the loaded adapter; no guest ever sees one.

use super::origin;
use crate::config::{resolve_secret, AdapterConfig, Credential};
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
}

impl Credentials {
    /// From the operator's config. Secrets are resolved when first used, so a missing
    /// environment variable fails the call that needs it, with its name.
    pub fn from_config(config: &AdapterConfig) -> Credentials {
        let entries = config
            .credentials
            .iter()
            .map(|c| Entry {
                origin: origin::of_url(c.origin()).unwrap_or_else(|_| c.origin().to_string()),
                credential: c.clone(),
                cached: Mutex::new(None),
            })
            .collect();
        Credentials { entries }
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
                let (token, ttl) =
                    fetch_token(client, token_url, client_id, &secret, scope.as_deref()).await?;
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
    /// The token endpoint could not be reached, failed on its side (5xx, 429) or answered
    /// something that is not a token.
    Unreachable(String),
    /// The token endpoint did not answer in time.
    Timeout(String),
}

impl std::fmt::Display for CredentialError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialError::Missing(m)
            | CredentialError::Refused(m)
            | CredentialError::Unreachable(m)
            | CredentialError::Timeout(m) => f.write_str(m),
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
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        let body: String = body.chars().take(200).collect();
        return Err(if status.is_server_error() || status.as_u16() == 429 {
            CredentialError::Unreachable(format!(
                "token endpoint {token_url} failed (HTTP {status}): {body}"
            ))
        } else {
            CredentialError::Refused(format!(
                "token endpoint {token_url} refused the client credentials (HTTP {status}): {body}"
            ))
        });
    }
    let t: TokenResponse = response.json().await.map_err(|e| {
        CredentialError::Unreachable(format!(
            "token endpoint {token_url} answered with an unexpected body: {e}"
        ))
    })?;
    Ok((
        t.access_token,
        Duration::from_secs(t.expires_in.unwrap_or(300)),
    ))
}
