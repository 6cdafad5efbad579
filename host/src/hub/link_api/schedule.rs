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
            crate::hub::schedule::observe(practice, &batch, &r);
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
        let shown_plain = c.appointment.as_ref().is_none_or(|a| {
            plain(&[&a.start, &a.appointment_type, &a.status])
                && plain(&[a.provider_id.as_deref().unwrap_or_default()])
        });
        if !plain(&[&c.ehr, &c.appointment_id]) || !shown_plain {
            return Err(format!(
                "change {}: its text must be plain, one line of at most {MAX_TEXT} characters (the agent neutralises what the EHR says)",
                c.seq
            ));
        }
    }
    Ok(())
}

/// The longest text a field may have: a label the agent cut to
/// [`crate::untrusted::LABEL`] characters, with room for its escapes and cut marker.
const MAX_TEXT: usize = 10 * crate::untrusted::LABEL;

/// Texts the hub shows its operator: already neutralised and bounded by the agent.
fn plain(texts: &[&str]) -> bool {
    texts
        .iter()
        .all(|t| crate::untrusted::is_clean(t) && t.chars().count() <= MAX_TEXT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::sync::{ChangeKind, ScheduleChange, SyncedAppointment};

    fn change(seq: u64, kind: ChangeKind, appointment_type: &str) -> ScheduleChange {
        ScheduleChange {
            seq,
            ehr: "crystalpm".into(),
            kind,
            appointment_id: "A1".into(),
            appointment: (kind != ChangeKind::Cancelled).then(|| SyncedAppointment {
                id: "A1".into(),
                start: "2027-01-04T09:00:00".into(),
                duration_minutes: 30,
                appointment_type: appointment_type.into(),
                provider_id: None,
                status: "scheduled".into(),
                patient: None,
                syncs: true,
                reasons: vec![],
            }),
        }
    }

    fn batch(changes: Vec<ScheduleChange>) -> ScheduleBatch {
        ScheduleBatch {
            source: "ab12".into(),
            changes,
            runs: vec![],
        }
    }

    // Ordered, well-formed, plain batches pass; anything else is refused with why.
    #[test]
    fn batches_are_checked() {
        let good = batch(vec![
            change(1, ChangeKind::New, "Telehealth Visit"),
            change(2, ChangeKind::Cancelled, ""),
        ]);
        assert!(check(&good).is_ok());
        let out_of_order = batch(vec![
            change(2, ChangeKind::New, "x"),
            change(2, ChangeKind::Rescheduled, "x"),
        ]);
        assert!(check(&out_of_order).unwrap_err().contains("increasing"));
        let mut cancel_with = change(1, ChangeKind::Cancelled, "");
        cancel_with.appointment = change(1, ChangeKind::New, "x").appointment;
        assert!(check(&batch(vec![cancel_with]))
            .unwrap_err()
            .contains("cancellation"));
        let escape = batch(vec![change(1, ChangeKind::New, "Tele\u{1b}[2Jhealth")]);
        assert!(check(&escape).unwrap_err().contains("plain"));
        let mut bad_source = good.clone();
        bad_source.source = "../x".into();
        assert!(check(&bad_source).is_err());
        assert!(check(&batch(vec![change(0, ChangeKind::New, "x")])).is_err());
    }
}
