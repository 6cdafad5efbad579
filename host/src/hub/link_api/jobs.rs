//! The job poll and lease renewals. A poll is held open until a job of the agent's
//! practice, for an EHR it serves, is due (or the wait ends); the jobs it takes are
//! leased to the agent. The version floor is checked before any job is handed out.

use super::auth::{authenticate, Authed};
use super::{fail, needs_update, queue_down, store_down};
use crate::hub::state::Hub;
use crate::hub::store::HubStore;
use crate::jobs::{ClaimFilter, Decision, JobRecord, Lease, Queue, Status};
use crate::link::protocol::{
    Jobs, LeaseAnswer, LeaseRenewal, LinkErrorKind, LinkJob, MAX_POLL_SECONDS, VERSION_HEADER,
};
use crate::status::hub::below_minimum;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Jobs handed out by one poll at most.
const BATCH: usize = 8;
/// How often a held poll looks for due jobs without being woken (jobs queued through
/// another hub instance, retries coming due).
const RECHECK: Duration = Duration::from_secs(4);

#[derive(Deserialize)]
pub struct PollQuery {
    wait: Option<u32>,
}

/// `GET /link/v1/jobs?wait=S`.
pub async fn poll<Q: Queue, S: HubStore>(
    State(hub): State<Arc<Hub<Q, S>>>,
    headers: HeaderMap,
    Query(q): Query<PollQuery>,
) -> Response {
    let authed = match authenticate(&hub, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let version = headers
        .get(VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if below_minimum(version, &authed.settings.min_agent_version) {
        return needs_update(version, &authed.settings.min_agent_version);
    }
    let limit = authed.settings.intervals.poll_seconds.min(MAX_POLL_SECONDS);
    let wait = Duration::from_secs(q.wait.unwrap_or(limit).min(limit).into());
    match held_poll(&hub, authed, wait).await {
        Ok(jobs) => Json(Jobs { jobs }).into_response(),
        Err(r) => r,
    }
}

async fn held_poll<Q: Queue, S: HubStore>(
    hub: &Hub<Q, S>,
    authed: Authed,
    wait: Duration,
) -> Result<Vec<LinkJob>, Response> {
    let deadline = Instant::now() + wait;
    let practice = authed.agent.practice_id.clone();
    let signal = hub.wake.signal(&practice);
    let mut agent = authed.agent;
    loop {
        let woken = signal.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let ehrs: Vec<String> = agent
            .served_ehrs()
            .into_iter()
            .filter(|e| hub.routing.is_local(e))
            .collect();
        let jobs = if ehrs.is_empty() {
            vec![]
        } else {
            take(hub, &agent.id, &practice, &ehrs, &authed.settings).await?
        };
        if !jobs.is_empty() || Instant::now() >= deadline {
            return Ok(jobs);
        }
        let recheck = Instant::now() + RECHECK + Duration::from_millis(hub.now() % 1000);
        tokio::select! {
            _ = &mut woken => {}
            _ = tokio::time::sleep_until(recheck.min(deadline)) => {}
        }
        // The agent may have heartbeated (new adapters) or been revoked meanwhile.
        agent = hub.store.agent(&agent.id).await.map_err(store_down)?;
        if agent.revoked_ms.is_some() || agent.expires_ms.is_some_and(|e| e <= hub.now()) {
            return Ok(vec![]);
        }
    }
}

/// Leases up to [`BATCH`] due jobs to the agent.
async fn take<Q: Queue, S: HubStore>(
    hub: &Hub<Q, S>,
    agent: &str,
    practice: &str,
    ehrs: &[String],
    settings: &crate::hub::store::HubSettings,
) -> Result<Vec<LinkJob>, Response> {
    let lease = Duration::from_secs(settings.intervals.lease_seconds.into());
    let filter = ClaimFilter {
        scope: Some(practice),
        ehrs: Some(ehrs),
        ..ClaimFilter::default()
    };
    let mut out = Vec::new();
    while out.len() < BATCH {
        let jobs = hub
            .queue
            .claim_many(
                agent,
                lease,
                hub.limits.in_flight,
                filter,
                BATCH - out.len(),
            )
            .await
            .map_err(queue_down)?;
        if jobs.is_empty() {
            break;
        }
        for job in jobs {
            if let Some(j) = hand_out(hub, agent, job).await? {
                out.push(j);
            }
        }
    }
    Ok(out)
}

/// The job as sent to the agent: its snapshot opened from the hub's seal. A snapshot the
/// hub cannot open fails the job here, with the reason, instead of being sent.
async fn hand_out<Q: Queue, S: HubStore>(
    hub: &Hub<Q, S>,
    agent: &str,
    job: JobRecord,
) -> Result<Option<LinkJob>, Response> {
    let opened = hub
        .sealer
        .open(&job.id, job.payload.as_deref().unwrap_or_default())
        .map_err(|e| format!("{e:#}"))
        .and_then(|plain| {
            String::from_utf8(plain).map_err(|_| "the snapshot is not UTF-8".to_string())
        });
    let snapshot = match opened {
        Ok(s) => s,
        Err(why) => {
            tracing::error!(job = %job.id, "cannot open the stored snapshot: {why}");
            let rem = crate::remediation::snapshot_unreadable(why);
            hub.queue
                .fail_attempt(&job.id, agent, Decision::Stop, None, &rem)
                .await
                .map_err(queue_down)?;
            return Ok(None);
        }
    };
    let retry = hub.store.take_retry(&job.id).await.map_err(store_down)?;
    tracing::info!(job = %job.id, ehr = %job.ehr, agent, attempt = job.attempts, "job leased to agent");
    Ok(Some(LinkJob {
        id: job.id,
        ehr: job.ehr,
        snapshot,
        attempt: job.attempts,
        retry,
    }))
}

/// `POST /link/v1/jobs/{id}/lease`.
pub async fn lease<Q: Queue, S: HubStore>(
    State(hub): State<Arc<Hub<Q, S>>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let authed = match authenticate(&hub, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let renewal: LeaseRenewal = match serde_json::from_str(&body) {
        Ok(r) => r,
        Err(e) => {
            return fail(
                LinkErrorKind::BadRequest,
                format!("not a lease renewal: {e}"),
            )
        }
    };
    let job = match practice_job(&hub, &authed, &id).await {
        Ok(j) => j,
        Err(r) => return r,
    };
    match job.status {
        Status::Claimed if job.claimed_by.as_deref() == Some(authed.agent.id.as_str()) => {
            let progress = renewal
                .progress
                .map(|p| crate::untrusted::clean(&p, 120))
                .unwrap_or_else(|| "at the agent".into());
            let lease = Duration::from_secs(authed.settings.intervals.lease_seconds.into());
            match hub
                .queue
                .heartbeat(&id, &authed.agent.id, &progress, lease)
                .await
            {
                Ok(l) => Json(LeaseAnswer {
                    cancel_requested: l == Lease::CancelRequested,
                })
                .into_response(),
                Err(e) => queue_down(e),
            }
        }
        // Cancelled while the lease had lapsed: the agent must stop too.
        Status::Cancelled => Json(LeaseAnswer {
            cancel_requested: true,
        })
        .into_response(),
        _ => fail(
            LinkErrorKind::LeaseLost,
            format!(
                "job `{id}` is no longer this agent's (it is {})",
                job.status.words()
            ),
        ),
    }
}

/// The job `id` if it belongs to the agent's practice; 404 otherwise (another
/// practice's job does not exist, as far as this agent can tell).
pub async fn practice_job<Q: Queue, S: HubStore>(
    hub: &Hub<Q, S>,
    authed: &Authed,
    id: &str,
) -> Result<JobRecord, Response> {
    let not_found = || {
        fail(
            LinkErrorKind::NotFound,
            format!(
                "there is no job `{}` for this agent",
                crate::untrusted::clean(id, 80)
            ),
        )
    };
    match hub.queue.get(id).await {
        Ok(j) if j.scope.as_deref() == Some(authed.agent.practice_id.as_str()) => Ok(j),
        Ok(_) => Err(not_found()),
        Err(crate::jobs::QueueError::NotFound(_)) => Err(not_found()),
        Err(e) => Err(queue_down(e)),
    }
}
