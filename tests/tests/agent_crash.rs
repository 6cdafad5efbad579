//! Crash safety with real processes, on both job stores: the agent is killed with SIGKILL
//! at several points while it works through a thousand jobs, and restarted each time.
//! Every job must end succeeded, and the EHR must hold each job's data exactly once.

use ehr_e2e::postgres::PostgresServer;
use ehr_e2e::{bearer, ehr_host_bin, fixture, revolution_config, TestHome};
use ehr_host::jobs::{NewJob, PostgresQueue, Queue, Sealer, SqliteQueue, Status, SystemClock};
use ehr_sandbox::{Fault, FaultMode, Sandbox, SandboxConfig};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const JOBS: usize = 1000;

/// The queue the agent uses, as the test sees it. (One value per test: the size of the
/// PostgreSQL variant does not matter.)
#[allow(clippy::large_enum_variant)]
enum Store {
    Sqlite(SqliteQueue),
    Postgres(PostgresQueue, String),
}

impl Store {
    async fn submit(&self, job: NewJob) {
        match self {
            Store::Sqlite(q) => q.submit(job).await.unwrap(),
            Store::Postgres(q, _) => q.submit(job).await.unwrap(),
        }
    }

    async fn count(&self, status: Status) -> usize {
        match self {
            Store::Sqlite(q) => q.list(Some(status)).await.unwrap().len(),
            Store::Postgres(q, _) => q.list(Some(status)).await.unwrap().len(),
        }
    }

    async fn retaken(&self) -> usize {
        let all = match self {
            Store::Sqlite(q) => q.list(None).await.unwrap(),
            Store::Postgres(q, _) => q.list(None).await.unwrap(),
        };
        all.iter().filter(|j| j.attempts >= 2).count()
    }

    fn agent_args(&self) -> Vec<String> {
        let mut args: Vec<String> = [
            "run",
            "--jobs-interval",
            "50ms",
            "--lease",
            "2s",
            "--host-id",
            "crashy",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if let Store::Postgres(_, conn) = self {
            args.extend(["--jobs-db".to_string(), conn.clone()]);
        }
        args
    }
}

fn start_agent(home: &TestHome, store: &Store) -> Child {
    Command::new(ehr_host_bin())
        .args(store.agent_args())
        .env("EHR_HOST_HOME", home.dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_until(store: &Store, done: usize, limit: Duration) {
    let deadline = Instant::now() + limit;
    while store.count(Status::SucceededWithWarnings).await < done && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A thousand jobs; SIGKILL at 5%, 40% and 75% of the run (exam writes answer slowly so
/// kills land mid-write), restart after each; then checks every promise.
async fn crash_run(sandbox: &Sandbox, home: &TestHome, store: Store) {
    let base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap())
            .unwrap();
    // Submitted straight into the agent's queue, sealed with its key, as `jobs submit`
    // does (a thousand CLI processes would only slow the test down).
    let sealer = Sealer::load_or_create(&home.dir.path().join("jobs.key")).unwrap();
    for i in 0..JOBS {
        let mut s = base.clone();
        let id = format!("J-{i:04}");
        s["job_id"] = id.clone().into();
        s["fields"]["notes"] = format!("note of job {i}").into();
        let payload = sealer.seal(&id, s.to_string().as_bytes()).unwrap();
        store.submit(NewJob::new(id, "revolution", payload)).await;
    }

    sandbox.set_fault(Fault::new(FaultMode::Slow { delay_ms: 3 }).on_path("/exam/"));
    for (round, done_before_kill) in [JOBS / 20, JOBS * 2 / 5, JOBS * 3 / 4]
        .into_iter()
        .enumerate()
    {
        let mut agent = start_agent(home, &store);
        wait_until(&store, done_before_kill, Duration::from_secs(300)).await;
        agent.kill().unwrap(); // SIGKILL
        agent.wait().unwrap();
        let done = store.count(Status::SucceededWithWarnings).await;
        assert!(
            done >= done_before_kill,
            "round {round} made no progress ({done})"
        );
    }
    sandbox.clear_fault();
    let mut agent = start_agent(home, &store);
    wait_until(&store, JOBS, Duration::from_secs(300)).await;
    agent.kill().unwrap();
    agent.wait().unwrap();

    assert_eq!(
        store.count(Status::SucceededWithWarnings).await,
        JOBS,
        "jobs left unfinished"
    );
    for status in [
        Status::Pending,
        Status::Claimed,
        Status::Failed,
        Status::Cancelled,
    ] {
        assert_eq!(store.count(status).await, 0, "jobs {status:?}");
    }
    assert!(
        store.retaken().await >= 1,
        "no kill landed while a job was claimed"
    );
    let notes = &sandbox.state().encounters["E5001"].notes;
    let mut texts: Vec<&str> = notes.iter().map(|n| n.text.as_str()).collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), JOBS, "a job's note is missing");
    assert_eq!(notes.len(), JOBS, "a job's note was written twice");
}

async fn rig() -> (Sandbox, TestHome) {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let home = TestHome::new(&revolution_config(&url, &bearer(&url, "sandbox-token")));
    home.install("revolution").await;
    (sandbox, home)
}

// The embedded SQLite queue survives three SIGKILLs over a thousand jobs: each job ends
// succeeded, each written exactly once, some taken over after a lapsed lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kill_dash_nine_loses_nothing_and_writes_once() {
    let (sandbox, home) = rig().await;
    let queue =
        SqliteQueue::open(&home.dir.path().join("jobs.sqlite"), Arc::new(SystemClock)).unwrap();
    crash_run(&sandbox, &home, Store::Sqlite(queue)).await;
}

// The same with the shared PostgreSQL queue (a server the test starts).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_kill_dash_nine_loses_nothing_and_writes_once() {
    let (sandbox, home) = rig().await;
    let pg = PostgresServer::start();
    let conn = pg.fresh_database("crash").await;
    let queue = PostgresQueue::connect(&conn, Arc::new(SystemClock))
        .await
        .unwrap();
    crash_run(&sandbox, &home, Store::Postgres(queue, conn)).await;
}
