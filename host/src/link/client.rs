//! Talking to the hub: HTTPS (pinned when the hub's certificate is self-signed), a
//! session token got with a signed request and renewed before it expires (or at once
//! when the hub says it is unknown), the agent's version on every call, and the hub's
//! refusals as typed [`LinkError`]s.

use super::pin::{pinned_client_config, Fingerprint};
use super::protocol::*;
use crate::package::SecretKey;
use anyhow::Result;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;
use tokio::sync::Mutex;

/// How long an ordinary call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);
/// A session is renewed this long before it expires.
const RENEW_BEFORE_MS: u64 = 60_000;

/// Why a call did not succeed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    /// The hub answered with a refusal.
    #[error("the hub refused ({status}): {}", .error.message)]
    Refused {
        /// The HTTP status.
        status: u16,
        /// What the hub said.
        error: LinkError,
    },
    /// No usable answer: unreachable, TLS, timeout, or a body that is not the protocol's.
    #[error("{0}")]
    Transport(String),
}

impl CallError {
    /// The hub's refusal kind, if it refused.
    pub fn kind(&self) -> Option<LinkErrorKind> {
        match self {
            CallError::Refused { error, .. } => Some(error.error),
            CallError::Transport(_) => None,
        }
    }
}

/// An HTTP client for the hub: pinned to `pin` when given, else the system's roots.
pub fn http(pin: Option<Fingerprint>) -> Result<reqwest::Client> {
    let b = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(50))
        .user_agent(concat!("ehr-host/", env!("CARGO_PKG_VERSION")));
    let b = match pin {
        Some(pin) => b.tls_backend_preconfigured(pinned_client_config(pin)),
        None => b,
    };
    Ok(b.build()?)
}

/// A failed request in plain words: what kind of failure, and the innermost cause (the
/// operating system's or TLS's own words), without URLs.
fn transport(e: reqwest::Error) -> CallError {
    let mut cause = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    let cause = cause
        .split(": https://")
        .next()
        .unwrap_or_default()
        .to_string();
    CallError::Transport(if e.is_timeout() {
        "the hub did not answer in time".to_string()
    } else if e.is_connect() {
        format!("cannot connect to the hub ({cause})")
    } else {
        format!("the connection to the hub broke ({cause})")
    })
}

async fn answer<T: DeserializeOwned>(resp: reqwest::Response) -> Result<T, CallError> {
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(transport)?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| {
            CallError::Transport(format!("the hub's answer is not the link protocol's: {e}"))
        });
    }
    match serde_json::from_slice::<LinkError>(&bytes) {
        Ok(error) => Err(CallError::Refused {
            status: status.as_u16(),
            error,
        }),
        Err(_) => Err(CallError::Transport(format!(
            "the hub answered {status} without a link error (a proxy in between?)"
        ))),
    }
}

/// `POST /link/v1/pair`.
pub async fn pair(
    http: &reqwest::Client,
    hub: &str,
    request: &PairRequest,
) -> Result<Paired, CallError> {
    let resp = http
        .post(format!("{hub}{PREFIX}/pair"))
        .timeout(CALL_TIMEOUT)
        .json(request)
        .send()
        .await
        .map_err(transport)?;
    answer(resp).await
}

/// A session token and when it expires.
#[derive(Clone)]
struct Token {
    token: String,
    expires_ms: u64,
}

/// A paired agent's client.
pub struct LinkClient {
    http: reqwest::Client,
    hub: String,
    agent_id: String,
    key: SecretKey,
    version: String,
    session: Mutex<Option<Token>>,
}

fn now_ms() -> u64 {
    crate::jobs::Clock::now_ms(&crate::jobs::SystemClock)
}

impl LinkClient {
    /// A client for agent `agent_id` at `hub`, signing with `key`, reporting `version`.
    pub fn new(
        http: reqwest::Client,
        hub: &str,
        agent_id: &str,
        key: SecretKey,
        version: &str,
    ) -> LinkClient {
        LinkClient {
            http,
            hub: hub.trim_end_matches('/').to_string(),
            agent_id: agent_id.to_string(),
            key,
            version: version.to_string(),
            session: Mutex::new(None),
        }
    }

    /// A new session: a signed `POST /link/v1/session`.
    async fn open_session(&self) -> Result<(Token, Intervals), CallError> {
        let path = format!("{PREFIX}/session");
        let time = now_ms();
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce)
            .map_err(|e| CallError::Transport(format!("no randomness: {e}")))?;
        let nonce = hex::encode(nonce);
        let signature = self
            .key
            .sign(&signing_input("POST", &path, time, &nonce, b""));
        let resp = self
            .http
            .post(format!("{}{path}", self.hub))
            .timeout(CALL_TIMEOUT)
            .header(AGENT_HEADER, &self.agent_id)
            .header(TIME_HEADER, time.to_string())
            .header(NONCE_HEADER, nonce)
            .header(SIGNATURE_HEADER, signature)
            .header(VERSION_HEADER, &self.version)
            .send()
            .await
            .map_err(transport)?;
        let s: Session = answer(resp).await?;
        Ok((
            Token {
                token: s.token,
                expires_ms: s.expires_ms,
            },
            s.intervals,
        ))
    }

    /// The current token, renewed when missing or about to expire.
    async fn token(&self) -> Result<String, CallError> {
        let mut held = self.session.lock().await;
        match &*held {
            Some(t) if t.expires_ms > now_ms() + RENEW_BEFORE_MS => Ok(t.token.clone()),
            _ => {
                let (t, _) = self.open_session().await?;
                let token = t.token.clone();
                *held = Some(t);
                Ok(token)
            }
        }
    }

    /// One authenticated call; on `401 unauthenticated` (the hub forgot the session,
    /// or it expired early) a new session is made and the call repeated once.
    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&B>,
        timeout: Duration,
    ) -> Result<T, CallError> {
        for attempt in 0..2 {
            let token = self.token().await?;
            let mut req = self
                .http
                .request(method.clone(), format!("{}{path}", self.hub))
                .timeout(timeout)
                .bearer_auth(token)
                .header(VERSION_HEADER, &self.version);
            if let Some(b) = body {
                req = req.json(b);
            }
            let resp = req.send().await.map_err(transport)?;
            match answer(resp).await {
                Err(e) if attempt == 0 && e.kind() == Some(LinkErrorKind::Unauthenticated) => {
                    *self.session.lock().await = None;
                }
                other => return other,
            }
        }
        unreachable!("the loop returns on its second pass")
    }

    /// `POST /link/v1/heartbeat`.
    pub async fn heartbeat(&self, hb: &Heartbeat) -> Result<HeartbeatAck, CallError> {
        self.call(
            reqwest::Method::POST,
            &format!("{PREFIX}/heartbeat"),
            Some(hb),
            CALL_TIMEOUT,
        )
        .await
    }

    /// `GET /link/v1/jobs?wait=S`: held by the hub up to `wait`.
    pub async fn poll(&self, wait: Duration) -> Result<Jobs, CallError> {
        let path = format!("{PREFIX}/jobs?wait={}", wait.as_secs());
        self.call::<(), _>(reqwest::Method::GET, &path, None, wait + CALL_TIMEOUT)
            .await
    }

    /// `POST /link/v1/jobs/{id}/lease`.
    pub async fn renew(
        &self,
        id: &str,
        progress: Option<String>,
    ) -> Result<LeaseAnswer, CallError> {
        let path = format!("{PREFIX}/jobs/{}/lease", encode(id));
        self.call(
            reqwest::Method::POST,
            &path,
            Some(&LeaseRenewal { progress }),
            CALL_TIMEOUT,
        )
        .await
    }

    /// `POST /link/v1/jobs/{id}/result`.
    pub async fn result(&self, id: &str, result: &JobResult) -> Result<ResultAck, CallError> {
        let path = format!("{PREFIX}/jobs/{}/result", encode(id));
        self.call(reqwest::Method::POST, &path, Some(result), CALL_TIMEOUT)
            .await
    }
}

impl LinkClient {
    /// `POST /link/v1/schedule`.
    pub async fn schedule(&self, batch: &ScheduleBatch) -> Result<ScheduleAck, CallError> {
        let path = format!("{PREFIX}/schedule");
        self.call(reqwest::Method::POST, &path, Some(batch), CALL_TIMEOUT)
            .await
    }
}

/// A job id as one path segment.
fn encode(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
