//! The operator's admin API (`/admin/v1`), with the bearer token in `<hub home>/admin.token`:
//! the same operations as `ehr-host hub ...`.
//!
//! | request | answer |
//! |---|---|
//! | `POST /admin/v1/practices` `{"id", "name"}` | 201 practice |
//! | `GET /admin/v1/practices` | practices |
//! | `POST /admin/v1/practices/{p}/api-keys` `{"label"}` | 201 `{"record", "key"}` (the key shown once) |
//! | `POST /admin/v1/api-keys/{id}/revoke` | 204 |
//! | `POST /admin/v1/practices/{p}/pair-codes` `{"ttl_seconds"}` | 201 `{"practice_id", "code", "expires_ms", "fingerprint"}` |
//! | `GET /admin/v1/agents[?practice=]` | agents with their state |
//! | `POST /admin/v1/agents/{id}/revoke` | 204 |
//! | `GET /admin/v1/jobs[?practice=&status=]` | jobs |
//! | `GET /admin/v1/settings`, `PUT` with the whole settings | settings |
//! | `GET /admin/v1/practices/{p}/schedule` | the practice's schedule sync (`hub::schedule::ScheduleView`) |

use super::ops;
use super::state::Hub;
use super::store::{HubSettings, HubStore, StoreError};
use crate::jobs::{JobView, Queue, Status};
use crate::status::hub::AgentView;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

type Admin<Q, S> = State<Arc<Hub<Q, S>>>;

/// The admin routes.
pub fn router<Q: Queue + 'static, S: HubStore>(hub: Arc<Hub<Q, S>>) -> Router {
    Router::new()
        .route(
            "/admin/v1/practices",
            post(create_practice::<Q, S>).get(practices::<Q, S>),
        )
        .route("/admin/v1/practices/{p}/api-keys", post(create_key::<Q, S>))
        .route("/admin/v1/api-keys/{id}/revoke", post(revoke_key::<Q, S>))
        .route(
            "/admin/v1/practices/{p}/pair-codes",
            post(pair_code::<Q, S>),
        )
        .route("/admin/v1/practices/{p}/schedule", get(schedule::<Q, S>))
        .route("/admin/v1/agents", get(agents::<Q, S>))
        .route("/admin/v1/agents/{id}/revoke", post(revoke_agent::<Q, S>))
        .route("/admin/v1/jobs", get(jobs::<Q, S>))
        .route(
            "/admin/v1/settings",
            get(settings::<Q, S>).put(save_settings::<Q, S>),
        )
        .with_state(hub)
}

fn answer(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"error": message.into(), "details": []})),
    )
        .into_response()
}

/// Refuses a request without the admin token (the alerts API's admin routes too).
pub(crate) fn refused<Q, S>(hub: &Hub<Q, S>, headers: &HeaderMap) -> Option<Response> {
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if super::secrets::same(given.trim(), &hub.admin_token) {
        None
    } else {
        Some(answer(
            StatusCode::UNAUTHORIZED,
            "missing or wrong admin token: send `Authorization: Bearer <admin.token in the hub's home>`",
        ))
    }
}

fn failed(e: anyhow::Error) -> Response {
    match e.downcast_ref::<StoreError>() {
        Some(StoreError::NotFound { .. }) => answer(StatusCode::NOT_FOUND, e.to_string()),
        Some(StoreError::Duplicate { .. }) => answer(StatusCode::CONFLICT, e.to_string()),
        Some(StoreError::Storage(_)) => answer(StatusCode::SERVICE_UNAVAILABLE, format!("{e:#}")),
        _ => answer(StatusCode::BAD_REQUEST, format!("{e:#}")),
    }
}

fn done<T: serde::Serialize>(status: StatusCode, r: anyhow::Result<T>) -> Response {
    match r {
        Ok(v) => (status, Json(v)).into_response(),
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPractice {
    id: String,
    name: String,
}

async fn create_practice<Q: Queue, S: HubStore>(
    State(hub): Admin<Q, S>,
    headers: HeaderMap,
    Json(p): Json<NewPractice>,
) -> Response {
    if let Some(r) = refused(&hub, &headers) {
        return r;
    }
    done(
        StatusCode::CREATED,
        ops::create_practice(hub.store.as_ref(), &p.id, &p.name, hub.now()).await,
    )
}

async fn practices<Q: Queue, S: HubStore>(State(hub): Admin<Q, S>, headers: HeaderMap) -> Response {
    if let Some(r) = refused(&hub, &headers) {
        return r;
    }
    done(
        StatusCode::OK,
        hub.store.practices().await.map_err(Into::into),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    #[serde(default)]
    label: String,
}

async fn create_key<Q: Queue, S: HubStore>(
    State(hub): Admin<Q, S>,
    headers: HeaderMap,
    Path(p): Path<String>,
    Json(k): Json<NewKey>,
) -> Response {
    if let Some(r) = refused(&hub, &headers) {
        return r;
    }
    done(
        StatusCode::CREATED,
        ops::create_api_key(hub.store.as_ref(), &p, &k.label, hub.now()).await,
    )
}

async fn revoke_key<Q: Queue, S: HubStore>(
    State(hub): Admin<Q, S>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = refused(&hub, &headers) {
        return r;
    }
    match hub.store.revoke_api_key(&id, hub.now()).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => failed(e.into()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCode {
    ttl_seconds: Option<u64>,
}

async fn pair_code<Q: Queue, S: HubStore>(
    State(hub): Admin<Q, S>,
    headers: HeaderMap,
    Path(p): Path<String>,
    Json(c): Json<NewCode>,
) -> Response {
    if let Some(r) = refused(&hub, &headers) {
        return r;
    }
    let ttl = c.ttl_seconds.map_or(ops::CODE_TTL, Duration::from_secs);
    match ops::create_pair_code(hub.store.as_ref(), &p, ttl, hub.now()).await {
        Ok(code) => {
            let body = json!({"practice_id": code.practice_id, "code": code.code, "expires_ms": code.expires_ms, "fingerprint": hub.fingerprint.to_string()});
            (StatusCode::CREATED, Json(body)).into_response()
        }
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
struct Filter {
    practice: Option<String>,
    status: Option<String>,
}

async fn agents<Q: Queue, S: HubStore>(
    State(hub): Admin<Q, S>,
    headers: HeaderMap,
    Query(f): Query<Filter>,
) -> Response {
    if let Some(r) = refused(&hub, &headers) {
        return r;
    }
    let r = async {
        let settings = hub.settings().await?;
        let now = hub.now();
        let list = hub.store.agents(f.practice.as_deref()).await?;
        Ok::<_, StoreError>(
            list.into_iter()
                .map(|a| AgentView::new(a, &settings, now))
                .collect::<Vec<_>>(),
        )
    };
    done(StatusCode::OK, r.await.map_err(Into::into))
}

async fn schedule<Q: Queue, S: HubStore>(
    State(hub): Admin<Q, S>,
    headers: HeaderMap,
    Path(p): Path<String>,
) -> Response {
    if let Some(r) = refused(&hub, &headers) {
        return r;
    }
    let r = super::schedule::load(hub.store.as_ref(), &p, hub.now()).await;
    done(StatusCode::OK, r.map_err(Into::into))
}

async fn revoke_agent<Q: Queue, S: HubStore>(
    State(hub): Admin<Q, S>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = refused(&hub, &headers) {
        return r;
    }
    match hub.store.revoke_agent(&id, hub.now()).await {
        Ok(()) => {
            tracing::warn!(agent = %id, "agent revoked by the operator");
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => failed(e.into()),
    }
}

async fn jobs<Q: Queue, S: HubStore>(
    State(hub): Admin<Q, S>,
    headers: HeaderMap,
    Query(f): Query<Filter>,
) -> Response {
    if let Some(r) = refused(&hub, &headers) {
        return r;
    }
    let status = match f.status.as_deref().map(|s| Status::parse(s).ok_or(s)) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(s)) => {
            return answer(
                StatusCode::BAD_REQUEST,
                format!("`{}` is not a job status", crate::untrusted::clean(s, 40)),
            )
        }
    };
    match hub.queue.list_where(status, f.practice.as_deref()).await {
        Ok(list) => {
            let now = hub.now();
            Json(
                list.into_iter()
                    .map(|j| JobView::new(j, now, hub.stuck_after))
                    .collect::<Vec<_>>(),
            )
            .into_response()
        }
        Err(e) => answer(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

async fn settings<Q: Queue, S: HubStore>(State(hub): Admin<Q, S>, headers: HeaderMap) -> Response {
    if let Some(r) = refused(&hub, &headers) {
        return r;
    }
    done(
        StatusCode::OK,
        hub.store.settings().await.map_err(Into::into),
    )
}

async fn save_settings<Q: Queue, S: HubStore>(
    State(hub): Admin<Q, S>,
    headers: HeaderMap,
    Json(s): Json<HubSettings>,
) -> Response {
    if let Some(r) = refused(&hub, &headers) {
        return r;
    }
    if let Err(e) = super::settings::check(&s) {
        return answer(StatusCode::BAD_REQUEST, e);
    }
    done(
        StatusCode::OK,
        hub.store
            .save_settings(&s)
            .await
            .map(|()| s)
            .map_err(Into::into),
    )
}
