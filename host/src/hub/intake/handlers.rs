//! The intake API's handlers: each acts for the practice of the request's API key.

use super::auth::{practice, unavailable};
use super::error;
use crate::hub::state::Hub;
use crate::hub::store::HubStore;
use crate::jobs::{
    submit_scoped, CancelOutcome, JobRecord, JobView, Queue, QueueError, Status, SubmitError,
};
use crate::status::hub::AgentView;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

type Api<Q, S> = State<Arc<Hub<Q, S>>>;

fn queue_error(e: QueueError) -> Response {
    let status = match &e {
        QueueError::NotFound(_) => StatusCode::NOT_FOUND,
        QueueError::Duplicate(_) | QueueError::Transition { .. } | QueueError::LostClaim { .. } => {
            StatusCode::CONFLICT
        }
        QueueError::Unreadable { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        QueueError::Storage(m) => {
            tracing::error!("hub job queue: {m}");
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the hub's job queue is unavailable; retry shortly",
                vec![],
            );
        }
    };
    error(status, e.to_string(), vec![])
}

/// The job `id` of `practice`, or 404 (another practice's job does not exist for it).
async fn own_job<Q: Queue, S: HubStore>(
    hub: &Hub<Q, S>,
    practice: &str,
    id: &str,
) -> Result<JobRecord, Response> {
    match hub.queue.get(id).await {
        Ok(j) if j.scope.as_deref() == Some(practice) => Ok(j),
        Ok(_) => Err(queue_error(QueueError::NotFound(crate::untrusted::clean(
            id, 80,
        )))),
        Err(QueueError::NotFound(_)) => Err(queue_error(QueueError::NotFound(
            crate::untrusted::clean(id, 80),
        ))),
        Err(e) => Err(queue_error(e)),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Submit {
    ehr: String,
    snapshot: Box<serde_json::value::RawValue>,
}

/// `POST /api/v1/jobs`.
pub async fn submit<Q: Queue, S: HubStore>(
    State(hub): Api<Q, S>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let practice = match practice(&hub, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let req: Submit = match serde_json::from_str(&body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("not a job submission (`{{\"ehr\": ..., \"snapshot\": {{...}}}}`): {e}"),
                vec![],
            )
        }
    };
    let snapshot = req.snapshot.get().as_bytes();
    let known = hub.routing.known();
    match submit_scoped(
        hub.queue.as_ref(),
        &hub.sealer,
        &known,
        &req.ehr,
        snapshot,
        Some(&practice),
    )
    .await
    {
        Ok(s) => {
            tracing::info!(job = %s.id, ehr = %s.ehr, practice = %practice, "job queued");
            hub.wake.practice(&practice);
            (StatusCode::CREATED, Json(json!(s))).into_response()
        }
        Err(SubmitError::Invalid(e)) => {
            let status = if snapshot.len() > crate::snapshot::limits::MAX_SNAPSHOT_BYTES {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            error(
                status,
                "the snapshot is not valid, nothing was accepted",
                e.0,
            )
        }
        Err(SubmitError::UnknownEhr { ehr, known }) => error(
            StatusCode::BAD_REQUEST,
            format!("this hub does not write `{ehr}` jobs, so the job would never be written; it writes: {}", known.join(", ")),
            vec![],
        ),
        Err(SubmitError::Queue(e)) => queue_error(e),
        Err(e @ SubmitError::Seal(_)) => {
            error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), vec![])
        }
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
}

/// `GET /api/v1/jobs[?status=]`.
pub async fn list<Q: Queue, S: HubStore>(
    State(hub): Api<Q, S>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let practice = match practice(&hub, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let status = match q.status.as_deref().map(|s| (s, Status::parse(s))) {
        None => None,
        Some((_, Some(st))) => Some(st),
        Some((s, None)) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("`{}` is not a job status", crate::untrusted::clean(s, 40)),
                vec![],
            )
        }
    };
    let now = hub.now();
    match hub.queue.list_where(status, Some(&practice)).await {
        Ok(jobs) => {
            let views: Vec<JobView> = jobs
                .into_iter()
                .map(|j| JobView::new(j, now, hub.stuck_after))
                .collect();
            Json(views).into_response()
        }
        Err(e) => queue_error(e),
    }
}

/// `GET /api/v1/jobs/{id}`.
pub async fn show<Q: Queue, S: HubStore>(
    State(hub): Api<Q, S>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let practice = match practice(&hub, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match own_job(&hub, &practice, &id).await {
        Ok(j) => Json(JobView::new(j, hub.now(), hub.stuck_after)).into_response(),
        Err(r) => r,
    }
}

/// `POST /api/v1/jobs/{id}/retry`.
pub async fn retry<Q: Queue, S: HubStore>(
    State(hub): Api<Q, S>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let practice = match practice(&hub, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let job = match own_job(&hub, &practice, &id).await {
        Ok(j) => j,
        Err(r) => return r,
    };
    // Noted first, so the agent that takes the job is told it is a person's retry.
    let local = hub.routing.is_local(&job.ehr);
    if local {
        if let Err(e) = hub.store.mark_retry(&id).await {
            return unavailable(e);
        }
    }
    match hub.queue.retry(&id).await {
        Ok(()) => {
            tracing::info!(job = %id, practice = %practice, "job retried by a person");
            hub.wake.practice(&practice);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => {
            if local {
                let _ = hub.store.take_retry(&id).await;
            }
            queue_error(e)
        }
    }
}

/// `POST /api/v1/jobs/{id}/cancel`.
pub async fn cancel<Q: Queue, S: HubStore>(
    State(hub): Api<Q, S>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let practice = match practice(&hub, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Err(r) = own_job(&hub, &practice, &id).await {
        return r;
    }
    match hub.queue.cancel(&id).await {
        Ok(outcome) => {
            let status = match outcome {
                CancelOutcome::Cancelled => StatusCode::OK,
                CancelOutcome::Requested => StatusCode::ACCEPTED,
            };
            (status, Json(json!({"id": id, "outcome": outcome}))).into_response()
        }
        Err(e) => queue_error(e),
    }
}

/// `GET /api/v1/agents`: the practice's agents and their state.
pub async fn agents<Q: Queue, S: HubStore>(State(hub): Api<Q, S>, headers: HeaderMap) -> Response {
    let practice = match practice(&hub, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let settings = match hub.settings().await {
        Ok(s) => s,
        Err(e) => return unavailable(e),
    };
    match hub.store.agents(Some(&practice)).await {
        Ok(list) => {
            let now = hub.now();
            let views: Vec<AgentView> = list
                .into_iter()
                .map(|a| AgentView::new(a, &settings, now))
                .collect();
            Json(views).into_response()
        }
        Err(e) => unavailable(e),
    }
}
