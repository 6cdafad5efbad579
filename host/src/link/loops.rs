//! The link's loops, each on its own so a long poll never delays a heartbeat or a
//! result: heartbeat, job poll, lease renewals, results, and watching for a new pairing.
//! Each backs off by itself while the hub cannot be reached; the shared state says once
//! that the link broke and once that it is back.

use super::backoff::Backoff;
use super::client::CallError;
use super::protocol::{Heartbeat, JobResult, LinkErrorKind, LinkJob, LinkOutcome};
use super::runner::{now_ms, Shared};
use crate::jobs::{JobRecord, NewJob, Queue, QueueError, Status};
use crate::status::agent::LinkState;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Sleeps `d`, or returns false at shutdown.
async fn rest<Q>(s: &Shared<Q>, d: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => true,
        _ = s.shutdown.cancelled() => false,
    }
}

/// Heartbeats every interval the hub chose, with the adapters' EHR connectivity.
pub(super) async fn heartbeat<Q: Queue>(s: Arc<Shared<Q>>) {
    let mut backoff = Backoff::default();
    loop {
        let wait = if s.paused() {
            Duration::from_secs(1)
        } else {
            s.connectivity.refresh(&s.agent).await;
            s.count_queue().await;
            let hb = Heartbeat {
                version: s.options.version.clone(),
                adapters: s.connectivity.adapters(),
                queue: *s.queue_counts.lock().unwrap_or_else(|p| p.into_inner()),
            };
            match s.client().heartbeat(&hb).await {
                Ok(ack) => {
                    backoff.reset();
                    s.reached();
                    *s.intervals.lock().unwrap_or_else(|p| p.into_inner()) = ack.intervals;
                    *s.schedule.lock().unwrap_or_else(|p| p.into_inner()) = ack.schedule.clone();
                    *s.last_heartbeat_ms
                        .lock()
                        .unwrap_or_else(|p| p.into_inner()) = Some(now_ms());
                    s.minimum(&ack.min_version);
                    Duration::from_secs(ack.intervals.heartbeat_seconds.max(1).into())
                }
                Err(e) => s.failed(&e, &mut backoff),
            }
        };
        s.write_status();
        if !rest(&s, wait).await {
            return;
        }
    }
}

/// Holds a job poll open and takes the jobs handed out into the local queue.
pub(super) async fn poll<Q: Queue>(s: Arc<Shared<Q>>) {
    let mut backoff = Backoff::default();
    loop {
        let wait = match s.state() {
            LinkState::PairingExpired { .. } | LinkState::NeedsUpdate { .. } => {
                Duration::from_secs(1)
            }
            _ => {
                let hold = Duration::from_secs(s.intervals().poll_seconds.into());
                let client = s.client();
                let answer = tokio::select! {
                    a = client.poll(hold) => a,
                    _ = s.shutdown.cancelled() => return,
                };
                match answer {
                    Ok(jobs) => {
                        backoff.reset();
                        s.reached();
                        for job in jobs.jobs {
                            accept(&s, job).await;
                        }
                        continue;
                    }
                    Err(e) => s.failed(&e, &mut backoff),
                }
            }
        };
        if !rest(&s, wait).await {
            return;
        }
    }
}

/// Puts a job from the hub into the local queue (sealed with the agent's own key) before
/// anything else, and notes it as held. A job the queue has already is the same job
/// offered again (a lapsed lease, a lost result): it continues where it is, or, when a
/// person retried it at the hub, its failed copy is retried here.
async fn accept<Q: Queue>(s: &Shared<Q>, job: LinkJob) {
    let sealed = match s.sealer.seal(&job.id, job.snapshot.as_bytes()) {
        Ok(p) => p,
        Err(e) => return tracing::error!(job = %job.id, "cannot seal the job: {e:#}"),
    };
    match s
        .queue
        .submit(NewJob::new(job.id.clone(), job.ehr.clone(), sealed))
        .await
    {
        Ok(()) => tracing::info!(job = %job.id, ehr = %job.ehr, "job received from the hub"),
        Err(QueueError::Duplicate(_)) => match s.queue.get(&job.id).await {
            Ok(local) if job.retry && local.status == Status::Failed => {
                match s.queue.retry(&job.id).await {
                    Ok(()) => {
                        tracing::info!(job = %job.id, "retried at the hub by a person: retrying here")
                    }
                    Err(e) => tracing::warn!(job = %job.id, "cannot retry: {e}"),
                }
            }
            Ok(local) => {
                tracing::info!(job = %job.id, "offered again by the hub; it is {} here", local.status.words())
            }
            Err(e) => tracing::warn!(job = %job.id, "{e}"),
        },
        // Not held: the hub's lease lapses and the job is offered again.
        Err(e) => return tracing::error!(job = %job.id, "cannot queue the job from the hub: {e}"),
    }
    if let Err(e) = s.ledger.hold(&job.id, now_ms()) {
        tracing::error!(job = %job.id, "cannot note the job as held: {e:#}");
    }
    s.results_now.notify_one();
}

fn settled(status: Status) -> bool {
    matches!(
        status,
        Status::Succeeded | Status::SucceededWithWarnings | Status::Failed | Status::Cancelled
    )
}

/// Renews the hub's lease on every held job still being worked on, every third of the
/// lease; a cancel asked for at the hub cancels the local job.
pub(super) async fn leases<Q: Queue>(s: Arc<Shared<Q>>) {
    let mut backoff = Backoff::default();
    loop {
        let every = Duration::from_secs(s.intervals().lease_seconds.max(3).into()) / 3;
        let wait = if s.paused() {
            Duration::from_secs(1)
        } else {
            renew_all(&s, &mut backoff).await.unwrap_or(every)
        };
        if !rest(&s, wait).await {
            return;
        }
    }
}

async fn renew_all<Q: Queue>(s: &Shared<Q>, backoff: &mut Backoff) -> Option<Duration> {
    for h in s
        .ledger
        .held()
        .unwrap_or_default()
        .into_iter()
        .filter(|h| h.leased)
    {
        let local = match s.queue.get(&h.id).await {
            Ok(j) => j,
            Err(QueueError::NotFound(_)) => {
                let _ = s.ledger.forget(&h.id);
                continue;
            }
            Err(_) => continue,
        };
        if settled(local.status) {
            continue;
        }
        match s.client().renew(&h.id, local.progress.clone()).await {
            Ok(a) => {
                backoff.reset();
                s.reached();
                if a.cancel_requested && !local.cancel_requested {
                    match s.queue.cancel(&h.id).await {
                        Ok(o) => tracing::info!(job = %h.id, "cancelled at the hub: {o:?} here"),
                        Err(e) => tracing::warn!(job = %h.id, "cancel from the hub: {e}"),
                    }
                    s.results_now.notify_one();
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    Some(LinkErrorKind::LeaseLost | LinkErrorKind::NotFound)
                ) =>
            {
                // The hub no longer leases it to this agent; the job id keeps a second
                // write from happening twice, so the work goes on and is reported.
                tracing::info!(job = %h.id, "the hub no longer leases this job to this agent");
                let _ = s.ledger.unlease(&h.id);
            }
            Err(e) => return Some(s.failed(&e, backoff)),
        }
    }
    None
}

/// The result to post for a local job that is settled, with its last attempt from the
/// agent's audit trail (`trail`) when there is one.
pub fn result_of(job: &JobRecord, trail: Option<&crate::audit::Entry>) -> Option<JobResult> {
    let outcome = match job.status {
        Status::Succeeded => LinkOutcome::Succeeded,
        Status::SucceededWithWarnings => LinkOutcome::SucceededWithWarnings,
        Status::Failed => LinkOutcome::Failed,
        Status::Cancelled => LinkOutcome::Cancelled,
        Status::Pending | Status::Claimed => return None,
    };
    Some(JobResult {
        outcome,
        report: job.report.clone(),
        error: job.error.clone(),
        attempt: trail.map(|e| crate::link::protocol::AttemptTrail {
            transaction_id: e.transaction_id.clone(),
            ehr_request_ids: e.ehr_request_ids.clone(),
            patient_id: e.patient_id.clone(),
            started_ms: e.started_ms,
            ended_ms: e.ended_ms,
        }),
    })
}

/// Posts the results of settled held jobs, oldest first, until the hub acknowledged
/// each; looks every second and whenever a job arrives or is cancelled.
pub(super) async fn results<Q: Queue>(s: Arc<Shared<Q>>) {
    let mut backoff = Backoff::default();
    loop {
        let wait = if s.paused() {
            Duration::from_secs(1)
        } else {
            post_all(&s, &mut backoff)
                .await
                .unwrap_or(Duration::from_secs(1))
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = s.results_now.notified() => {}
            _ = s.shutdown.cancelled() => return,
        }
    }
}

async fn post_all<Q: Queue>(s: &Shared<Q>, backoff: &mut Backoff) -> Option<Duration> {
    let held = s.ledger.held().unwrap_or_default();
    let mut waiting = Vec::new();
    for h in &held {
        match s.queue.get(&h.id).await {
            Ok(job) => {
                let trail = crate::audit::AuditLog::new(s.home.root().join("audit"))
                    .search(&crate::audit::Query {
                        job_id: Some(job.id.clone()),
                        ..Default::default()
                    })
                    .unwrap_or_default()
                    .pop();
                if let Some(r) = result_of(&job, trail.as_ref()) {
                    waiting.push((job.id, r));
                }
            }
            Err(QueueError::NotFound(_)) => {
                let _ = s.ledger.forget(&h.id);
            }
            Err(_) => {}
        }
    }
    s.unreported.store(waiting.len() as u32, Ordering::Relaxed);
    // The status shows the results held as soon as they are counted (after a restart
    // the count starts at zero until this pass has looked).
    s.write_status();
    for (id, result) in waiting {
        match s.client().result(&id, &result).await {
            Ok(_) => {
                backoff.reset();
                s.reached();
                tracing::info!(job = %id, "result reported to the hub: {:?}", result.outcome);
                let _ = s.ledger.forget(&id);
                s.unreported.fetch_sub(1, Ordering::Relaxed);
            }
            Err(CallError::Refused { error, .. })
                if matches!(
                    error.error,
                    LinkErrorKind::LeaseLost | LinkErrorKind::NotFound | LinkErrorKind::BadRequest
                ) =>
            {
                tracing::warn!(job = %id, "the hub will not take this result: {}", crate::untrusted::clean(&error.message, 200));
                let _ = s.ledger.forget(&id);
                s.unreported.fetch_sub(1, Ordering::Relaxed);
            }
            Err(e) => return Some(s.failed(&e, backoff)),
        }
    }
    None
}

/// Notices `ehr-host pair` run while the agent runs.
pub(super) async fn pairing_watch<Q: Queue>(s: Arc<Shared<Q>>) {
    while rest(&s, Duration::from_secs(2)).await {
        s.check_pairing();
    }
}
