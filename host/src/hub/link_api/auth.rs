//! Who is calling: `POST /session` proves the device key with a signed request and gets
//! a short-lived token; every other call presents the token. Each call also checks the
//! agent's standing (revoked, pairing expired) and its rate limit.

use super::{fail, rate_limited, store_down};
use crate::hub::secrets;
use crate::hub::state::Hub;
use crate::hub::store::{AgentRecord, HubSettings, HubStore, StoreError};
use crate::jobs::Queue;
use crate::link::protocol::{
    signing_input, LinkErrorKind, Session, AGENT_HEADER, MAX_CLOCK_SKEW_MS, NONCE_HEADER,
    SIGNATURE_HEADER, TIME_HEADER,
};
use crate::package::PublicKey;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;

/// How long a session token works.
pub const SESSION_TTL_MS: u64 = 15 * 60 * 1000;

/// An authenticated agent, in good standing.
pub struct Authed {
    /// The agent.
    pub agent: AgentRecord,
    /// The settings in force.
    pub settings: HubSettings,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The refusal for a revoked agent or one whose pairing expired.
fn standing(agent: &AgentRecord, now_ms: u64) -> Option<Response> {
    if agent.revoked_ms.is_some() {
        return Some(fail(
            LinkErrorKind::Revoked,
            "the operator revoked this device: pair it again with a new code",
        ));
    }
    if agent.expires_ms.is_some_and(|e| e <= now_ms) {
        return Some(fail(
            LinkErrorKind::PairingExpired,
            "this device's pairing expired: pair it again with a new code",
        ));
    }
    None
}

/// The agent presenting a valid session token, in good standing and within its rate.
pub async fn authenticate<Q: Queue, S: HubStore>(
    hub: &Hub<Q, S>,
    headers: &HeaderMap,
) -> Result<Authed, Response> {
    let token = header(headers, "authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            fail(
                LinkErrorKind::Unauthenticated,
                "no session token: get one with a signed POST /link/v1/session",
            )
        })?;
    let now = hub.now();
    let agent_id = hub
        .store
        .session_agent(&secrets::hash(token.trim()), now)
        .await
        .map_err(store_down)?
        .ok_or_else(|| {
            fail(
                LinkErrorKind::Unauthenticated,
                "the session token is unknown or expired: get a new one",
            )
        })?;
    let agent = hub.store.agent(&agent_id).await.map_err(store_down)?;
    if let Some(r) = standing(&agent, now) {
        return Err(r);
    }
    hub.agent_limiter
        .take(&agent.id, None)
        .map_err(rate_limited)?;
    let settings = hub.settings().await.map_err(store_down)?;
    Ok(Authed { agent, settings })
}

/// `POST /link/v1/session`: a signed request for a session token.
pub async fn session<Q: Queue, S: HubStore>(
    State(hub): State<Arc<Hub<Q, S>>>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    match signed_session(&hub, &uri, &headers, &body).await {
        Ok(s) => Json(s).into_response(),
        Err(r) => r,
    }
}

async fn signed_session<Q: Queue, S: HubStore>(
    hub: &Hub<Q, S>,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Session, Response> {
    let unauth = |m: &str| fail(LinkErrorKind::Unauthenticated, m);
    let (Some(agent_id), Some(time), Some(nonce), Some(sig)) = (
        header(headers, AGENT_HEADER),
        header(headers, TIME_HEADER),
        header(headers, NONCE_HEADER),
        header(headers, SIGNATURE_HEADER),
    ) else {
        return Err(unauth("a session request must be signed: x-ehr-agent, x-ehr-time, x-ehr-nonce and x-ehr-signature"));
    };
    let time: u64 = time
        .parse()
        .map_err(|_| unauth("x-ehr-time is not a time in ms"))?;
    if nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(unauth("x-ehr-nonce must be 32 hex characters"));
    }
    let now = hub.now();
    if time.abs_diff(now) > MAX_CLOCK_SKEW_MS {
        return Err(unauth(
            "the request's time is more than 5 minutes from the hub's: check this computer's clock",
        ));
    }
    let agent = match hub.store.agent(agent_id).await {
        Ok(a) => a,
        Err(StoreError::NotFound { .. }) => return Err(unauth("unknown agent: pair this device")),
        Err(e) => return Err(store_down(e)),
    };
    hub.agent_limiter
        .take(&agent.id, None)
        .map_err(rate_limited)?;
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or(uri.path());
    let signed = signing_input("POST", path, time, nonce, body);
    let key = PublicKey::from_hex(&agent.public_key)
        .map_err(|_| unauth("the agent's stored key is unusable: pair again"))?;
    if !key.verify(&signed, sig) {
        return Err(unauth(
            "the request's signature does not verify with this agent's key",
        ));
    }
    if let Some(r) = standing(&agent, now) {
        return Err(r);
    }
    let fresh = hub
        .store
        .use_nonce(&agent.id, nonce, time + MAX_CLOCK_SKEW_MS)
        .await
        .map_err(store_down)?;
    if !fresh {
        return Err(unauth(
            "this signed request was seen before (a replay): sign a new one",
        ));
    }
    let token =
        secrets::new_token().map_err(|e| fail(LinkErrorKind::Unavailable, e.to_string()))?;
    let expires_ms = now + SESSION_TTL_MS;
    hub.store
        .create_session(&secrets::hash(&token), &agent.id, expires_ms)
        .await
        .map_err(store_down)?;
    let settings = hub.settings().await.map_err(store_down)?;
    Ok(Session {
        token,
        expires_ms,
        intervals: settings.intervals,
    })
}
