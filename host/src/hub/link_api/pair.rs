//! `POST /link/v1/pair`: a one-time code and a new public key make a paired agent.
//! Unauthenticated (the code is the credential), so attempts are rate limited per
//! client address.

use super::{fail, rate_limited, store_down};
use crate::hub::secrets;
use crate::hub::state::Hub;
use crate::hub::store::{HubStore, NewAgent, StoreError};
use crate::hub::tls::Peer;
use crate::jobs::Queue;
use crate::link::protocol::{normalize_code, LinkErrorKind, PairRequest, Paired};
use crate::package::PublicKey;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;

/// Pairs an agent.
pub async fn pair<Q: Queue, S: HubStore>(
    State(hub): State<Arc<Hub<Q, S>>>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    body: String,
) -> Response {
    if let Err(wait) = hub.pairing_limiter.take(&peer.ip().to_string(), None) {
        return rate_limited(wait);
    }
    let bad = |m: String| fail(LinkErrorKind::BadRequest, m);
    let req: PairRequest = match serde_json::from_str(&body) {
        Ok(r) => r,
        Err(e) => return bad(format!("not a pairing request: {e}")),
    };
    let code = match normalize_code(&req.code) {
        Ok(c) => c,
        Err(m) => return fail(LinkErrorKind::BadCode, m),
    };
    if PublicKey::from_hex(&req.public_key).is_err() {
        return bad("public_key must be an ed25519 public key, 64 hex characters".into());
    }
    if semver::Version::parse(&req.version).is_err() {
        return bad(format!(
            "version `{}` is not a version (semver)",
            crate::untrusted::clean(&req.version, 40)
        ));
    }
    let settings = match hub.settings().await {
        Ok(s) => s,
        Err(e) => return store_down(e),
    };
    let id = match secrets::new_agent_id() {
        Ok(id) => id,
        Err(e) => return fail(LinkErrorKind::Unavailable, e.to_string()),
    };
    let new = NewAgent {
        id,
        name: crate::untrusted::clean(&req.name, 80),
        public_key: req.public_key.trim().to_ascii_lowercase(),
        version: req.version.clone(),
        default_pairing_seconds: settings.pairing_seconds,
    };
    let agent = match hub
        .store
        .redeem_pair_code(&secrets::hash(&code), new, hub.now())
        .await
    {
        Ok(a) => a,
        Err(StoreError::BadCode(p)) => return fail(LinkErrorKind::BadCode, p.to_string()),
        Err(e) => return store_down(e),
    };
    let practice = match hub.store.practice(&agent.practice_id).await {
        Ok(p) => p,
        Err(e) => return store_down(e),
    };
    tracing::info!(agent = %agent.id, practice = %agent.practice_id, "agent paired");
    let paired = Paired {
        agent_id: agent.id,
        practice_id: practice.id,
        practice_name: practice.name,
        expires_ms: agent.expires_ms,
        intervals: settings.intervals,
    };
    (StatusCode::CREATED, Json(paired)).into_response()
}
