//! `GET /metrics` on the hub (admin token) and on the agent's loopback API (its API
//! token): Prometheus scrapes with `authorization: {credentials_file: ...}`. Metrics
//! name practices and agents, so they are not served to anyone who asks.

use super::{gauges, global};
use crate::hub::state::Hub;
use crate::hub::store::HubStore;
use crate::jobs::Queue;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

/// The media type of the exposition (OpenMetrics text, which Prometheus reads).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The adapters an agent serves now, as `(id, version)`.
pub type Serving = Arc<dyn Fn() -> Vec<(String, String)> + Send + Sync>;

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

fn refused(whose: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        format!("missing or wrong token: send `Authorization: Bearer <{whose}>`\n"),
    )
        .into_response()
}

fn exposition() -> Response {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], global().render()).into_response()
}

/// The hub's `/metrics`.
pub fn hub_router<Q: Queue + 'static, S: HubStore>(hub: Arc<Hub<Q, S>>) -> Router {
    Router::new()
        .route("/metrics", get(hub_metrics::<Q, S>))
        .with_state(hub)
}

async fn hub_metrics<Q: Queue, S: HubStore>(
    State(hub): State<Arc<Hub<Q, S>>>,
    headers: HeaderMap,
) -> Response {
    if !bearer(&headers).is_some_and(|t| crate::hub::secrets::same(t, &hub.admin_token)) {
        return refused("admin.token in the hub's home");
    }
    // A store that cannot be read leaves the last values; the scrape still answers, and
    // the failure is logged (the hub's status says more).
    if let Err(e) = gauges::queue_depth(global(), hub.queue.as_ref()).await {
        tracing::warn!("metrics: cannot read the job queue: {e}");
    }
    match hub.store.agents(None).await {
        Ok(agents) => gauges::agents(global(), &agents, hub.now()),
        Err(e) => tracing::warn!("metrics: cannot read the agents: {e}"),
    }
    exposition()
}

/// What the agent's `/metrics` reads.
pub struct AgentMetrics<Q> {
    /// Its job queue.
    pub queue: Arc<Q>,
    /// Its API token.
    pub token: String,
    /// Its adapters.
    pub serving: Serving,
}

/// The agent's `/metrics`, merged into its loopback job API.
pub fn agent_router<Q: Queue + 'static>(m: AgentMetrics<Q>) -> Router {
    Router::new()
        .route("/metrics", get(agent_metrics::<Q>))
        .with_state(Arc::new(m))
}

async fn agent_metrics<Q: Queue>(
    State(m): State<Arc<AgentMetrics<Q>>>,
    headers: HeaderMap,
) -> Response {
    if !bearer(&headers).is_some_and(|t| crate::hub::secrets::same(t, &m.token)) {
        return refused("api.token in the agent's home");
    }
    if let Err(e) = gauges::queue_depth(global(), m.queue.as_ref()).await {
        tracing::warn!("metrics: cannot read the job queue: {e}");
    }
    let served: Vec<(String, String, String)> = (m.serving)()
        .into_iter()
        .map(|(id, v)| ("local".to_string(), id, v))
        .collect();
    gauges::adapters(global(), &served);
    exposition()
}
