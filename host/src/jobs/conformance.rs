//! The behaviour every [`Queue`] must show, as one suite each store runs against itself
//! (`SqliteQueue` in its tests; a PostgreSQL store must pass the same). The clock is a
//! [`ManualClock`] the suite moves, so leases and backoff are tested without sleeping.

use super::clock::{Clock, ManualClock};
use super::lifecycle::Status;
use super::policy::Decision;
use super::queue::{NewJob, Queue, QueueError};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

const LEASE: Duration = Duration::from_secs(30);

fn job(id: &str, ehr: &str) -> NewJob {
    NewJob {
        id: id.into(),
        ehr: ehr.into(),
        payload: format!("snapshot of {id}").into_bytes(),
    }
}

/// Runs every case; `make` builds an empty queue on the given clock.
pub async fn run_all<Q: Queue, F: Future<Output = Q>>(make: impl Fn(Arc<ManualClock>) -> F) {
    submit_and_duplicates(&make).await;
    claim_order_and_limits(&make).await;
    lease_expiry_takeover(&make).await;
    success_drops_payload(&make).await;
    retry_backoff_and_person_retry(&make).await;
    cancel_pending_and_claimed(&make).await;
    retention_then_purge(&make).await;
}

async fn fresh<Q: Queue, F: Future<Output = Q>>(
    make: &impl Fn(Arc<ManualClock>) -> F,
) -> (Q, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::at(1_700_000_000_000));
    (make(clock.clone()).await, clock)
}

// A submitted job is pending with its payload; the same id again is refused and changes
// nothing (a double click never creates a second job).
async fn submit_and_duplicates<Q: Queue, F: Future<Output = Q>>(
    make: &impl Fn(Arc<ManualClock>) -> F,
) {
    let (q, _) = fresh(make).await;
    q.submit(job("J1", "rev")).await.unwrap();
    let mut again = job("J1", "rev");
    again.payload = b"other".to_vec();
    assert!(matches!(q.submit(again).await, Err(QueueError::Duplicate(id)) if id == "J1"));
    let j = q.get("J1").await.unwrap();
    assert_eq!(j.status, Status::Pending);
    assert_eq!(j.payload.as_deref(), Some(&b"snapshot of J1"[..]));
    assert!(matches!(q.get("nope").await, Err(QueueError::NotFound(_))));
}

// Jobs are claimed oldest first, each attempt counted; an EHR at its concurrency limit
// is skipped while others are served.
async fn claim_order_and_limits<Q: Queue, F: Future<Output = Q>>(
    make: &impl Fn(Arc<ManualClock>) -> F,
) {
    let (q, clock) = fresh(make).await;
    for (id, ehr) in [("A1", "a"), ("A2", "a"), ("B1", "b")] {
        q.submit(job(id, ehr)).await.unwrap();
        clock.advance(Duration::from_millis(1));
    }
    let first = q.claim("h1", LEASE, 1).await.unwrap().unwrap();
    assert_eq!(
        (first.id.as_str(), first.attempts, first.status),
        ("A1", 1, Status::Claimed)
    );
    assert_eq!(first.claimed_by.as_deref(), Some("h1"));
    let second = q.claim("h2", LEASE, 1).await.unwrap().unwrap();
    assert_eq!(second.id, "B1", "EHR `a` is at its limit of 1");
    assert!(q.claim("h2", LEASE, 1).await.unwrap().is_none());
    assert_eq!(q.claim("h2", LEASE, 2).await.unwrap().unwrap().id, "A2");
    assert_eq!(q.list(Some(Status::Claimed)).await.unwrap().len(), 3);
}

// A host that stops heartbeating loses the job when its lease lapses; another host takes
// it over; the first host is then told it lost the claim and cannot record an outcome.
async fn lease_expiry_takeover<Q: Queue, F: Future<Output = Q>>(
    make: &impl Fn(Arc<ManualClock>) -> F,
) {
    let (q, clock) = fresh(make).await;
    q.submit(job("J", "rev")).await.unwrap();
    q.claim("dead", LEASE, 5).await.unwrap().unwrap();
    clock.advance(LEASE / 2);
    assert_eq!(
        q.heartbeat("J", "dead", "writing", LEASE).await.unwrap(),
        Status::Claimed
    );
    clock.advance(LEASE / 2 + Duration::from_secs(1));
    assert!(
        q.reclaim_expired().await.unwrap().is_empty(),
        "the heartbeat renewed the lease"
    );
    clock.advance(LEASE);
    assert_eq!(q.reclaim_expired().await.unwrap(), vec!["J".to_string()]);
    let taken = q.claim("alive", LEASE, 5).await.unwrap().unwrap();
    assert_eq!(
        (taken.attempts, taken.claimed_by.as_deref()),
        (2, Some("alive"))
    );
    assert!(matches!(
        q.heartbeat("J", "dead", "x", LEASE).await,
        Err(QueueError::LostClaim { .. })
    ));
    assert!(matches!(
        q.succeed("J", "dead", "{}", false, false).await,
        Err(QueueError::LostClaim { .. })
    ));
    assert_eq!(
        q.succeed("J", "alive", "{}", false, false).await.unwrap(),
        Status::Succeeded
    );
}

// Success records the report and removes the patient snapshot; a succeeded job can be
// neither retried nor claimed again (it would be written twice).
async fn success_drops_payload<Q: Queue, F: Future<Output = Q>>(
    make: &impl Fn(Arc<ManualClock>) -> F,
) {
    let (q, _) = fresh(make).await;
    q.submit(job("J", "rev")).await.unwrap();
    q.claim("h", LEASE, 5).await.unwrap();
    let s = q
        .succeed("J", "h", r#"{"written":3}"#, true, false)
        .await
        .unwrap();
    assert_eq!(s, Status::SucceededWithWarnings);
    let j = q.get("J").await.unwrap();
    assert_eq!(j.outcome.as_deref(), Some(r#"{"written":3}"#));
    assert_eq!(j.payload, None);
    assert!(matches!(
        q.retry("J").await,
        Err(QueueError::Transition { .. })
    ));
    assert!(q.claim("h", LEASE, 5).await.unwrap().is_none());
}

// A retryable failure returns the job to pending, not claimable before its delay; a
// needs-a-person failure waits in failed until a person retries it.
async fn retry_backoff_and_person_retry<Q: Queue, F: Future<Output = Q>>(
    make: &impl Fn(Arc<ManualClock>) -> F,
) {
    let (q, clock) = fresh(make).await;
    q.submit(job("J", "rev")).await.unwrap();
    q.claim("h", LEASE, 5).await.unwrap();
    let delay = Duration::from_secs(20);
    let s = q
        .fail_attempt(
            "J",
            "h",
            Decision::RetryAfter(delay),
            r#"{"kind":"timeout"}"#,
        )
        .await
        .unwrap();
    assert_eq!(s, Status::Pending);
    clock.advance(delay - Duration::from_secs(1));
    assert!(
        q.claim("h", LEASE, 5).await.unwrap().is_none(),
        "claimed before its delay"
    );
    clock.advance(Duration::from_secs(1));
    q.claim("h", LEASE, 5).await.unwrap().unwrap();
    let s = q
        .fail_attempt(
            "J",
            "h",
            Decision::WaitForPerson,
            r#"{"kind":"session_expired"}"#,
        )
        .await
        .unwrap();
    assert_eq!(s, Status::Failed);
    let j = q.get("J").await.unwrap();
    assert_eq!(
        (j.failures_in_row, j.error.as_deref()),
        (2, Some(r#"{"kind":"session_expired"}"#))
    );
    assert!(
        j.payload.is_some(),
        "a failed job keeps its snapshot for the retry"
    );
    assert!(q.claim("h", LEASE, 5).await.unwrap().is_none());
    q.retry("J").await.unwrap();
    assert_eq!(q.claim("h", LEASE, 5).await.unwrap().unwrap().attempts, 3);
}

// Cancelling a pending job takes it out of the queue; cancelling a claimed one tells the
// working host at its next heartbeat; if its write had landed anyway, the job says so.
async fn cancel_pending_and_claimed<Q: Queue, F: Future<Output = Q>>(
    make: &impl Fn(Arc<ManualClock>) -> F,
) {
    let (q, _) = fresh(make).await;
    q.submit(job("P", "rev")).await.unwrap();
    q.cancel("P").await.unwrap();
    assert!(q.claim("h", LEASE, 5).await.unwrap().is_none());
    assert!(matches!(
        q.retry("P").await,
        Err(QueueError::Transition { .. })
    ));

    q.submit(job("C", "rev")).await.unwrap();
    q.claim("h", LEASE, 5).await.unwrap().unwrap();
    q.cancel("C").await.unwrap();
    assert_eq!(
        q.heartbeat("C", "h", "writing", LEASE).await.unwrap(),
        Status::Cancelled
    );
    assert_eq!(
        q.succeed("C", "h", "{}", false, false).await.unwrap(),
        Status::Succeeded
    );
    assert_eq!(q.list(Some(Status::Cancelled)).await.unwrap().len(), 1);
    assert!(matches!(
        q.cancel("C").await,
        Err(QueueError::Transition { .. })
    ));
}

// With a retention period a succeeded job keeps its snapshot until purged; the purge
// takes only succeeded jobs' snapshots older than the cut-off, never a failed job's.
async fn retention_then_purge<Q: Queue, F: Future<Output = Q>>(
    make: &impl Fn(Arc<ManualClock>) -> F,
) {
    let (q, clock) = fresh(make).await;
    for id in ["S", "F"] {
        q.submit(job(id, "rev")).await.unwrap();
        q.claim("h", LEASE, 5).await.unwrap().unwrap();
    }
    q.succeed("S", "h", "{}", false, true).await.unwrap();
    q.fail_attempt("F", "h", Decision::Stop, "{}")
        .await
        .unwrap();
    assert!(q.get("S").await.unwrap().payload.is_some());
    let cut = clock.now_ms();
    assert_eq!(
        q.purge_payloads(cut).await.unwrap(),
        0,
        "not older than the cut-off yet"
    );
    clock.advance(Duration::from_secs(60));
    assert_eq!(q.purge_payloads(clock.now_ms()).await.unwrap(), 1);
    assert_eq!(q.get("S").await.unwrap().payload, None);
    assert!(
        q.get("F").await.unwrap().payload.is_some(),
        "a failed job keeps its snapshot for the retry"
    );
}
