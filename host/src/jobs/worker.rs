//! One step of the job loop: take a due job, write it through its adapter, and record
//! exactly what happened. The job id is the idempotency key the adapter receives, so an
//! attempt repeated after a lost reply or a crash does not write twice.
//!
//! While the adapter works the step renews the job's lease, watches for a person's
//! cancel (handed to the adapter through the host, which refuses its next write), and
//! shows the adapter's current step as the job's progress. When the store is briefly
//! unavailable at the end, the outcome is kept and recorded once it is back.

use super::attempt;
use super::clock::Clock;
use super::health::StoreHealth;
use super::lifecycle::Status;
use super::policy::{alert, Alert, Decision, RetryPolicy};
use super::queue::{ClaimFilter, EhrGroup, JobRecord, Lease, Queue, QueueError};
use super::write_slot::WriteSlot;
use crate::audit::{AuditLog, Entry};
use crate::remediation::{self, NextStep, Remediation};
use crate::report::WriteReport;
use crate::runtime::bindings::latest::{EncounterSnapshot, WriteResult};
use crate::runtime::{CallError, JobControl, LoadedAdapter};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often a job being written is checked for a person's cancel.
const CANCEL_POLL: Duration = Duration::from_millis(500);

/// Where the worker writes a job: the adapter serving its EHR (in the agent, a
/// hot-swappable slot, so the write also counts towards a new version's probation).
pub trait Adapters: Send + Sync {
    /// Writes through the adapter serving `ehr`, with the job's cancel and progress
    /// `control`; `None` when none is installed. Returns the version that served it.
    fn write(
        &self,
        ehr: &str,
        snapshot: EncounterSnapshot,
        control: Arc<JobControl>,
    ) -> impl std::future::Future<
        Output = Option<(Arc<LoadedAdapter>, Result<WriteResult, CallError>)>,
    > + Send;

    /// The EHRs whose jobs this host writes one at a time. An EHR database on the
    /// practice network (CrystalPM, OfficeMate) takes each job as a transaction on its
    /// shared tables, on a server sized for the practice; a cloud EHR's API takes many
    /// requests at once and says when it is too many (429).
    fn one_at_a_time(&self) -> Vec<String> {
        Vec::new()
    }
}

/// How a worker behaves.
#[derive(Clone)]
pub struct WorkerConfig {
    /// This host's name in claims (unique per host sharing a queue).
    pub host: String,
    /// How long a claim lasts without a heartbeat.
    pub lease: Duration,
    /// Jobs claimed at once per EHR, across all hosts.
    pub max_per_ehr: u32,
    /// Retry rules.
    pub policy: RetryPolicy,
    /// Opens the encrypted snapshots.
    pub sealer: Arc<super::seal::Sealer>,
    /// How long a succeeded job keeps its (encrypted) snapshot; zero removes it at once.
    pub retention: Duration,
    /// Says when the store becomes unavailable and when it is back.
    pub health: Arc<StoreHealth>,
    /// Where each attempt is recorded (the audit trail), when kept.
    pub audit: Option<Arc<AuditLog>>,
    /// Cancelled when the host shuts down: an outcome still waiting for the store is
    /// then left for the lease to return the job (the job id keeps the retry from
    /// writing twice).
    pub shutdown: CancellationToken,
}

/// What one step did.
#[derive(Debug, Clone, PartialEq)]
pub struct Processed {
    /// The job.
    pub id: String,
    /// The EHR it was written to.
    pub ehr: String,
    /// Its tenant on a hub (the practice); `None` on an agent.
    pub scope: Option<String>,
    /// Its state afterwards.
    pub status: Status,
    /// The alert raised, if the job's health changed.
    pub alert: Option<Alert>,
}

/// How long an EHR that answered "too many requests" without saying how long to wait is
/// left alone before the next claim of its jobs.
const RATE_LIMITED_PAUSE: Duration = Duration::from_secs(1);

/// Claims one due job and processes it; `Ok(None)` when nothing is due. Jobs whose lease
/// lapsed (their host died) are settled first. One job at a time, for tests and tools;
/// hosts run [`crate::jobs::runner`], which keeps several jobs in flight and does the
/// housekeeping on its own interval.
pub async fn step<Q: Queue, A: Adapters>(
    queue: &Q,
    adapters: &A,
    config: &WorkerConfig,
    clock: &dyn Clock,
) -> Result<Option<Processed>, QueueError> {
    step_where(queue, adapters, config, clock, ClaimFilter::default()).await
}

/// [`step`] among the jobs `filter` allows (a hub's own workers take only the EHRs whose
/// adapters they hold).
pub async fn step_where<Q: Queue, A: Adapters>(
    queue: &Q,
    adapters: &A,
    config: &WorkerConfig,
    clock: &dyn Clock,
    filter: ClaimFilter<'_>,
) -> Result<Option<Processed>, QueueError> {
    housekeeping(queue, config, clock).await?;
    let Some(job) = claim(queue, config, filter, 1).await?.pop() else {
        return Ok(None);
    };
    work(queue, adapters, config, clock, job, WriteSlot::none())
        .await
        .map(Some)
}

/// The queue's upkeep, off the path of each job: removes the snapshots of succeeded jobs
/// past their retention, and settles jobs whose lease lapsed (their host died), saying so.
pub async fn housekeeping<Q: Queue>(
    queue: &Q,
    config: &WorkerConfig,
    clock: &dyn Clock,
) -> Result<(), QueueError> {
    if !config.retention.is_zero() {
        let before = clock
            .now_ms()
            .saturating_sub(config.retention.as_millis() as u64);
        queue.purge_payloads(before).await?;
    }
    for (id, status) in queue.reclaim_expired().await? {
        match status {
            Status::Cancelled => {
                tracing::warn!(job = %id, "lease expired after a cancel was requested: the job is cancelled")
            }
            _ => {
                tracing::warn!(job = %id, "lease expired: its host stopped; the job goes back to the queue")
            }
        }
    }
    Ok(())
}

/// Claims up to `limit` due jobs that `filter` allows for this host, within the per-EHR
/// limit, together (one commit).
pub async fn claim<Q: Queue>(
    queue: &Q,
    config: &WorkerConfig,
    filter: ClaimFilter<'_>,
    limit: usize,
) -> Result<Vec<JobRecord>, QueueError> {
    queue
        .claim_many(
            &config.host,
            config.lease,
            config.max_per_ehr,
            filter,
            limit,
        )
        .await
}

/// Writes a claimed `job` through its adapter and records what happened. `slot` is given
/// up as soon as the write is done, before the outcome is recorded.
pub async fn work<Q: Queue, A: Adapters>(
    queue: &Q,
    adapters: &A,
    config: &WorkerConfig,
    clock: &dyn Clock,
    job: JobRecord,
    slot: WriteSlot,
) -> Result<Processed, QueueError> {
    let failures_before = job.failures_in_row;
    let done = process(queue, adapters, config, clock, &job, slot).await?;
    let alert = match done.status {
        // A cancelled job raises no health alert.
        Status::Cancelled => None,
        _ => alert(failures_before, done.succeeded),
    };
    match alert {
        Some(Alert::Failing) => tracing::warn!(job = %job.id, ehr = %job.ehr, "job failing"),
        Some(Alert::Recovered) => tracing::info!(job = %job.id, ehr = %job.ehr, "job recovered"),
        None => {}
    }
    Ok(Processed {
        id: job.id,
        ehr: job.ehr,
        scope: job.scope,
        status: done.status,
        alert,
    })
}

/// What processing a job came to.
struct Done {
    status: Status,
    succeeded: bool,
}

impl Done {
    fn settled((status, succeeded): (Status, bool)) -> Done {
        Done { status, succeeded }
    }
}

async fn process<Q: Queue, A: Adapters>(
    queue: &Q,
    adapters: &A,
    config: &WorkerConfig,
    clock: &dyn Clock,
    job: &JobRecord,
    mut slot: WriteSlot,
) -> Result<Done, QueueError> {
    let snapshot = match open_snapshot(config, job) {
        Ok(s) => s,
        Err(rem) => {
            return fail(queue, config, job, Decision::Stop, None, rem, clock)
                .await
                .map(Done::settled)
        }
    };
    // No lease renewal before the write: the claim committed a moment ago holds the
    // lease. A person's cancel since is seen by `watch` within its poll and stops the
    // adapter before its next write, as for any job being written. (A renewal here was a
    // third commit per job.)
    let control = Arc::new(JobControl::new().in_scope(job.scope.clone()));
    let started_ms = clock.now_ms();
    let write = adapters.write(&job.ehr, snapshot.clone(), control.clone());
    let written = watch(queue, config, job, &control, write).await;
    let Some((adapter, result)) = written else {
        drop(slot);
        let rem = remediation::adapter_missing(&job.ehr);
        return fail(
            queue,
            config,
            job,
            Decision::WaitForPerson,
            None,
            rem,
            clock,
        )
        .await
        .map(Done::settled);
    };
    let report = attempt::report(&adapter, &snapshot, &control, result);
    // A 429 pauses the whole EHR (for this tenant), not only this job: the next jobs
    // would be refused the same way and spend their attempts on it. The runner hears it
    // with the place this write gives up, before it could claim another job into it.
    if let Some(wait) = rate_limit_pause(&report) {
        slot.pause(EhrGroup::of(&job.ehr, job.scope.as_deref()), wait);
    }
    drop(slot);
    if let Some(audit) = &config.audit {
        let mut entry = Entry::of_report(
            &report,
            control.transaction_id(),
            &config.host,
            &snapshot.patient.id,
            control.ehr_request_ids(),
            started_ms,
            clock.now_ms(),
        );
        entry.practice = job.scope.clone();
        // The write happened whatever the trail says; a trail that cannot be written is
        // an operator's problem to fix, said loudly, not a reason to misreport the job.
        if let Err(e) = audit.append(entry) {
            tracing::error!(job = %job.id, "cannot append to the audit trail: {e:#}");
        }
    }
    if report.succeeded() {
        let keep = !config.retention.is_zero();
        let status = settle(config, || {
            queue.succeed(&job.id, &config.host, &report, keep)
        })
        .await?;
        crate::metrics::global().job_settled(job, status, None);
        return Ok(Done::settled((status, true)));
    }
    let rem = report
        .error
        .clone()
        .expect("a report that did not succeed has its failure");
    let decision = if control.cancel_requested() {
        Decision::Stop
    } else {
        let retry_after = rem
            .retry_after_seconds
            .map(|s| Duration::from_secs(s.into()));
        let random = (clock.now_ms() % 1000) as f64 / 1000.0;
        config
            .policy
            .decide(rem.class, job.attempts, retry_after, random)
    };
    fail(queue, config, job, decision, Some(report), rem, clock)
        .await
        .map(Done::settled)
}

/// How long to leave the EHR alone when it answered "too many requests".
fn rate_limit_pause(report: &WriteReport) -> Option<Duration> {
    let rem = report.error.as_ref()?;
    (rem.kind == remediation::RemediationKind::RateLimited).then(|| {
        rem.retry_after_seconds
            .map(|s| Duration::from_secs(s.into()))
            .unwrap_or(RATE_LIMITED_PAUSE)
    })
}

fn open_snapshot(config: &WorkerConfig, job: &JobRecord) -> Result<EncounterSnapshot, Remediation> {
    let sealed = job.payload.as_deref().unwrap_or_default();
    let plain = config
        .sealer
        .open(&job.id, sealed)
        .map_err(|e| remediation::snapshot_unreadable(format!("{e:#}")))?;
    crate::snapshot::parse_bytes(&plain)
        .map_err(|e| remediation::snapshot_unreadable(e.to_string()))
}

/// Records a failed attempt with its next step decided, and the report of what it left
/// in the chart when there is one.
async fn fail<Q: Queue>(
    queue: &Q,
    config: &WorkerConfig,
    job: &JobRecord,
    decision: Decision,
    report: Option<WriteReport>,
    rem: Remediation,
    clock: &dyn Clock,
) -> Result<(Status, bool), QueueError> {
    let next = next_step(&rem, decision, job, config, clock);
    let rem = rem.with_next(next);
    let report = report.map(|mut r| {
        r.error = Some(rem.clone());
        r
    });
    let status = settle(config, || {
        queue.fail_attempt(&job.id, &config.host, decision, report.as_ref(), &rem)
    })
    .await?;
    crate::metrics::global().job_settled(job, status, Some(&rem));
    Ok((status, false))
}

fn next_step(
    rem: &Remediation,
    decision: Decision,
    job: &JobRecord,
    config: &WorkerConfig,
    clock: &dyn Clock,
) -> NextStep {
    if rem.kind == remediation::RemediationKind::Cancelled {
        return NextStep::Stopped;
    }
    match decision {
        Decision::RetryAfter(d) => NextStep::RetryAutomatically {
            at_ms: clock.now_ms() + d.as_millis() as u64,
            attempt: job.attempts,
            max_attempts: config.policy.max_attempts,
        },
        Decision::GaveUp => NextStep::GaveUp {
            attempts: job.attempts,
        },
        Decision::WaitForPerson => NextStep::WaitForPerson,
        Decision::Stop => NextStep::WillNotSucceed,
    }
}

/// Runs `record` until the store takes it: an outcome is never dropped because the
/// store was briefly unavailable. Gives up only at shutdown (the lease then returns the
/// job, and its id keeps the retry from writing twice).
async fn settle<T, F, Fut>(config: &WorkerConfig, mut record: F) -> Result<T, QueueError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, QueueError>>,
{
    let mut wait = Duration::from_millis(200);
    loop {
        match record().await {
            Err(QueueError::Storage(e)) => {
                config.health.failed(&e);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = config.shutdown.cancelled() => return Err(QueueError::Storage(e)),
                }
                wait = (wait * 2).min(Duration::from_secs(5));
            }
            other => {
                if other.is_ok() {
                    config.health.ok();
                }
                return other;
            }
        }
    }
}

/// Runs `work` while renewing the lease every third of it (so a long write is not taken
/// over by another host), checking for a cancel, and showing the adapter's step.
async fn watch<Q: Queue, T>(
    queue: &Q,
    config: &WorkerConfig,
    job: &JobRecord,
    control: &JobControl,
    work: impl std::future::Future<Output = T>,
) -> T {
    tokio::pin!(work);
    // Both first fire one period from now. `interval`'s immediate first tick would have
    // to be consumed here, and consuming it costs a turn of the timer driver per job
    // (about 1 ms, the largest single cost perf found in a no-op job).
    let start = tokio::time::Instant::now();
    let mut renew = tokio::time::interval_at(start + config.lease / 3, config.lease / 3);
    let mut poll = tokio::time::interval_at(start + CANCEL_POLL, CANCEL_POLL);
    loop {
        tokio::select! {
            out = &mut work => return out,
            _ = renew.tick() => {
                let step = control.step().unwrap_or_else(|| "writing to the EHR".into());
                match queue.heartbeat(&job.id, &config.host, &step, config.lease).await {
                    Ok(Lease::CancelRequested) => control.request_cancel(),
                    Ok(Lease::Held) => {}
                    Err(e) => tracing::warn!(job = %job.id, "lease renewal failed: {e}"),
                }
            }
            _ = poll.tick(), if !control.cancel_requested() => {
                if let Ok(j) = queue.get(&job.id).await {
                    if j.cancel_requested {
                        tracing::info!(job = %job.id, "cancel requested: stopping before the next write");
                        control.request_cancel();
                    }
                }
            }
        }
    }
}
