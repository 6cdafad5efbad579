//! A queue that gives a failed job back at once and then holds the failing attempt open:
//! the moment, as it happens when an adapter version on probation is rolled back, when a
//! job is pending again while the task of the attempt that failed it has not ended yet.

use ehr_host::jobs::{
    CancelOutcome, ClaimFilter, Decision, JobRecord, KeyState, Lease, NewJob, Queue, QueueError,
    Status,
};
use ehr_host::remediation::Remediation;
use ehr_host::report::WriteReport;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// `Q`, except that its first recorded failure of a job of `ehr` failed by the adapter
/// with `hash` is given back at once, and that attempt then waits `hold` before ending.
pub struct GivesBack<Q> {
    inner: Q,
    ehr: String,
    hash: String,
    hold: Duration,
    done: AtomicBool,
}

impl<Q: Queue> GivesBack<Q> {
    /// Wraps `inner`.
    pub fn new(inner: Q, ehr: &str, hash: &str, hold: Duration) -> GivesBack<Q> {
        GivesBack {
            inner,
            ehr: ehr.into(),
            hash: hash.into(),
            hold,
            done: AtomicBool::new(false),
        }
    }

    /// The queue wrapped.
    pub fn inner(&self) -> &Q {
        &self.inner
    }
}

impl<Q: Queue> Queue for GivesBack<Q> {
    async fn submit(&self, job: NewJob) -> Result<(), QueueError> {
        self.inner.submit(job).await
    }

    async fn claim_many(
        &self,
        host: &str,
        lease: Duration,
        max_per_ehr: u32,
        filter: ClaimFilter<'_>,
        limit: usize,
    ) -> Result<Vec<JobRecord>, QueueError> {
        self.inner
            .claim_many(host, lease, max_per_ehr, filter, limit)
            .await
    }

    async fn heartbeat(
        &self,
        id: &str,
        host: &str,
        progress: &str,
        lease: Duration,
    ) -> Result<Lease, QueueError> {
        self.inner.heartbeat(id, host, progress, lease).await
    }

    async fn succeed(
        &self,
        id: &str,
        host: &str,
        report: &WriteReport,
        keep_payload: bool,
    ) -> Result<Status, QueueError> {
        self.inner.succeed(id, host, report, keep_payload).await
    }

    async fn fail_attempt(
        &self,
        id: &str,
        host: &str,
        decision: Decision,
        report: Option<&WriteReport>,
        error: &Remediation,
    ) -> Result<Status, QueueError> {
        let status = self
            .inner
            .fail_attempt(id, host, decision, report, error)
            .await?;
        if !self.done.swap(true, Ordering::SeqCst) {
            let given = self.inner.give_back(&self.ehr, &self.hash).await?;
            assert_eq!(given, [id], "the failed job is given back");
            tokio::time::sleep(self.hold).await;
        }
        Ok(status)
    }

    async fn purge_payloads(&self, before_ms: u64) -> Result<u64, QueueError> {
        self.inner.purge_payloads(before_ms).await
    }

    async fn retry(&self, id: &str) -> Result<(), QueueError> {
        self.inner.retry(id).await
    }

    async fn cancel(&self, id: &str) -> Result<CancelOutcome, QueueError> {
        self.inner.cancel(id).await
    }

    async fn reclaim_expired(&self) -> Result<Vec<(String, Status)>, QueueError> {
        self.inner.reclaim_expired().await
    }

    async fn give_back(&self, ehr: &str, adapter_hash: &str) -> Result<Vec<String>, QueueError> {
        self.inner.give_back(ehr, adapter_hash).await
    }

    async fn get(&self, id: &str) -> Result<JobRecord, QueueError> {
        self.inner.get(id).await
    }

    async fn list_where(
        &self,
        status: Option<Status>,
        scope: Option<&str>,
    ) -> Result<Vec<JobRecord>, QueueError> {
        self.inner.list_where(status, scope).await
    }

    async fn key_state(&self) -> Result<KeyState, QueueError> {
        self.inner.key_state().await
    }

    async fn record_key_check(&self, check: &[u8]) -> Result<(), QueueError> {
        self.inner.record_key_check(check).await
    }
}
