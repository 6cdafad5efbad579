//! The SQLite store: the conformance suite, and what only a file can do.

use super::*;
use crate::jobs::clock::ManualClock;

fn temp_db() -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ehr-jobs-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("jobs.sqlite")
}

// The SQLite store passes the queue conformance suite.
#[tokio::test]
async fn conformance() {
    crate::jobs::conformance::run_all(|clock| async move {
        SqliteQueue::open(&temp_db(), clock).unwrap()
    })
    .await;
}

// A job survives the process going away mid-claim: reopening the file finds it
// claimed, and once the lease lapses it is claimable again with the attempt counted.
#[tokio::test]
async fn survives_reopen() {
    let path = temp_db();
    let clock = Arc::new(ManualClock::at(1_000));
    {
        let q = SqliteQueue::open(&path, clock.clone()).unwrap();
        q.submit(NewJob::new("J", "rev", b"p".to_vec()))
            .await
            .unwrap();
        q.claim("h1", Duration::from_secs(10), 5)
            .await
            .unwrap()
            .unwrap();
    }
    let q = SqliteQueue::open(&path, clock.clone()).unwrap();
    assert_eq!(q.get("J").await.unwrap().status, Status::Claimed);
    clock.advance(Duration::from_secs(11));
    assert_eq!(
        q.reclaim_expired().await.unwrap(),
        vec![("J".to_string(), Status::Pending)]
    );
    let j = q
        .claim("h2", Duration::from_secs(10), 5)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((j.attempts, j.payload.as_deref()), (2, Some(&b"p"[..])));
}

// A file from ehr-host 0.1 (no cancel or give-back columns, a wave-1 report) opens,
// is brought up to date, and its report reads typed.
#[tokio::test]
async fn migrates_a_wave_one_file() {
    let path = temp_db();
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE jobs (id TEXT PRIMARY KEY, ehr TEXT NOT NULL, status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0, failures_in_row INTEGER NOT NULL DEFAULT 0,
                next_attempt_ms INTEGER NOT NULL, claimed_by TEXT, lease_until_ms INTEGER,
                last_progress_ms INTEGER, progress TEXT, created_ms INTEGER NOT NULL,
                updated_ms INTEGER NOT NULL, outcome TEXT, error TEXT, payload BLOB);
             INSERT INTO jobs (id, ehr, status, next_attempt_ms, created_ms, updated_ms, outcome)
             VALUES ('OLD', 'revolution', 'succeeded', 1, 1, 1,
               '{\"job_id\":\"OLD\",\"adapter\":\"revolution 0.1.0\",\"encounter_id\":\"E1\",\"outcome\":\"succeeded\",\"record_id\":null,\"replayed\":false,\"written\":1,\"skipped\":0,\"warnings\":0,\"fields\":[{\"field\":\"iop.od\",\"status\":\"written\",\"target\":\"x\",\"warnings\":[]}]}');",
        )
        .unwrap();
    }
    let q = SqliteQueue::open(&path, Arc::new(ManualClock::at(5))).unwrap();
    let j = q.get("OLD").await.unwrap();
    assert_eq!(j.report.unwrap().written, 1);
    assert!(!j.cancel_requested);
}
