//! The PostgreSQL job store against a real PostgreSQL server started by the test: the
//! same conformance suite as SQLite, several hosts claiming from one queue, and a claim
//! cut off midway.

use ehr_e2e::postgres::PostgresServer;
use ehr_host::jobs::{conformance, ManualClock, NewJob, PostgresQueue, Queue, SystemClock};
use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

static DB: AtomicU32 = AtomicU32::new(0);

// The PostgreSQL store passes the same conformance suite as SQLite, each case on an
// empty database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_suite() {
    let server = PostgresServer::start();
    let server = &server;
    conformance::run_all(|clock: Arc<ManualClock>| async move {
        let name = format!("conf_{}", DB.fetch_add(1, Ordering::Relaxed));
        let conn = server.fresh_database(&name).await;
        PostgresQueue::connect(&conn, clock).await.unwrap()
    })
    .await;
}

// Two hosts with their own connections claim from one queue of 200 jobs at the same
// time: every job is claimed exactly once, none twice, none left behind, and the
// per-EHR limit holds across both hosts at every claim.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_never_claim_the_same_job() {
    let server = PostgresServer::start();
    let conn = server.fresh_database("two_hosts").await;
    let a = Arc::new(
        PostgresQueue::connect(&conn, Arc::new(SystemClock))
            .await
            .unwrap(),
    );
    let b = Arc::new(
        PostgresQueue::connect(&conn, Arc::new(SystemClock))
            .await
            .unwrap(),
    );
    for i in 0..200 {
        let ehr = if i % 2 == 0 { "rev" } else { "eye" };
        a.submit(NewJob::new(format!("J{i:03}"), ehr, vec![1]))
            .await
            .unwrap();
    }
    let limit = 3;
    let worker = |q: Arc<PostgresQueue>, host: &'static str| async move {
        let mut mine = Vec::new();
        while let Some(job) = q.claim(host, Duration::from_secs(60), limit).await.unwrap() {
            let claimed = q.list(Some(ehr_host::jobs::Status::Claimed)).await.unwrap();
            let same_ehr = claimed.iter().filter(|j| j.ehr == job.ehr).count();
            assert!(
                same_ehr <= limit as usize,
                "{same_ehr} claimed for {} (limit {limit})",
                job.ehr
            );
            q.succeed(&job.id, host, &ehr_e2e::sample_report(&job.id), false)
                .await
                .unwrap();
            mine.push(job.id);
        }
        mine
    };
    let (ja, jb) = tokio::join!(
        tokio::spawn(worker(a.clone(), "host-a")),
        tokio::spawn(worker(b.clone(), "host-b"))
    );
    let (ja, jb) = (ja.unwrap(), jb.unwrap());
    assert!(
        !ja.is_empty() && !jb.is_empty(),
        "both hosts should have worked: {} / {}",
        ja.len(),
        jb.len()
    );
    let all: HashSet<_> = ja.iter().chain(jb.iter()).cloned().collect();
    assert_eq!(ja.len() + jb.len(), 200, "a job was claimed twice");
    assert_eq!(all.len(), 200);
    let done = a
        .list(Some(ehr_host::jobs::Status::Succeeded))
        .await
        .unwrap();
    assert_eq!(done.len(), 200);
}

// A claim sends its BEGIN with its first reads and its COMMIT with its update; cut off
// at any point in between (a hub's agent hanging up mid-request drops the claim), it
// leaves no transaction open holding the claim lock: another host claims at once, the
// same queue value claims again, and every job is pending or claimed, none lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_cut_off_midway_leaves_the_queue_usable() {
    let server = PostgresServer::start();
    let conn = server.fresh_database("cut_off").await;
    let connect = || async {
        PostgresQueue::connect(&conn, Arc::new(SystemClock))
            .await
            .unwrap()
    };
    let (a, b) = (connect().await, connect().await);
    for i in 0..60 {
        a.submit(NewJob::new(format!("C{i:03}"), "rev", vec![1]))
            .await
            .unwrap();
    }
    let lease = Duration::from_secs(60);
    let mut cut_at = Vec::new();
    for polls in 0..16 {
        let mut claim = Box::pin(a.claim_many("host-a", lease, 100, Default::default(), 2));
        let mut done = false;
        for _ in 0..polls {
            let p = std::future::poll_fn(|cx| Poll::Ready(claim.as_mut().poll(cx))).await;
            if p.is_ready() {
                done = true;
                break;
            }
            // Let the server answer part of what was sent.
            std::thread::sleep(Duration::from_micros(150));
        }
        drop(claim);
        cut_at.push((polls, done));
        let other = tokio::time::timeout(Duration::from_secs(5), b.claim("host-b", lease, 100))
            .await
            .unwrap_or_else(|_| panic!("after a claim cut off at poll {polls}, another host's claim waited on its lock"));
        assert!(other.unwrap().is_some(), "jobs remain to claim");
        let again = tokio::time::timeout(Duration::from_secs(5), a.claim("host-a", lease, 100))
            .await
            .expect("the same queue claims again after a cut-off claim");
        assert!(again.unwrap().is_some());
    }
    // Polled at least once (its BEGIN and reads sent) and dropped before it finished.
    assert!(
        cut_at.iter().any(|&(polls, done)| polls > 0 && !done),
        "no claim was cut off midway: {cut_at:?}"
    );
    let all = a.list(None).await.unwrap();
    assert_eq!(all.len(), 60, "no job lost");
    for j in &all {
        match j.status {
            ehr_host::jobs::Status::Pending => assert!(j.claimed_by.is_none()),
            ehr_host::jobs::Status::Claimed => {
                assert!(matches!(j.claimed_by.as_deref(), Some("host-a" | "host-b")))
            }
            other => panic!("{} is {other:?}", j.id),
        }
    }
}

// The `jobs` verbs work on a shared PostgreSQL queue with `--jobs-db`: a job submitted
// there is listed there, and not in the home's own SQLite queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_cli_on_a_shared_queue() {
    let server = PostgresServer::start();
    let conn = server.fresh_database("cli").await;
    let home = ehr_e2e::TestHome::new("");
    home.install("revolution").await;
    let snapshot = ehr_e2e::fixture("snapshot-e5001.json");
    let (code, _, err) = home.cli(&[
        "jobs",
        "--jobs-db",
        &conn,
        "submit",
        "revolution",
        snapshot.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = home.cli(&["jobs", "list", "--json", "--jobs-db", &conn]);
    assert_eq!(code, 0, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list[0]["job"]["id"], "J-2026-11-21-0001");
    let (_, out, _) = home.cli(&["jobs", "list", "--json"]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        0
    );
}
