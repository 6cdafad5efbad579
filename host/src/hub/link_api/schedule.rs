//! `POST /link/v1/schedule`: an agent's schedule changes, applied to its practice's
//! synced schedule once each (the agent's outbox id and each change's number make the
//! receipt idempotent), answered with the highest number applied.

use super::auth::authenticate;
use super::{fail, store_down};
use crate::hub::state::Hub;
use crate::hub::store::HubStore;
use crate::jobs::Queue;
use crate::link::protocol::{LinkErrorKind, ScheduleAck, ScheduleBatch, MAX_SCHEDULE_CHANGES};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;

/// The most EHR runs in one batch.
const MAX_RUNS: usize = 64;

/// Applies a batch.
pub async fn schedule<Q: Queue, S: HubStore>(
    State(hub): State<Arc<Hub<Q, S>>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let authed = match authenticate(&hub, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let batch: ScheduleBatch = match serde_json::from_str(&body) {
        Ok(b) => b,
        Err(e) => {
            return fail(
                LinkErrorKind::BadRequest,
                format!(
                    "not a schedule batch: {}",
                    crate::untrusted::clean(&e.to_string(), 300)
                ),
            )
        }
    };
    if let Err(why) = check(&batch) {
        return fail(LinkErrorKind::BadRequest, why);
    }
    // Numbers are per outbox, and an outbox belongs to one agent.
    let source = format!("{}:{}", authed.agent.id, batch.source);
    let practice = &authed.agent.practice_id;
    match hub
        .store
        .apply_schedule(practice, &source, &batch, hub.now())
        .await
    {
        Ok(r) => {
            tracing::info!(
                practice = %practice,
                agent = %authed.agent.id,
                applied = r.applied,
                duplicates = r.duplicates,
                "schedule changes"
            );
            Json(ScheduleAck {
                applied_through: r.applied_through,
            })
            .into_response()
        }
        Err(e) => store_down(e),
    }
}

/// Bounds and order: at most [`MAX_SCHEDULE_CHANGES`] changes by strictly increasing
/// number, a short source id, at most [`MAX_RUNS`] runs.
pub fn check(batch: &ScheduleBatch) -> Result<(), String> {
    if batch.source.is_empty()
        || batch.source.len() > 64
        || !batch.source.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err("the batch's source must be 1 to 64 letters or digits".into());
    }
    if batch.changes.len() > MAX_SCHEDULE_CHANGES {
        return Err(format!(
            "a schedule batch carries at most {MAX_SCHEDULE_CHANGES} changes; this one has {}",
            batch.changes.len()
        ));
    }
    if batch.runs.len() > MAX_RUNS {
        return Err(format!("a schedule batch carries at most {MAX_RUNS} runs"));
    }
    if batch.changes.windows(2).any(|w| w[0].seq >= w[1].seq) {
        return Err("the changes of a schedule batch must be in increasing number order".into());
    }
    if batch.changes.iter().any(|c| c.seq == 0) {
        return Err("change numbers start at 1".into());
    }
    for c in &batch.changes {
        let present = c.appointment.is_some();
        let cancel = c.kind == crate::schedule::sync::ChangeKind::Cancelled;
        if present == cancel {
            return Err(format!(
                "change {}: a cancellation carries no appointment and every other change carries one",
                c.seq
            ));
        }
        if c.appointment
            .as_ref()
            .is_some_and(|a| a.id != c.appointment_id)
        {
            return Err(format!(
                "change {}: the appointment's id is not the change's",
                c.seq
            ));
        }
    }
    Ok(())
}
