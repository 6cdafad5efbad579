//! The schedule: `GET /ehr/v2/schedule?date=YYYY-MM-DD[&providerId=..]`, one day at a time.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::Json;
use serde_json::{json, Value};

use super::lookups::patient_json;
use crate::error::ApiError;
use crate::revolution::rules::is_date;
use crate::shared::Shared;

/// The day's slots, optionally for one provider, ordered by time, each with its patient.
pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params: Vec<(String, String)> = serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
        .map_err(|_| ApiError::bad_request("malformed query string"))?;
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let date = param("date")
        .filter(|d| is_date(d))
        .ok_or_else(|| ApiError::bad_request("date is required (YYYY-MM-DD)"))?;
    let provider = param("providerId");
    let data = shared.eyefinity();
    let mut slots: Vec<_> = data
        .slots
        .iter()
        .filter(|s| s.date == date && provider.is_none_or(|p| s.provider_id == p))
        .collect();
    slots.sort_by(|a, b| a.time.cmp(&b.time));
    let slots: Vec<Value> = slots
        .into_iter()
        .map(|s| {
            json!({
                "slotId": s.id,
                "time": s.time,
                "minutes": s.minutes,
                "reason": s.reason,
                "provider": {"id": s.provider_id, "name": data.providers.get(&s.provider_id).map(|p| &p.name)},
                "state": s.state,
                "visitId": s.visit_id,
                "patient": data.patients.get(&s.patient_id).map(patient_json),
            })
        })
        .collect();
    Ok(Json(json!({"date": date, "slots": slots})))
}
