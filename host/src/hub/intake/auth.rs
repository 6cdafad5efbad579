//! The practice an intake request acts for: its API key, checked against the stored
//! hash (revoked keys refused), and the practice's rate.

use super::{error, too_many};
use crate::hub::ratelimit::Rate;
use crate::hub::secrets;
use crate::hub::state::Hub;
use crate::hub::store::{HubStore, StoreError};
use crate::jobs::Queue;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

const NO_KEY: &str = "missing or wrong API key: send `Authorization: Bearer <the practice's API key>` (the operator makes one with `ehr-host hub api-key create --practice P`)";

/// The practice whose valid API key the request carries, within its rate.
pub async fn practice<Q: Queue, S: HubStore>(
    hub: &Hub<Q, S>,
    headers: &HeaderMap,
) -> Result<String, Response> {
    let unauthorized = || error(StatusCode::UNAUTHORIZED, NO_KEY, vec![]);
    let key = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(unauthorized)?;
    let id = secrets::api_key_id(key).ok_or_else(unauthorized)?;
    let (record, hash) = match hub.store.api_key(id).await {
        Ok(k) => k,
        Err(StoreError::NotFound { .. }) => return Err(unauthorized()),
        Err(e) => return Err(unavailable(e)),
    };
    if !secrets::same(&secrets::hash(key), &hash) {
        return Err(unauthorized());
    }
    if record.revoked_ms.is_some() {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "this API key was revoked: ask the operator for a new one",
            vec![],
        ));
    }
    let practice = hub
        .store
        .practice(&record.practice_id)
        .await
        .map_err(unavailable)?;
    let rate = practice
        .settings
        .requests_per_minute
        .map(|per_minute| Rate {
            per_minute,
            burst: (per_minute / 6).max(1),
        });
    hub.practice_limiter
        .take(&practice.id, rate)
        .map_err(too_many)?;
    Ok(practice.id)
}

/// A store failure as an answer.
pub fn unavailable(e: StoreError) -> Response {
    match e {
        StoreError::Storage(m) => {
            tracing::error!("hub store: {m}");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the hub's store is unavailable; retry shortly",
                vec![],
            )
        }
        other => error(StatusCode::BAD_REQUEST, other.to_string(), vec![]),
    }
}
