//! `POST /link/v1/heartbeat`: the agent's version, adapters with their EHR connectivity,
//! and queue counts, recorded for `hub agents`; answered with the intervals and the
//! minimum version in force.

use super::auth::authenticate;
use super::{fail, store_down};
use crate::hub::state::Hub;
use crate::hub::store::HubStore;
use crate::jobs::Queue;
use crate::link::protocol::{Heartbeat, HeartbeatAck, LinkErrorKind};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;

/// Records a heartbeat.
pub async fn heartbeat<Q: Queue, S: HubStore>(
    State(hub): State<Arc<Hub<Q, S>>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let authed = match authenticate(&hub, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let hb: Heartbeat = match serde_json::from_str(&body) {
        Ok(h) => h,
        Err(e) => return fail(LinkErrorKind::BadRequest, format!("not a heartbeat: {e}")),
    };
    if hb.adapters.len() > 256 {
        return fail(
            LinkErrorKind::BadRequest,
            "a heartbeat lists at most 256 adapters",
        );
    }
    if let Err(e) = hub
        .store
        .record_heartbeat(&authed.agent.id, &hb, hub.now())
        .await
    {
        return store_down(e);
    }
    let served: Vec<&str> = hb.adapters.iter().map(|a| a.id.as_str()).collect();
    if authed.agent.served_ehrs() != served {
        // Its polls may now take jobs for EHRs it did not serve before.
        hub.wake.practice(&authed.agent.practice_id);
    }
    let schedule = match hub.store.practice(&authed.agent.practice_id).await {
        Ok(p) => crate::hub::schedule::directive(&p.settings),
        Err(e) => return store_down(e),
    };
    Json(HeartbeatAck {
        intervals: authed.settings.intervals,
        min_version: authed.settings.min_agent_version.to_string(),
        schedule: Some(schedule),
    })
    .into_response()
}
