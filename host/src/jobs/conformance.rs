//! The behaviour every [`Queue`] must show, as one suite each store runs against itself
//! (`SqliteQueue` in its tests; a PostgreSQL store must pass the same). The clock is a
//! [`ManualClock`] the suite moves, so leases and backoff are tested without sleeping.

use super::clock::{Clock, ManualClock};
use super::lifecycle::Status;
use super::policy::Decision;
use super::queue::{CancelOutcome, ClaimFilter, EhrGroup, Lease, NewJob, Queue, QueueError};
use crate::remediation::{self, Remediation};
use crate::report::{AdapterRef, FieldLine, FieldOutcome, SkipReason, WriteReport};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

const LEASE: Duration = Duration::from_secs(30);

fn job(id: &str, ehr: &str) -> NewJob {
    NewJob::new(id, ehr, format!("snapshot of {id}").into_bytes())
}

/// A report of `id` by adapter package `hash`: one field written, and one skipped when
/// `with_warnings`.
fn report(id: &str, hash: &str, with_warnings: bool) -> WriteReport {
    let mut lines = vec![FieldLine {
        field: "iop.od".into(),
        outcome: FieldOutcome::Written {
            target: Some("exam.iop".into()),
        },
        warnings: vec![],
    }];
    if with_warnings {
        lines.push(FieldLine {
            field: "notes".into(),
            outcome: FieldOutcome::Skipped {
                reason: SkipReason::NoMapping,
                detail: "none".into(),
            },
            warnings: vec![],
        });
    }
    let adapter = AdapterRef {
        id: "rev".into(),
        version: semver::Version::new(1, 0, 0),
        hash: hash.into(),
    };
    WriteReport::from_lines(id, adapter, "E1", lines, None)
}

fn failure() -> Remediation {
    remediation::snapshot_unreadable("test failure".into())
}

/// Runs every case; `make` builds an empty queue on the given clock.
pub async fn run_all<Q: Queue, F: Future<Output = Q>>(make: impl Fn(Arc<ManualClock>) -> F) {
    submit_and_duplicates(&make).await;
    claim_order_and_limits(&make).await;
    claims_in_batches(&make).await;
    lease_expiry_takeover(&make).await;
    success_drops_payload(&make).await;
    retry_backoff_and_person_retry(&make).await;
    cancel_pending_and_claimed(&make).await;
    cancel_request_outlives_the_host(&make).await;
    retention_then_purge(&make).await;
    give_back_once(&make).await;
    scoped_claims(&make).await;
    paused_groups_are_skipped(&make).await;
    full_groups_ahead_do_not_hide_the_rest(&make).await;
    key_check(&make).await;
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

// One claim takes several jobs at once, oldest first, each counted: the per-EHR limit
// counts what the claim itself takes, an EHR written one job at a time gives it one job
// per group, and past the oldest jobs of full groups the rest are still found.
async fn claims_in_batches<Q: Queue, F: Future<Output = Q>>(make: &impl Fn(Arc<ManualClock>) -> F) {
    let (q, clock) = fresh(make).await;
    for (id, ehr) in [
        ("A1", "a"),
        ("L1", "local"),
        ("A2", "a"),
        ("L2", "local"),
        ("A3", "a"),
        ("B1", "b"),
    ] {
        q.submit(job(id, ehr)).await.unwrap();
        clock.advance(Duration::from_millis(1));
    }
    let local = ["local".to_string()];
    let filter = ClaimFilter {
        one_each: &local,
        ..ClaimFilter::default()
    };
    let ids = |jobs: Vec<crate::jobs::JobRecord>| {
        assert!(jobs
            .iter()
            .all(|j| j.status == Status::Claimed && j.attempts == 1));
        jobs.into_iter().map(|j| j.id).collect::<Vec<_>>()
    };
    let got = ids(q.claim_many("h1", LEASE, 2, filter, 10).await.unwrap());
    assert_eq!(
        got,
        ["A1", "L1", "A2", "B1"],
        "`a` stops at its limit of 2 within the claim, `local` at one"
    );
    let next = ids(q.claim_many("h1", LEASE, 2, filter, 10).await.unwrap());
    assert_eq!(
        next,
        ["L2"],
        "`a` is full; one at a time is per claim (the runner skips a group in flight)"
    );
    let rest = ids(q
        .claim_many("h2", LEASE, 3, ClaimFilter::default(), 1)
        .await
        .unwrap());
    assert_eq!(rest, ["A3"], "the limit raised to 3, and one asked for");
    assert!(q
        .claim_many("h2", LEASE, 3, filter, 5)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(q.list(Some(Status::Claimed)).await.unwrap().len(), 6);
    for i in 0..70 {
        q.submit(job(&format!("F{i:02}"), "full")).await.unwrap();
        clock.advance(Duration::from_millis(1));
    }
    q.submit(job("C1", "c")).await.unwrap();
    let first = ids(q.claim_many("h3", LEASE, 1, filter, 4).await.unwrap());
    assert_eq!(
        first,
        ["F00"],
        "what the oldest jobs held that could be taken"
    );
    let past = ids(q.claim_many("h3", LEASE, 1, filter, 4).await.unwrap());
    assert_eq!(past, ["C1"], "past the full EHR's oldest jobs");
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
        Lease::Held
    );
    clock.advance(LEASE / 2 + Duration::from_secs(1));
    assert!(
        q.reclaim_expired().await.unwrap().is_empty(),
        "the heartbeat renewed the lease"
    );
    clock.advance(LEASE);
    assert_eq!(
        q.reclaim_expired().await.unwrap(),
        vec![("J".to_string(), Status::Pending)]
    );
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
        q.succeed("J", "dead", &report("J", "h", false), false)
            .await,
        Err(QueueError::LostClaim { .. })
    ));
    assert_eq!(
        q.succeed("J", "alive", &report("J", "h", false), false)
            .await
            .unwrap(),
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
    let r = report("J", "h", true);
    let s = q.succeed("J", "h", &r, false).await.unwrap();
    assert_eq!(s, Status::SucceededWithWarnings);
    let j = q.get("J").await.unwrap();
    assert_eq!(
        j.report.as_ref(),
        Some(&r),
        "the report reads back typed and whole"
    );
    assert_eq!(j.progress, None, "no progress shown once the job is done");
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
        .fail_attempt("J", "h", Decision::RetryAfter(delay), None, &failure())
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
            None,
            &remediation::adapter_missing("rev"),
        )
        .await
        .unwrap();
    assert_eq!(s, Status::Failed);
    let j = q.get("J").await.unwrap();
    assert_eq!(
        (j.failures_in_row, j.error.map(|e| e.kind)),
        (2, Some(remediation::RemediationKind::AdapterMissing))
    );
    assert!(
        j.payload.is_some(),
        "a failed job keeps its snapshot for the retry"
    );
    assert!(q.claim("h", LEASE, 5).await.unwrap().is_none());
    q.retry("J").await.unwrap();
    assert_eq!(q.claim("h", LEASE, 5).await.unwrap().unwrap().attempts, 3);
}

// Cancelling a pending job takes it out of the queue. Cancelling a claimed one is a
// request its host sees at the next heartbeat: the job stays claimed until the host
// stops; a write that landed first succeeds (the chart is the truth), and an attempt
// stopped for the cancel ends cancelled, whatever its failure was.
async fn cancel_pending_and_claimed<Q: Queue, F: Future<Output = Q>>(
    make: &impl Fn(Arc<ManualClock>) -> F,
) {
    let (q, _) = fresh(make).await;
    q.submit(job("P", "rev")).await.unwrap();
    assert_eq!(q.cancel("P").await.unwrap(), CancelOutcome::Cancelled);
    assert!(q.claim("h", LEASE, 5).await.unwrap().is_none());
    assert!(matches!(
        q.retry("P").await,
        Err(QueueError::Transition { .. })
    ));

    q.submit(job("C", "rev")).await.unwrap();
    q.claim("h", LEASE, 5).await.unwrap().unwrap();
    assert_eq!(q.cancel("C").await.unwrap(), CancelOutcome::Requested);
    let j = q.get("C").await.unwrap();
    assert_eq!((j.status, j.cancel_requested), (Status::Claimed, true));
    assert_eq!(
        q.heartbeat("C", "h", "writing", LEASE).await.unwrap(),
        Lease::CancelRequested
    );
    assert_eq!(
        q.succeed("C", "h", &report("C", "h", false), false)
            .await
            .unwrap(),
        Status::Succeeded
    );

    q.submit(job("D", "rev")).await.unwrap();
    q.claim("h", LEASE, 5).await.unwrap().unwrap();
    q.cancel("D").await.unwrap();
    let s = q
        .fail_attempt(
            "D",
            "h",
            Decision::RetryAfter(Duration::from_secs(5)),
            None,
            &remediation::cancelled(0),
        )
        .await
        .unwrap();
    assert_eq!(s, Status::Cancelled, "a cancelled job is not retried");
    assert_eq!(q.list(Some(Status::Cancelled)).await.unwrap().len(), 2);
    assert!(matches!(
        q.cancel("D").await,
        Err(QueueError::Transition { .. })
    ));
}

// A host that dies after a cancel was requested does not hand the job to another host:
// when its lease lapses the job ends cancelled, not pending.
async fn cancel_request_outlives_the_host<Q: Queue, F: Future<Output = Q>>(
    make: &impl Fn(Arc<ManualClock>) -> F,
) {
    let (q, clock) = fresh(make).await;
    q.submit(job("K", "rev")).await.unwrap();
    q.claim("dead", LEASE, 5).await.unwrap().unwrap();
    q.cancel("K").await.unwrap();
    clock.advance(LEASE * 2);
    assert_eq!(
        q.reclaim_expired().await.unwrap(),
        vec![("K".to_string(), Status::Cancelled)]
    );
    assert!(q.claim("alive", LEASE, 5).await.unwrap().is_none());
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
    q.succeed("S", "h", &report("S", "h", false), true)
        .await
        .unwrap();
    q.fail_attempt("F", "h", Decision::Stop, None, &failure())
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

// Jobs that failed as adapter bugs on a package that was then rolled back go back to the
// queue once; other failures, other packages and jobs given back before stay failed.
async fn give_back_once<Q: Queue, F: Future<Output = Q>>(make: &impl Fn(Arc<ManualClock>) -> F) {
    let (q, _) = fresh(make).await;
    let bug = remediation::report_invalid("missing fields");
    for (id, hash, error) in [
        ("B1", "bad", &bug),
        ("B2", "good", &bug),
        ("B3", "bad", &failure()),
    ] {
        q.submit(job(id, "rev")).await.unwrap();
        q.claim("h", LEASE, 5).await.unwrap().unwrap();
        let r = report(id, hash, false);
        q.fail_attempt(id, "h", Decision::Stop, Some(&r), error)
            .await
            .unwrap();
    }
    assert_eq!(
        q.give_back("rev", "bad").await.unwrap(),
        vec!["B1".to_string()]
    );
    let j = q.get("B1").await.unwrap();
    assert_eq!((j.status, j.given_back), (Status::Pending, true));
    q.claim("h", LEASE, 5).await.unwrap().unwrap();
    q.fail_attempt(
        "B1",
        "h",
        Decision::Stop,
        Some(&report("B1", "bad", false)),
        &bug,
    )
    .await
    .unwrap();
    assert!(
        q.give_back("rev", "bad").await.unwrap().is_empty(),
        "given back once, never twice"
    );
    assert_eq!(q.get("B2").await.unwrap().status, Status::Failed);
    assert_eq!(q.get("B3").await.unwrap().status, Status::Failed);
}

// The store remembers one key check (the first recorded wins) and counts sealed jobs.
async fn key_check<Q: Queue, F: Future<Output = Q>>(make: &impl Fn(Arc<ManualClock>) -> F) {
    let (q, _) = fresh(make).await;
    assert_eq!(q.key_state().await.unwrap(), Default::default());
    q.submit(job("J", "rev")).await.unwrap();
    q.record_key_check(b"first").await.unwrap();
    q.record_key_check(b"second").await.unwrap();
    let state = q.key_state().await.unwrap();
    assert_eq!(
        (state.check.as_deref(), state.sealed_jobs),
        (Some(&b"first"[..]), 1)
    );
}

// A hub's claims: only one tenant's jobs, only some EHRs; the per-EHR limit counts per
// tenant, so one practice at its limit does not hold back another.
async fn scoped_claims<Q: Queue, F: Future<Output = Q>>(make: &impl Fn(Arc<ManualClock>) -> F) {
    let (q, clock) = fresh(make).await;
    for (id, ehr, scope) in [
        ("A1", "crystalpm", "pa"),
        ("A2", "revolution", "pa"),
        ("B1", "crystalpm", "pb"),
        ("B2", "crystalpm", "pb"),
    ] {
        let mut j = job(id, ehr);
        j.scope = Some(scope.into());
        q.submit(j).await.unwrap();
        clock.advance(Duration::from_millis(1));
    }
    let local = ["crystalpm".to_string()];
    let for_b = ClaimFilter {
        scope: Some("pb"),
        ehrs: Some(&local),
        ..ClaimFilter::default()
    };
    let b = q
        .claim_where("agent-b", LEASE, 1, for_b)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((b.id.as_str(), b.scope.as_deref()), ("B1", Some("pb")));
    assert!(
        q.claim_where("agent-b", LEASE, 1, for_b)
            .await
            .unwrap()
            .is_none(),
        "pb's crystalpm is at its limit"
    );
    let for_a = ClaimFilter {
        scope: Some("pa"),
        ehrs: Some(&local),
        ..ClaimFilter::default()
    };
    assert_eq!(
        q.claim_where("agent-a", LEASE, 1, for_a)
            .await
            .unwrap()
            .unwrap()
            .id,
        "A1",
        "another practice is not held back"
    );
    let cloud = ["revolution".to_string()];
    let hub = ClaimFilter {
        scope: None,
        ehrs: Some(&cloud),
        ..ClaimFilter::default()
    };
    assert_eq!(
        q.claim_where("hub", LEASE, 1, hub)
            .await
            .unwrap()
            .unwrap()
            .id,
        "A2"
    );
    assert_eq!(q.list_where(None, Some("pb")).await.unwrap().len(), 2);
}

// A claim skips the groups it is told to (their EHR asked to be left alone) and only
// those: another tenant of the same EHR, and the same EHR once no longer excluded, are
// served.
async fn paused_groups_are_skipped<Q: Queue, F: Future<Output = Q>>(
    make: &impl Fn(Arc<ManualClock>) -> F,
) {
    let (q, clock) = fresh(make).await;
    for (id, ehr, scope) in [
        ("A1", "rev", None),
        ("P1", "rev", Some("pa")),
        ("Q1", "rev", Some("pb")),
        ("B1", "other", None),
    ] {
        let mut j = job(id, ehr);
        j.scope = scope.map(String::from);
        q.submit(j).await.unwrap();
        clock.advance(Duration::from_millis(1));
    }
    let paused = [
        EhrGroup {
            ehr: "rev".into(),
            scope: None,
        },
        EhrGroup {
            ehr: "rev".into(),
            scope: Some("pa".into()),
        },
    ];
    let filter = ClaimFilter {
        except: &paused,
        ..ClaimFilter::default()
    };
    let mut got = Vec::new();
    while let Some(j) = q.claim_where("h1", LEASE, 8, filter).await.unwrap() {
        got.push(j.id);
    }
    assert_eq!(
        got,
        ["Q1", "B1"],
        "the paused groups are skipped, oldest first"
    );
    assert_eq!(q.claim("h1", LEASE, 8).await.unwrap().unwrap().id, "A1");
    let for_pa = ClaimFilter {
        scope: Some("pa"),
        except: &paused,
        ..ClaimFilter::default()
    };
    assert!(q
        .claim_where("h1", LEASE, 8, for_pa)
        .await
        .unwrap()
        .is_none());
}

// Many due jobs of a group at its limit, older than the others, hold back neither the
// other EHRs' jobs nor other tenants' (a claim reads only so many of the oldest jobs,
// then looks per group), and the oldest job of the rest comes first.
async fn full_groups_ahead_do_not_hide_the_rest<Q: Queue, F: Future<Output = Q>>(
    make: &impl Fn(Arc<ManualClock>) -> F,
) {
    let (q, clock) = fresh(make).await;
    for i in 0..100 {
        q.submit(job(&format!("A{i:03}"), "a")).await.unwrap();
        clock.advance(Duration::from_millis(1));
    }
    let mut c = job("C1", "c");
    c.scope = Some("pc".into());
    q.submit(c).await.unwrap();
    clock.advance(Duration::from_millis(1));
    q.submit(job("B1", "b")).await.unwrap();
    clock.advance(Duration::from_millis(1));
    let mut later = job("B2", "b");
    later.scope = Some("pb".into());
    q.submit(later).await.unwrap();
    clock.advance(Duration::from_millis(1));
    assert_eq!(q.claim("h1", LEASE, 1).await.unwrap().unwrap().id, "A000");
    let mut got = Vec::new();
    while let Some(j) = q.claim("h1", LEASE, 1).await.unwrap() {
        got.push(j.id);
    }
    assert_eq!(got, ["C1", "B1", "B2"], "past the full EHR, oldest first");
    let only_b = ["b".to_string(), "a".to_string()];
    let hub = ClaimFilter {
        ehrs: Some(&only_b),
        ..ClaimFilter::default()
    };
    assert!(q.claim_where("h2", LEASE, 1, hub).await.unwrap().is_none());
    assert_eq!(
        q.claim_where("h2", LEASE, 2, hub)
            .await
            .unwrap()
            .unwrap()
            .id,
        "A001",
        "the limit raised, the oldest of `a` again"
    );
}
