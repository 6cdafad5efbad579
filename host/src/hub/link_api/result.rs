//! `POST /link/v1/jobs/{id}/result`: where a job ended at the agent, recorded in the
//! hub's queue. Idempotent: a result for a job that is settled already is acknowledged
//! again (the agent lost the first answer), and the recorded outcome stands.

use super::auth::authenticate;
use super::jobs::practice_job;
use super::{fail, queue_down};
use crate::hub::state::Hub;
use crate::hub::store::HubStore;
use crate::jobs::{Decision, JobRecord, Queue, Status};
use crate::link::protocol::{JobResult, LinkErrorKind, LinkOutcome, ResultAck};
use crate::remediation::{self, NextStep, Remediation};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;

/// Records a result.
pub async fn result<Q: Queue, S: HubStore>(
    State(hub): State<Arc<Hub<Q, S>>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let authed = match authenticate(&hub, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result: JobResult = match serde_json::from_str(&body) {
        Ok(r) => r,
        Err(e) => return fail(LinkErrorKind::BadRequest, format!("not a job result: {e}")),
    };
    if let Some(r) = result.report.as_ref().filter(|r| r.job_id != id) {
        return fail(
            LinkErrorKind::BadRequest,
            format!(
                "the report is for job `{}`, not `{id}`",
                crate::untrusted::clean(&r.job_id, 80)
            ),
        );
    }
    let job = match practice_job(&hub, &authed, &id).await {
        Ok(j) => j,
        Err(r) => return r,
    };
    let agent = authed.agent.id.as_str();
    let ack = || Json(ResultAck { acknowledged: true }).into_response();
    match job.status {
        Status::Succeeded | Status::SucceededWithWarnings | Status::Failed | Status::Cancelled => {
            ack()
        }
        Status::Claimed if job.claimed_by.as_deref() == Some(agent) => {
            let error = result.error.clone();
            match record(&hub, &job, agent, result).await {
                Ok(status) => {
                    crate::metrics::global().agent_result(&job, status, error.as_ref());
                    tracing::info!(job = %id, ehr = %job.ehr, agent, "job {} at the agent", status.words());
                    // A place is free among the practice's jobs in flight: held polls look again.
                    hub.wake.practice(&authed.agent.practice_id);
                    ack()
                }
                Err(r) => r,
            }
        }
        _ => fail(
            LinkErrorKind::LeaseLost,
            format!(
                "job `{id}` is no longer this agent's (it is {}): drop the result",
                job.status.words()
            ),
        ),
    }
}

async fn record<Q: Queue, S: HubStore>(
    hub: &Hub<Q, S>,
    job: &JobRecord,
    agent: &str,
    result: JobResult,
) -> Result<Status, Response> {
    record_trail(hub, job, agent, &result);
    let missing = |what: &str| {
        fail(
            LinkErrorKind::BadRequest,
            format!(
                "a {what} result needs its {}",
                if what == "succeeded" {
                    "report"
                } else {
                    "error"
                }
            ),
        )
    };
    match result.outcome {
        LinkOutcome::Succeeded | LinkOutcome::SucceededWithWarnings => {
            let report = result.report.ok_or_else(|| missing("succeeded"))?;
            if !report.succeeded() {
                return Err(fail(
                    LinkErrorKind::BadRequest,
                    "the outcome says succeeded but the report does not",
                ));
            }
            hub.queue
                .succeed(&job.id, agent, &report, false)
                .await
                .map_err(queue_down)
        }
        LinkOutcome::Failed => {
            let error = result.error.ok_or_else(|| missing("failed"))?;
            let decision = decision(&error);
            hub.queue
                .fail_attempt(&job.id, agent, decision, result.report.as_ref(), &error)
                .await
                .map_err(queue_down)
        }
        LinkOutcome::Cancelled => {
            let written = result.report.as_ref().map_or(0, |r| r.written);
            let error = result
                .error
                .unwrap_or_else(|| remediation::cancelled(written));
            hub.queue
                .fail_attempt(
                    &job.id,
                    agent,
                    Decision::Stop,
                    result.report.as_ref(),
                    &error,
                )
                .await
                .map_err(queue_down)
        }
    }
}

/// Appends the agent's attempt to the hub's audit trail, with the practice and the agent:
/// the same transaction id as in the agent's trail and the EHR's logs.
fn record_trail<Q: Queue, S: HubStore>(
    hub: &Hub<Q, S>,
    job: &JobRecord,
    agent: &str,
    result: &JobResult,
) {
    let (Some(report), Some(trail)) = (&result.report, &result.attempt) else {
        return;
    };
    let mut entry = crate::audit::Entry::of_report(
        report,
        &crate::untrusted::clean(&trail.transaction_id, 64),
        agent,
        &crate::untrusted::clean(&trail.patient_id, 128),
        trail
            .ehr_request_ids
            .iter()
            .take(32)
            .map(|r| crate::untrusted::clean(r, 100))
            .collect(),
        trail.started_ms,
        trail.ended_ms,
    );
    entry.practice = job.scope.clone();
    if let Err(e) = hub.audit.append(entry) {
        tracing::error!(job = %job.id, "cannot append to the hub's audit trail: {e:#}");
    }
}

/// The hub's record of a failure the agent settled: it failed for good there (the agent
/// retries retryable failures itself), so it waits in `failed` for a person.
fn decision(error: &Remediation) -> Decision {
    match error.next {
        NextStep::GaveUp { .. } => Decision::GaveUp,
        NextStep::WaitForPerson => Decision::WaitForPerson,
        _ => Decision::Stop,
    }
}
