//! Retry and cancel from the console: each a POST form with the session's CSRF token,
//! on a job of a practice the viewer may see; cancelling first asks to confirm. They do
//! what the intake API's retry and cancel do, and say so in the hub's log with the
//! person who pressed the button.

use super::guard;
use super::html::{csrf_field, esc, message, page, respond, seg};
use super::login::CsrfForm;
use super::session::Viewer;
use crate::hub::state::Hub;
use crate::hub::store::HubStore;
use crate::jobs::{CancelOutcome, JobRecord, Queue, QueueError};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::sync::Arc;

type Console<Q, S> = State<Arc<Hub<Q, S>>>;

/// The viewer and the job `id`, when the viewer may act on it.
async fn viewer_and_job<Q: Queue, S: HubStore>(
    hub: &Hub<Q, S>,
    headers: &HeaderMap,
    id: &str,
) -> Result<(Viewer, JobRecord), Response> {
    let viewer = guard::signed_in(hub, headers).await?;
    let job = match hub.queue.get(id).await {
        Ok(j) => j,
        Err(e) => return Err(queue_error(&viewer, id, e)),
    };
    if let Some(r) = guard::may_see(&viewer, job.scope.as_deref()) {
        return Err(r);
    }
    Ok((viewer, job))
}

fn queue_error(viewer: &Viewer, id: &str, e: QueueError) -> Response {
    match e {
        QueueError::NotFound(_) => message(
            StatusCode::NOT_FOUND,
            Some(viewer),
            "No such job",
            &format!(
                "There is no job `{}` on this hub.",
                crate::untrusted::clean(id, 80)
            ),
        ),
        QueueError::Transition { .. } => message(
            StatusCode::CONFLICT,
            Some(viewer),
            "Nothing was changed",
            &format!("{e}. Reload the job to see where it is now."),
        ),
        e => guard::unavailable(Some(viewer), &e),
    }
}

/// `POST /console/jobs/{id}/retry`: a person's retry of a failed job.
pub async fn retry<Q: Queue, S: HubStore>(
    State(hub): Console<Q, S>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let (viewer, job) = match viewer_and_job(&hub, &headers, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Some(r) = guard::csrf(&viewer, &f.csrf) {
        return r;
    }
    // As the intake API does: noted first, so the agent that takes the job is told it
    // is a person's retry.
    let local = hub.routing.is_local(&job.ehr);
    if local {
        if let Err(e) = hub.store.mark_retry(&id).await {
            return guard::unavailable(Some(&viewer), &e);
        }
    }
    match hub.queue.retry(&id).await {
        Ok(()) => {
            tracing::info!(job = %id, user = %viewer.user.name, "job retried by a person in the console");
            if let Some(p) = &job.scope {
                hub.wake.practice(p);
            }
            guard::see_other(&format!("/console/jobs/{}", seg(&id)))
        }
        Err(e) => {
            if local {
                let _ = hub.store.take_retry(&id).await;
            }
            queue_error(&viewer, &id, e)
        }
    }
}

/// `GET /console/jobs/{id}/cancel`: the confirm step.
pub async fn confirm_cancel<Q: Queue, S: HubStore>(
    State(hub): Console<Q, S>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (viewer, job) = match viewer_and_job(&hub, &headers, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let body = format!(
        "<h1>Cancel job <code>{}</code>?</h1><section class=\"card\"><p>The {} job is {}. Cancelling \
         stops it for good: a job not being written is not written at all; a job being written \
         stops before its next write, and its report says what is already in the chart.</p>\
         <form method=\"post\" action=\"/console/jobs/{}/cancel\">{}\
         <button type=\"submit\" class=\"danger\" id=\"confirm-cancel\">Yes, cancel this job</button> \
         <a class=\"button\" href=\"/console/jobs/{}\">No, keep it</a></form></section>",
        esc(&job.id),
        esc(&job.ehr),
        esc(job.status.words()),
        seg(&id),
        csrf_field(&viewer),
        seg(&id),
    );
    respond(StatusCode::OK, page("Cancel job?", Some(&viewer), &body))
}

/// `POST /console/jobs/{id}/cancel`: cancels, once confirmed.
pub async fn cancel<Q: Queue, S: HubStore>(
    State(hub): Console<Q, S>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let (viewer, _) = match viewer_and_job(&hub, &headers, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Some(r) = guard::csrf(&viewer, &f.csrf) {
        return r;
    }
    match hub.queue.cancel(&id).await {
        Ok(outcome) => {
            let what = match outcome {
                CancelOutcome::Cancelled => "cancelled",
                CancelOutcome::Requested => "cancel requested (it is being written)",
            };
            tracing::info!(job = %id, user = %viewer.user.name, "job {what} by a person in the console");
            guard::see_other(&format!("/console/jobs/{}", seg(&id)))
        }
        Err(e) => queue_error(&viewer, &id, e),
    }
}
