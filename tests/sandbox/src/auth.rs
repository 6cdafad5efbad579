//! Bearer-token checks on `/api/` and the OAuth2 client-credentials token endpoint.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::json;

use crate::config::SandboxConfig;
use crate::error::ApiError;
use crate::shared::{lock, Shared};

/// What a bearer token is worth right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenStatus {
    Valid,
    Expired,
    Unknown,
}

#[derive(Debug)]
struct Issued {
    expires_at: Instant,
    /// Set by `expire_tokens`: the token is dead regardless of its lifetime.
    revoked: bool,
}

#[derive(Debug, Default)]
struct Tokens {
    /// Static token → revoked.
    fixed: HashMap<String, bool>,
    issued: HashMap<String, Issued>,
}

/// Known tokens, their lifetimes, and the OAuth clients allowed to get new ones.
#[derive(Debug)]
pub(crate) struct TokenStore {
    tokens: Mutex<Tokens>,
    clients: Vec<(String, String)>,
    ttl: Duration,
}

impl TokenStore {
    pub fn new(cfg: SandboxConfig) -> TokenStore {
        let fixed = cfg.static_tokens.into_iter().map(|t| (t, false)).collect();
        TokenStore {
            tokens: Mutex::new(Tokens {
                fixed,
                issued: HashMap::new(),
            }),
            clients: cfg.oauth_clients,
            ttl: cfg.token_ttl,
        }
    }

    pub fn check(&self, token: &str) -> TokenStatus {
        let tokens = lock(&self.tokens);
        if let Some(&revoked) = tokens.fixed.get(token) {
            return if revoked {
                TokenStatus::Expired
            } else {
                TokenStatus::Valid
            };
        }
        match tokens.issued.get(token) {
            None => TokenStatus::Unknown,
            Some(t) if t.revoked || Instant::now() >= t.expires_at => TokenStatus::Expired,
            Some(_) => TokenStatus::Valid,
        }
    }

    /// Issues a token for a known client, or `None` for a wrong id or secret.
    pub fn issue(&self, client_id: &str, secret: &str) -> Option<String> {
        let known = self
            .clients
            .iter()
            .any(|(id, s)| id == client_id && s == secret);
        if !known {
            return None;
        }
        let token = format!("rev_{}", crate::ids::hex128());
        let issued = Issued {
            expires_at: Instant::now() + self.ttl,
            revoked: false,
        };
        lock(&self.tokens).issued.insert(token.clone(), issued);
        Some(token)
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Every token known so far, static ones included, answers `session_expired` from now on.
    pub fn expire_all(&self) {
        let mut tokens = lock(&self.tokens);
        tokens.fixed.values_mut().for_each(|r| *r = true);
        tokens.issued.values_mut().for_each(|t| t.revoked = true);
    }

    /// Undoes [`expire_all`](Self::expire_all); natural lifetimes still apply.
    pub fn revive_all(&self) {
        let mut tokens = lock(&self.tokens);
        tokens.fixed.values_mut().for_each(|r| *r = false);
        tokens.issued.values_mut().for_each(|t| t.revoked = false);
    }
}

/// Middleware for `/api/`: refuses requests without a currently valid bearer token.
pub(crate) async fn require_bearer(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    let token = match bearer_token(req.headers()) {
        Some(t) => t,
        None => {
            return ApiError::invalid_token("Missing bearer token in Authorization header")
                .into_response()
        }
    };
    match shared.tokens.check(&token) {
        TokenStatus::Valid => next.run(req).await,
        TokenStatus::Expired => ApiError::session_expired().into_response(),
        TokenStatus::Unknown => ApiError::invalid_token("Unknown access token").into_response(),
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}

/// `POST /oauth/token`: the OAuth2 client-credentials grant (RFC 6749 §4.4), with the
/// client authenticated either by form fields or by HTTP Basic.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: Vec<(String, String)> = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(_) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request"),
    };
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match field("grant_type") {
        None => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request"),
        Some("client_credentials") => {}
        Some(_) => return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
    }
    let credentials = basic_credentials(&headers).or_else(|| {
        Some((
            field("client_id")?.to_string(),
            field("client_secret")?.to_string(),
        ))
    });
    let Some((id, secret)) = credentials else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    };
    let Some(token) = shared.tokens.issue(&id, &secret) else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    };
    let body = json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": shared.tokens.ttl().as_secs(),
    });
    // RFC 6749 §5.1: token responses must not be cached.
    (
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}

/// OAuth errors use the RFC 6749 shape, not the API's `{"error","message"}` one.
fn oauth_error(status: StatusCode, code: &str) -> Response {
    (status, axum::Json(json!({"error": code}))).into_response()
}

/// Client id and secret from `Authorization: Basic`, form-url-decoded as RFC 6749 §2.3.1 asks.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(&format!("id={id}&secret={secret}")).ok()?;
    match pairs.as_slice() {
        [(_, id), (_, secret)] => Some((id.clone(), secret.clone())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Static tokens are valid until expired and revived; unknown tokens are unknown.
    #[test]
    fn static_tokens_expire_and_revive() {
        let store = TokenStore::new(SandboxConfig::default());
        assert_eq!(store.check("sandbox-token"), TokenStatus::Valid);
        assert_eq!(store.check("nope"), TokenStatus::Unknown);
        store.expire_all();
        assert_eq!(store.check("sandbox-token"), TokenStatus::Expired);
        store.revive_all();
        assert_eq!(store.check("sandbox-token"), TokenStatus::Valid);
    }

    // Issued tokens die at the end of their lifetime.
    #[test]
    fn issued_tokens_respect_ttl() {
        let cfg = SandboxConfig {
            token_ttl: Duration::ZERO,
            ..SandboxConfig::default()
        };
        let store = TokenStore::new(cfg);
        assert_eq!(store.issue("ehr-host", "wrong"), None);
        let token = store.issue("ehr-host", "sandbox-secret").unwrap();
        assert_eq!(store.check(&token), TokenStatus::Expired);
    }

    // Basic client authentication decodes id and secret.
    #[test]
    fn basic_credentials_decode() {
        let mut headers = HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode("ehr-host:s%3Acret");
        headers.insert(
            header::AUTHORIZATION,
            format!("Basic {encoded}").parse().unwrap(),
        );
        assert_eq!(
            basic_credentials(&headers),
            Some(("ehr-host".to_string(), "s:cret".to_string()))
        );
    }
}
