//! One step of the agent's job loop: take a due job, write it through its adapter, and
//! record exactly what happened. The job id is the idempotency key the adapter receives,
//! so an attempt repeated after a lost reply or a crash does not write twice.

use super::clock::Clock;
use super::lifecycle::Status;
use super::policy::{alert, Alert, Decision, RetryPolicy};
use super::queue::{JobRecord, Queue, QueueError};
use crate::remediation::{for_call_error, Remediation};
use crate::report::WriteReport;
use crate::runtime::bindings::latest::{EncounterSnapshot, WriteResult};
use crate::runtime::{CallError, LoadedAdapter};
use std::sync::Arc;
use std::time::Duration;

/// Where the worker writes a job: the adapter serving its EHR (in the agent, a
/// hot-swappable slot, so the write also counts towards a new version's probation).
pub trait Adapters: Send + Sync {
    /// Writes through the adapter serving `ehr`; `None` when none is installed. Returns
    /// the version that served the call with its result.
    fn write(
        &self,
        ehr: &str,
        snapshot: EncounterSnapshot,
    ) -> impl std::future::Future<
        Output = Option<(Arc<LoadedAdapter>, Result<WriteResult, CallError>)>,
    > + Send;
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
}

/// What one step did.
#[derive(Debug, Clone, PartialEq)]
pub struct Processed {
    /// The job.
    pub id: String,
    /// Its state afterwards.
    pub status: Status,
    /// The alert raised, if the job's health changed.
    pub alert: Option<Alert>,
}

/// Claims one due job and processes it; `Ok(None)` when nothing is due. Jobs whose lease
/// lapsed (their host died) are returned to the queue first.
pub async fn step<Q: Queue, A: Adapters>(
    queue: &Q,
    adapters: &A,
    config: &WorkerConfig,
    clock: &dyn Clock,
) -> Result<Option<Processed>, QueueError> {
    if !config.retention.is_zero() {
        let before = clock
            .now_ms()
            .saturating_sub(config.retention.as_millis() as u64);
        queue.purge_payloads(before).await?;
    }
    let reclaimed = queue.reclaim_expired().await?;
    for id in &reclaimed {
        tracing::warn!(job = %id, "lease expired: its host stopped; the job goes back to the queue");
    }
    let Some(job) = queue
        .claim(&config.host, config.lease, config.max_per_ehr)
        .await?
    else {
        return Ok(None);
    };
    let failures_before = job.failures_in_row;
    let (status, succeeded) = process(queue, adapters, config, clock, &job).await?;
    let alert = match status {
        // A cancelled job that wrote nothing raises no health alert.
        Status::Cancelled => None,
        _ => alert(failures_before, succeeded),
    };
    match alert {
        Some(Alert::Failing) => tracing::warn!(job = %job.id, ehr = %job.ehr, "job failing"),
        Some(Alert::Recovered) => tracing::info!(job = %job.id, ehr = %job.ehr, "job recovered"),
        None => {}
    }
    Ok(Some(Processed {
        id: job.id,
        status,
        alert,
    }))
}

async fn process<Q: Queue, A: Adapters>(
    queue: &Q,
    adapters: &A,
    config: &WorkerConfig,
    clock: &dyn Clock,
    job: &JobRecord,
) -> Result<(Status, bool), QueueError> {
    let host = config.host.as_str();
    let fail = |decision, rem: Remediation| async move {
        let error = serde_json::to_string(&rem).unwrap_or_default();
        queue
            .fail_attempt(&job.id, host, decision, &error)
            .await
            .map(|s| (s, false))
    };
    let plain = match config
        .sealer
        .open(&job.id, job.payload.as_deref().unwrap_or_default())
    {
        Ok(p) => p,
        Err(e) => return fail(Decision::Stop, stored_snapshot_unreadable(format!("{e:#}"))).await,
    };
    let snapshot = match crate::snapshot::parse(&String::from_utf8_lossy(&plain)) {
        Ok(s) => s,
        Err(e) => return fail(Decision::Stop, stored_snapshot_unreadable(e.to_string())).await,
    };
    if queue
        .heartbeat(&job.id, host, "writing to the EHR", config.lease)
        .await?
        == Status::Cancelled
    {
        return fail(Decision::Stop, cancelled()).await;
    }
    let encounter = snapshot.encounter_id.clone();
    let write = adapters.write(&job.ehr, snapshot);
    let Some((adapter, result)) = with_heartbeats(queue, &job.id, host, config.lease, write).await
    else {
        return fail(Decision::WaitForPerson, adapter_missing(&job.ehr)).await;
    };
    let name = format!("{} {}", adapter.manifest.id, adapter.manifest.version);
    match result {
        Ok(r) => {
            let report = WriteReport::success(&job.id, &name, &encounter, &r);
            let with_warnings = report.outcome == crate::report::Outcome::SucceededWithWarnings;
            let outcome = serde_json::to_string(&report).unwrap_or_default();
            let status = queue
                .succeed(
                    &job.id,
                    host,
                    &outcome,
                    with_warnings,
                    !config.retention.is_zero(),
                )
                .await?;
            Ok((status, true))
        }
        Err(e) => {
            let rem = for_call_error(&e, crate::host::Host::is_local(&adapter));
            let retry_after = rem
                .retry_after_seconds
                .map(|s| Duration::from_secs(s.into()));
            let random = (clock.now_ms() % 1000) as f64 / 1000.0;
            let decision = config
                .policy
                .decide(rem.class, job.attempts, retry_after, random);
            fail(decision, rem).await
        }
    }
}

/// Runs `work` while renewing the lease every third of it, so a long write is not taken
/// over by another host.
async fn with_heartbeats<Q: Queue, T>(
    queue: &Q,
    id: &str,
    host: &str,
    lease: Duration,
    work: impl std::future::Future<Output = T>,
) -> T {
    tokio::pin!(work);
    let mut tick = tokio::time::interval(lease / 3);
    tick.tick().await;
    loop {
        tokio::select! {
            out = &mut work => return out,
            _ = tick.tick() => {
                if let Err(e) = queue.heartbeat(id, host, "writing to the EHR", lease).await {
                    tracing::warn!(job = %id, "heartbeat failed: {e}");
                }
            }
        }
    }
}

fn stored_snapshot_unreadable(detail: String) -> Remediation {
    Remediation {
        kind: "snapshot_unreadable".into(),
        class: crate::remediation::FailureClass::Terminal,
        title: "The stored job could not be read".into(),
        advice: "Nothing was written. Send the encounter from Doctora again.".into(),
        detail,
        retry_after_seconds: None,
    }
}

fn adapter_missing(ehr: &str) -> Remediation {
    Remediation {
        kind: "adapter_missing".into(),
        class: crate::remediation::FailureClass::NeedsPerson,
        title: "No adapter installed for this EHR".into(),
        advice: format!(
            "Install the `{ehr}` adapter on this agent (ehr-host install), then retry the job."
        ),
        detail: format!("no adapter `{ehr}` is installed"),
        retry_after_seconds: None,
    }
}

fn cancelled() -> Remediation {
    Remediation {
        kind: "cancelled".into(),
        class: crate::remediation::FailureClass::Terminal,
        title: "Cancelled".into(),
        advice: "The job was cancelled before anything was written.".into(),
        detail: "cancelled by a person".into(),
        retry_after_seconds: None,
    }
}
