//! The alerts over HTTP, with the admin token (`Authorization: Bearer <admin.token>`):
//!
//! | request | answer |
//! |---|---|
//! | `GET /api/v1/alerts[?all=true]` | open alerts (all, with resolved ones), newest first, each with `needs_attention` |
//! | `POST /api/v1/alerts/{id}/ack` | the alert, acknowledged as it is now |
//! | `POST /api/v1/alerts/{id}/silence` `{"minutes": N}` or `{"until_ms": T}` | the alert, silenced |
//! | `GET /admin/v1/alert-settings` | thresholds and webhooks (secrets redacted) |
//! | `PUT /admin/v1/alert-settings` | saves them (checked first) |

use super::model::AlertSettings;
use super::ops;
use super::store::AlertStore;
use super::AnyAlerts;
use crate::hub::admin::refused;
use crate::hub::state::Hub;
use crate::hub::store::{HubStore, StoreError};
use crate::jobs::Queue;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

struct Api<Q, S> {
    hub: Arc<Hub<Q, S>>,
    alerts: Arc<AnyAlerts>,
}

type St<Q, S> = State<Arc<Api<Q, S>>>;

/// The alert routes.
pub fn router<Q: Queue + 'static, S: HubStore>(
    hub: Arc<Hub<Q, S>>,
    alerts: Arc<AnyAlerts>,
) -> Router {
    Router::new()
        .route("/api/v1/alerts", get(list::<Q, S>))
        .route("/api/v1/alerts/{id}/ack", post(ack::<Q, S>))
        .route("/api/v1/alerts/{id}/silence", post(silence::<Q, S>))
        .route(
            "/admin/v1/alert-settings",
            get(settings::<Q, S>).put(save_settings::<Q, S>),
        )
        .with_state(Arc::new(Api { hub, alerts }))
}

fn answer(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

fn done<T: serde::Serialize>(r: Result<T, StoreError>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e @ StoreError::NotFound { .. }) => answer(StatusCode::NOT_FOUND, e.to_string()),
        Err(e) => answer(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    all: bool,
}

async fn list<Q: Queue, S: HubStore>(
    State(api): St<Q, S>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    if let Some(r) = refused(&api.hub, &headers) {
        return r;
    }
    done(ops::list(api.alerts.as_ref(), q.all, api.hub.now()).await)
}

async fn ack<Q: Queue, S: HubStore>(
    State(api): St<Q, S>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = refused(&api.hub, &headers) {
        return r;
    }
    done(ops::ack(api.alerts.as_ref(), &id, api.hub.now()).await)
}

/// How long to silence: minutes from now, or until a time.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Silence {
    minutes: Option<u64>,
    until_ms: Option<u64>,
}

async fn silence<Q: Queue, S: HubStore>(
    State(api): St<Q, S>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(s): Json<Silence>,
) -> Response {
    if let Some(r) = refused(&api.hub, &headers) {
        return r;
    }
    let now = api.hub.now();
    let until = match (s.minutes, s.until_ms) {
        (Some(m), None) => now.saturating_add(m.saturating_mul(60_000)),
        (None, Some(t)) if t > now => t,
        _ => {
            return answer(
                StatusCode::BAD_REQUEST,
                "say how long to silence: `{\"minutes\": 60}` or `{\"until_ms\": <a future time in ms>}`",
            )
        }
    };
    done(ops::silence(api.alerts.as_ref(), &id, until, now).await)
}

async fn settings<Q: Queue, S: HubStore>(State(api): St<Q, S>, headers: HeaderMap) -> Response {
    if let Some(r) = refused(&api.hub, &headers) {
        return r;
    }
    done(api.alerts.settings().await.map(ops::redacted))
}

async fn save_settings<Q: Queue, S: HubStore>(
    State(api): St<Q, S>,
    headers: HeaderMap,
    Json(s): Json<AlertSettings>,
) -> Response {
    if let Some(r) = refused(&api.hub, &headers) {
        return r;
    }
    if let Err(e) = s.check() {
        return answer(StatusCode::BAD_REQUEST, e);
    }
    done(
        api.alerts
            .save_settings(&s)
            .await
            .map(|()| ops::redacted(s)),
    )
}
