//! The schedule: `GET /api/v1/appointments?startDate=..&endDate=..[&providerId=..]`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::Json;
use serde_json::{json, Value};

use super::rules::is_date;
use crate::error::ApiError;
use crate::shared::Shared;

/// Appointments whose start date falls within `startDate..=endDate`, optionally for one
/// provider, ordered by start time, each with its patient joined in.
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
    let (Some(start), Some(end)) = (param("startDate"), param("endDate")) else {
        return Err(ApiError::bad_request(
            "startDate and endDate are required (YYYY-MM-DD)",
        ));
    };
    if !is_date(start) || !is_date(end) {
        return Err(ApiError::bad_request(
            "startDate and endDate must be dates YYYY-MM-DD",
        ));
    }
    if start > end {
        return Err(ApiError::bad_request("startDate must not be after endDate"));
    }
    let provider = param("providerId");

    let data = shared.revolution();
    let mut found: Vec<_> = data
        .appointments
        .iter()
        .filter(|a| {
            // ISO dates compare correctly as strings; the start's first ten characters are its date.
            let day = &a.start[..10];
            day >= start && day <= end && provider.is_none_or(|p| a.provider_id == p)
        })
        .collect();
    found.sort_by(|a, b| a.start.cmp(&b.start));
    let answer: Vec<Value> = found
        .into_iter()
        .map(|a| {
            json!({
                "id": a.id,
                "start": a.start,
                "durationMinutes": a.duration_minutes,
                "type": a.kind,
                "providerId": a.provider_id,
                "providerName": data.providers.get(&a.provider_id).map(|p| &p.name),
                "status": a.status,
                "encounterId": a.encounter_id,
                "patient": data.patients.get(&a.patient_id),
            })
        })
        .collect();
    Ok(Json(Value::Array(answer)))
}
