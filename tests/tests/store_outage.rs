//! The job store going away under a busy agent and coming back: PostgreSQL stopped and
//! started again under a running `ehr-host run`, and a SQLite home made read-only and
//! writable again under an agent run in-process from the library. Every job ends
//! written exactly once; the agent says once that the store is gone and once that it is
//! back.

use ehr_e2e::postgres::PostgresServer;
use ehr_e2e::{bearer, ehr_host_bin, fixture, revolution_config, TestHome};
use ehr_host::agent::run::{self, RunOptions};
use ehr_host::jobs::{
    key, submit, PostgresQueue, Queue, SqliteQueue, Status, StoreState, SystemClock,
};
use ehr_sandbox::{Fault, FaultMode, Sandbox, SandboxConfig};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The fixture snapshot as job `id`.
fn snapshot(id: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap();
    text.replace("J-2026-11-21-0001", id).into_bytes()
}

async fn submit_jobs<Q: Queue>(queue: &Q, home: &TestHome, ids: &[String]) {
    let sealer = key::open(queue, &home.home().jobs_key()).await.unwrap();
    for id in ids {
        submit(
            queue,
            &sealer,
            &["revolution".to_string()],
            "revolution",
            &snapshot(id),
        )
        .await
        .unwrap();
    }
}

/// Waits (bounded) until every job is succeeded; panics with the statuses otherwise.
async fn all_succeed<Q: Queue>(queue: &Q, count: usize, limit: Duration) {
    let until = Instant::now() + limit;
    loop {
        let done = match queue.list(None).await {
            Ok(jobs) => jobs
                .iter()
                .filter(|j| j.status == Status::SucceededWithWarnings)
                .count(),
            Err(_) => 0,
        };
        if done == count {
            return;
        }
        if Instant::now() > until {
            let jobs = queue.list(None).await.unwrap();
            let statuses: Vec<_> = jobs
                .iter()
                .map(|j| (j.id.clone(), j.status, j.error.clone()))
                .collect();
            panic!("not every job succeeded in time: {statuses:#?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// PostgreSQL stopped for a few seconds under an agent writing 60 jobs, then started
// again: the agent reconnects by itself, finishes every job, the chart gets each note
// exactly once, and the log says "unavailable" once and "back" once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_under_a_busy_agent() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    // Each section write takes a moment, so the outage lands while jobs are in flight.
    sandbox.set_fault(Fault::new(FaultMode::Slow { delay_ms: 30 }).on_path("/exam/"));
    let url = sandbox.url();
    let home = TestHome::new(&revolution_config(&url, &bearer(&url, "sandbox-token")));
    home.install("revolution").await;
    let server = PostgresServer::start();
    let conn = server.fresh_database("outage").await;
    let queue = PostgresQueue::connect(&conn, Arc::new(SystemClock))
        .await
        .unwrap();
    let ids: Vec<String> = (0..60).map(|i| format!("J-PG-{i:03}")).collect();
    submit_jobs(&queue, &home, &ids).await;
    let log = home.dir.path().join("agent.log");
    let _agent = Running(
        Command::new(ehr_host_bin())
            .args([
                "run",
                "--jobs-db",
                &conn,
                "--jobs-interval",
                "50ms",
                "--host-id",
                "agent-pg",
            ])
            .env("EHR_HOST_HOME", home.dir.path())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let until = Instant::now() + Duration::from_secs(60);
    while queue
        .list(Some(Status::SucceededWithWarnings))
        .await
        .unwrap()
        .len()
        < 3
    {
        assert!(Instant::now() < until, "the agent wrote nothing");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.stop();
    let store = |home: &TestHome| {
        let (_, out, _) = home.cli(&["status", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        v["job_store"]["state"].as_str().unwrap_or("").to_string()
    };
    let until = Instant::now() + Duration::from_secs(30);
    while store(&home) != "unavailable" {
        assert!(
            Instant::now() < until,
            "`ehr-host status` never showed the store unavailable"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, human, _) = home.cli(&["status"]);
    assert!(
        human.contains("Job store: UNAVAILABLE") && human.contains("Tray: red"),
        "{human}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    server.start_again();
    all_succeed(&queue, ids.len(), Duration::from_secs(120)).await;
    let notes = sandbox.state().encounters["E5001"].notes.len();
    assert_eq!(notes, ids.len(), "each job's note exactly once");
    assert_eq!(store(&home), "available");
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text.matches("is unavailable").count(), 1, "{text}");
    assert_eq!(
        text.matches("is back (unavailable since").count(),
        1,
        "{text}"
    );
}

/// The job store's database and WAL made read-only for everyone, root included
/// (`chattr +i`: writes fail even on descriptors already open), until dropped. Not the
/// `-shm` index: SQLite maps it into memory, and a write fault on an immutable mapping is
/// a SIGBUS, not an error — a read-only database beside a writable index is what a
/// read-only data directory looks like to SQLite, which keeps its index elsewhere then.
struct ReadOnly(Vec<std::path::PathBuf>);

impl ReadOnly {
    fn files(db: &std::path::Path) -> ReadOnly {
        let files: Vec<_> = ["", "-wal"]
            .iter()
            .map(|s| std::path::PathBuf::from(format!("{}{s}", db.display())))
            .filter(|p| p.exists())
            .collect();
        let out = Command::new("chattr")
            .arg("+i")
            .args(&files)
            .output()
            .expect("running chattr (e2fsprogs)");
        assert!(
            out.status.success(),
            "this test makes the job store read-only with `chattr +i` (root, on ext4; e2fsprogs): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        ReadOnly(files)
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").args(&self.0).output();
    }
}

// The SQLite job store made read-only while the agent (run from the library, in-process)
// writes jobs, then writable again: the agent reports the store unavailable, stalls
// without losing anything, and finishes every job exactly once when it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_home_read_only_then_writable() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    sandbox.set_fault(Fault::new(FaultMode::Slow { delay_ms: 40 }).on_path("/exam/"));
    let url = sandbox.url();
    let home = TestHome::new(&revolution_config(&url, &bearer(&url, "sandbox-token")));
    home.install("revolution").await;
    let jobs = home.home().jobs();
    let queue = SqliteQueue::open(&jobs, Arc::new(SystemClock)).unwrap();
    let ids: Vec<String> = (0..20).map(|i| format!("J-RO-{i:03}")).collect();
    submit_jobs(&queue, &home, &ids).await;
    let options = RunOptions {
        jobs_interval: Duration::from_millis(50),
        ..RunOptions::for_home(&home.home())
    };
    let running = run::start(
        home.host(),
        SqliteQueue::open(&jobs, Arc::new(SystemClock)).unwrap(),
        options,
        "test",
    )
    .await
    .unwrap();
    let until = Instant::now() + Duration::from_secs(60);
    while queue
        .list(Some(Status::SucceededWithWarnings))
        .await
        .unwrap()
        .len()
        < 2
    {
        assert!(Instant::now() < until, "the agent wrote nothing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let read_only = ReadOnly::files(&jobs);
    let until = Instant::now() + Duration::from_secs(30);
    while running.store_state() == StoreState::Available {
        assert!(
            Instant::now() < until,
            "the agent never noticed the read-only store"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(read_only);
    all_succeed(&queue, ids.len(), Duration::from_secs(120)).await;
    assert_eq!(running.store_state(), StoreState::Available);
    assert_eq!(sandbox.state().encounters["E5001"].notes.len(), ids.len());
    running.stop().await;
}
