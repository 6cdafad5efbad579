//! The durable job queue: what every store (SQLite on a practice PC, PostgreSQL shared by
//! several hosts) provides, with the same semantics, held to the same tests
//! (`conformance`).

use super::lifecycle::{Status, Transition, TransitionError};
use super::policy::Decision;
use serde::Serialize;
use std::future::Future;
use std::time::Duration;

/// A job to submit.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The job id; also the idempotency key adapters receive.
    pub id: String,
    /// The adapter (EHR) that writes it.
    pub ehr: String,
    /// The snapshot, as stored (the caller encrypts it).
    pub payload: Vec<u8>,
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobRecord {
    /// The job id.
    pub id: String,
    /// The adapter that writes it.
    pub ehr: String,
    /// Where it is in its life.
    pub status: Status,
    /// Attempts started so far.
    pub attempts: u32,
    /// Failed attempts since the last success or person's retry (for alerts).
    pub failures_in_row: u32,
    /// Not claimed before this time (ms since the epoch).
    pub next_attempt_ms: u64,
    /// The host working on it, while claimed.
    pub claimed_by: Option<String>,
    /// When the claim lapses unless renewed (ms).
    pub lease_until_ms: Option<u64>,
    /// The last progress report's time (ms).
    pub last_progress_ms: Option<u64>,
    /// The last progress step, in words.
    pub progress: Option<String>,
    /// Submitted at (ms).
    pub created_ms: u64,
    /// Last changed at (ms).
    pub updated_ms: u64,
    /// The per-field report (JSON), once written.
    pub outcome: Option<String>,
    /// The last failure with its remediation (JSON).
    pub error: Option<String>,
    /// The snapshot; removed once the job succeeded.
    #[serde(skip)]
    pub payload: Option<Vec<u8>>,
}

impl JobRecord {
    /// The state after `t`, or the refusal naming this job.
    pub fn next(&self, t: Transition) -> Result<Status, QueueError> {
        self.status
            .apply(t)
            .map_err(|source| QueueError::Transition {
                id: self.id.clone(),
                source,
            })
    }

    /// This job, if `host` still holds it; a cancelled job passes too (the host records
    /// what its attempt did). Otherwise the host lost it and must stop.
    pub fn held_by(self, host: &str) -> Result<JobRecord, QueueError> {
        let ours = self.status == Status::Claimed && self.claimed_by.as_deref() == Some(host);
        if ours || self.status == Status::Cancelled {
            Ok(self)
        } else {
            Err(QueueError::LostClaim {
                id: self.id,
                status: self.status,
            })
        }
    }
}

/// Why a queue operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The job id was used before.
    #[error("job `{0}` already exists: a job id is used once (it is the idempotency key); nothing was accepted")]
    Duplicate(String),
    /// No such job.
    #[error("there is no job `{0}`")]
    NotFound(String),
    /// The job's state does not allow it.
    #[error("job `{id}`: {source}")]
    Transition {
        /// The job.
        id: String,
        /// Why.
        source: TransitionError,
    },
    /// The calling host no longer holds the job (its lease lapsed and another host took
    /// it over); it must stop working on it.
    #[error("job `{id}` is no longer claimed by this host (it is {status:?}): another host took it over")]
    LostClaim {
        /// The job.
        id: String,
        /// Its state now.
        status: Status,
    },
    /// The store failed.
    #[error("job store error: {0}")]
    Storage(String),
}

/// A durable job queue. Every method is atomic: it happens completely or not at all.
pub trait Queue: Send + Sync {
    /// Adds a pending job. A job id that exists already is refused.
    fn submit(&self, job: NewJob) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Claims the oldest due pending job for `host`, leased for `lease`, skipping EHRs
    /// that already have `max_per_ehr` jobs claimed. Counts the attempt.
    fn claim(
        &self,
        host: &str,
        lease: Duration,
        max_per_ehr: u32,
    ) -> impl Future<Output = Result<Option<JobRecord>, QueueError>> + Send;

    /// Renews `host`'s lease and records a progress step. [`QueueError::LostClaim`] tells
    /// the host to stop: the job was taken over. A cancelled job answers with its state
    /// in `Ok(Status::Cancelled)` so the host can stop before writing.
    fn heartbeat(
        &self,
        id: &str,
        host: &str,
        progress: &str,
        lease: Duration,
    ) -> impl Future<Output = Result<Status, QueueError>> + Send;

    /// Records a successful write and its report; removes the payload unless
    /// `keep_payload` (a retention period is configured; see `purge_payloads`).
    fn succeed(
        &self,
        id: &str,
        host: &str,
        outcome: &str,
        with_warnings: bool,
        keep_payload: bool,
    ) -> impl Future<Output = Result<Status, QueueError>> + Send;

    /// Removes the payloads of succeeded jobs last changed before `before_ms`; how many.
    fn purge_payloads(
        &self,
        before_ms: u64,
    ) -> impl Future<Output = Result<u64, QueueError>> + Send;

    /// Records a failed attempt and what happens next.
    fn fail_attempt(
        &self,
        id: &str,
        host: &str,
        decision: Decision,
        error: &str,
    ) -> impl Future<Output = Result<Status, QueueError>> + Send;

    /// A person's retry of a failed job: pending again, due now.
    fn retry(&self, id: &str) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// A person's cancel.
    fn cancel(&self, id: &str) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Returns claimed jobs whose lease lapsed to the queue; their ids.
    fn reclaim_expired(&self) -> impl Future<Output = Result<Vec<String>, QueueError>> + Send;

    /// One job.
    fn get(&self, id: &str) -> impl Future<Output = Result<JobRecord, QueueError>> + Send;

    /// Jobs, optionally of one status, oldest first.
    fn list(
        &self,
        status: Option<Status>,
    ) -> impl Future<Output = Result<Vec<JobRecord>, QueueError>> + Send;
}
