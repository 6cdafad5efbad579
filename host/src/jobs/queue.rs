//! The durable job queue: what every store (SQLite on a practice PC, PostgreSQL shared by
//! several hosts) provides, with the same semantics, held to the same tests
//! (`conformance`). Reports and failures are stored and returned typed.

use super::lifecycle::{Status, Transition, TransitionError};
use super::policy::Decision;
use crate::remediation::Remediation;
use crate::report::WriteReport;
use serde::Serialize;
use std::future::Future;
use std::time::Duration;

/// A job to submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// The job id; also the idempotency key adapters receive.
    pub id: String,
    /// The adapter (EHR) that writes it.
    pub ehr: String,
    /// The snapshot, as stored (the caller encrypts it).
    pub payload: Vec<u8>,
    /// The tenant the job belongs to on a hub (the practice); `None` on an agent.
    pub scope: Option<String>,
}

/// How many of the oldest due jobs a claim reads in order before it looks up each EHR
/// group's oldest due job instead (when all of those are of groups at their limit, or
/// excluded): bounds a claim's work whatever the queue holds.
pub(crate) const CLAIM_SCAN: usize = 64;

/// The jobs the per-EHR limit counts together: one EHR's, in one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EhrGroup {
    /// The adapter (EHR).
    pub ehr: String,
    /// The tenant (practice) on a hub; `None` on an agent.
    pub scope: Option<String>,
}

impl EhrGroup {
    /// The group of a job of `ehr` in `scope`.
    pub fn of(ehr: &str, scope: Option<&str>) -> EhrGroup {
        EhrGroup {
            ehr: ehr.to_string(),
            scope: scope.map(str::to_string),
        }
    }
}

/// Which jobs a claim may take.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClaimFilter<'a> {
    /// Only jobs of this tenant (a hub routes a practice's jobs to its agents).
    pub scope: Option<&'a str>,
    /// Only jobs for these EHR adapters (a hub's own workers take the cloud EHRs).
    pub ehrs: Option<&'a [String]>,
    /// None of these groups' jobs (their EHR asked to be left alone for a while).
    pub except: &'a [EhrGroup],
    /// EHRs of which one claim takes at most one job per group: a host writes them one
    /// job at a time (a practice's own EHR database).
    pub one_each: &'a [String],
}

impl ClaimFilter<'_> {
    /// Whether a job of `ehr` in `scope` may be claimed under this filter (the per-EHR
    /// limit aside).
    pub fn allows(&self, ehr: &str, scope: Option<&str>) -> bool {
        self.scope.is_none_or(|s| scope == Some(s))
            && self.ehrs.is_none_or(|e| e.iter().any(|x| x == ehr))
            && !in_groups(self.except, ehr, scope)
    }

    /// Whether one claim takes at most one job of each group of `ehr`.
    pub fn one_each_of(&self, ehr: &str) -> bool {
        self.one_each.iter().any(|e| e == ehr)
    }
}

/// Whether `ehr` in `scope` is one of `groups`.
fn in_groups(groups: &[EhrGroup], ehr: &str, scope: Option<&str>) -> bool {
    groups
        .iter()
        .any(|g| g.ehr == ehr && g.scope.as_deref() == scope)
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobRecord {
    /// The job id.
    pub id: String,
    /// The adapter that writes it.
    pub ehr: String,
    /// The tenant it belongs to on a hub (the practice); `None` on an agent.
    pub scope: Option<String>,
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
    /// The last progress step, in words; only while claimed.
    pub progress: Option<String>,
    /// A person asked to cancel while the job was being written; its host stops before
    /// its next write and records what is in the chart.
    pub cancel_requested: bool,
    /// Given back to the queue once after the adapter version that failed it was rolled
    /// back (never twice).
    pub given_back: bool,
    /// Submitted at (ms).
    pub created_ms: u64,
    /// Last changed at (ms).
    pub updated_ms: u64,
    /// The last attempt's per-field report: the write's when it succeeded, or what a
    /// failed attempt left in the chart.
    pub report: Option<WriteReport>,
    /// The last failure with its remediation.
    pub error: Option<Remediation>,
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

    /// This job, if `host` still holds it. Otherwise the host lost it (its lease lapsed
    /// and another host took it over, or it was settled) and must stop.
    pub fn held_by(self, host: &str) -> Result<JobRecord, QueueError> {
        if self.status == Status::Claimed && self.claimed_by.as_deref() == Some(host) {
            Ok(self)
        } else {
            Err(QueueError::LostClaim {
                id: self.id,
                status: self.status,
            })
        }
    }

    /// The transition that records a failed attempt decided as `decision`: a job whose
    /// cancel was requested stops as cancelled, whatever the failure.
    pub fn failed_attempt(&self, decision: Decision) -> Transition {
        match decision {
            _ if self.cancel_requested => Transition::StopForCancel,
            Decision::RetryAfter(_) => Transition::RetryLater,
            _ => Transition::Fail,
        }
    }

    /// The transition for a lease that lapsed: back to the queue, unless a person had
    /// asked to cancel (then it stops; the report says what may be in the chart).
    pub fn lapsed(&self) -> Transition {
        if self.cancel_requested {
            Transition::StopForCancel
        } else {
            Transition::LeaseExpired
        }
    }
}

/// What a renewed lease tells the host working on a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// Keep going.
    Held,
    /// A person asked to cancel: stop before the next write.
    CancelRequested,
}

/// What a person's cancel did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelOutcome {
    /// The job was not being written: it is cancelled and nothing of it was written.
    Cancelled,
    /// The job is being written: its host stops before its next write and records what
    /// is already in the chart.
    Requested,
}

/// What the store needs to tell whether it is being opened with the right job key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyState {
    /// A value sealed with the key the queue's jobs were sealed with, if recorded.
    pub check: Option<Vec<u8>>,
    /// Jobs holding a sealed snapshot.
    pub sealed_jobs: u64,
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
    #[error("job `{id}` {source}")]
    Transition {
        /// The job.
        id: String,
        /// Why.
        source: TransitionError,
    },
    /// The calling host no longer holds the job (its lease lapsed and another host took
    /// it over); it must stop working on it.
    #[error("job `{id}` is no longer claimed by this host (it is {}): another host took it over", .status.words())]
    LostClaim {
        /// The job.
        id: String,
        /// Its state now.
        status: Status,
    },
    /// A stored report or failure cannot be read back.
    #[error("the stored {what} of job `{id}` cannot be read: {reason}")]
    Unreadable {
        /// The job.
        id: String,
        /// `report` or `failure`.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The store failed (unreachable, read-only, full).
    #[error("job store error: {0}")]
    Storage(String),
}

impl QueueError {
    /// A job its host holds that an update meant only for such a job did not find: it
    /// changed in between. A storage error, so the caller records the outcome again.
    pub(crate) fn changed_meanwhile(id: &str) -> QueueError {
        QueueError::Storage(format!("job `{id}` changed while its outcome was recorded"))
    }
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
    ) -> impl Future<Output = Result<Option<JobRecord>, QueueError>> + Send {
        self.claim_where(host, lease, max_per_ehr, ClaimFilter::default())
    }

    /// [`Queue::claim`] among the jobs `filter` allows; the per-EHR limit counts the
    /// jobs of the same EHR and tenant.
    fn claim_where(
        &self,
        host: &str,
        lease: Duration,
        max_per_ehr: u32,
        filter: ClaimFilter<'_>,
    ) -> impl Future<Output = Result<Option<JobRecord>, QueueError>> + Send {
        async move {
            let mut one = self.claim_many(host, lease, max_per_ehr, filter, 1).await?;
            Ok(one.pop())
        }
    }

    /// Claims up to `limit` of the oldest due jobs `filter` allows, together: one
    /// transaction, one commit for all of them. The per-EHR limit counts the jobs this
    /// claim takes as well as those claimed before. Fewer than `limit` (or none) when
    /// fewer may be taken now; oldest first. Counts an attempt of each.
    fn claim_many(
        &self,
        host: &str,
        lease: Duration,
        max_per_ehr: u32,
        filter: ClaimFilter<'_>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<JobRecord>, QueueError>> + Send;

    /// Renews `host`'s lease and records a progress step. [`QueueError::LostClaim`] tells
    /// the host to stop: the job was taken over. [`Lease::CancelRequested`] tells it to
    /// stop before its next write.
    fn heartbeat(
        &self,
        id: &str,
        host: &str,
        progress: &str,
        lease: Duration,
    ) -> impl Future<Output = Result<Lease, QueueError>> + Send;

    /// Records a successful write and its report; removes the payload unless
    /// `keep_payload` (a retention period is configured; see `purge_payloads`).
    fn succeed(
        &self,
        id: &str,
        host: &str,
        report: &WriteReport,
        keep_payload: bool,
    ) -> impl Future<Output = Result<Status, QueueError>> + Send;

    /// Records a failed (or, when a cancel was requested, stopped) attempt, what it left
    /// in the chart when known, and what happens next.
    fn fail_attempt(
        &self,
        id: &str,
        host: &str,
        decision: Decision,
        report: Option<&WriteReport>,
        error: &Remediation,
    ) -> impl Future<Output = Result<Status, QueueError>> + Send;

    /// Removes the payloads of succeeded jobs last changed before `before_ms`; how many.
    fn purge_payloads(
        &self,
        before_ms: u64,
    ) -> impl Future<Output = Result<u64, QueueError>> + Send;

    /// A person's retry of a failed job: pending again, due now.
    fn retry(&self, id: &str) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// A person's cancel: immediate for a job not being written, a request to its host
    /// for one that is.
    fn cancel(&self, id: &str) -> impl Future<Output = Result<CancelOutcome, QueueError>> + Send;

    /// Settles claimed jobs whose lease lapsed (their host died): back to the queue, or
    /// cancelled when a cancel was requested. Their ids and new states.
    fn reclaim_expired(
        &self,
    ) -> impl Future<Output = Result<Vec<(String, Status)>, QueueError>> + Send;

    /// Returns to the queue, once, the failed jobs of `ehr` that failed as adapter bugs
    /// on the package with `adapter_hash` (a version that was then rolled back); their ids.
    fn give_back(
        &self,
        ehr: &str,
        adapter_hash: &str,
    ) -> impl Future<Output = Result<Vec<String>, QueueError>> + Send;

    /// One job.
    fn get(&self, id: &str) -> impl Future<Output = Result<JobRecord, QueueError>> + Send;

    /// Jobs, optionally of one status, oldest first.
    fn list(
        &self,
        status: Option<Status>,
    ) -> impl Future<Output = Result<Vec<JobRecord>, QueueError>> + Send {
        self.list_where(status, None)
    }

    /// Jobs, optionally of one status and of one tenant, oldest first.
    fn list_where(
        &self,
        status: Option<Status>,
        scope: Option<&str>,
    ) -> impl Future<Output = Result<Vec<JobRecord>, QueueError>> + Send;

    /// What the store knows about the job key its snapshots are sealed with.
    fn key_state(&self) -> impl Future<Output = Result<KeyState, QueueError>> + Send;

    /// Records `check` (a value sealed with the job key) unless one is recorded already.
    fn record_key_check(&self, check: &[u8])
        -> impl Future<Output = Result<(), QueueError>> + Send;
}

impl NewJob {
    /// A job `id` for adapter `ehr` with its sealed `payload`, not in any tenant.
    pub fn new(id: impl Into<String>, ehr: impl Into<String>, payload: Vec<u8>) -> NewJob {
        NewJob {
            id: id.into(),
            ehr: ehr.into(),
            payload,
            scope: None,
        }
    }
}
