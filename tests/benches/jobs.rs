//! `cargo bench -p ehr-e2e --bench jobs`: jobs per second through the full path (queue →
//! worker → revolution component → RevolutionEHR sandbox over loopback HTTP), on SQLite,
//! and on PostgreSQL with one host and with two hosts sharing the queue.
//!
//! Prints figures and ratios; needs `bash tests/setup.sh` (the built component) and the
//! PostgreSQL server binaries. `BENCH_JOBS` sets the number of jobs (default 300).

use ehr_e2e::postgres::PostgresServer;
use ehr_e2e::{bearer, fixture, revolution_config, TestHome};
use ehr_host::jobs::worker::{step, Adapters, WorkerConfig};
use ehr_host::jobs::{
    NewJob, PostgresQueue, Queue, RetryPolicy, Sealer, SqliteQueue, StoreHealth, SystemClock,
};
use ehr_host::runtime::bindings::latest::{EncounterSnapshot, WriteResult};
use ehr_host::runtime::{CallError, JobControl, LoadedAdapter};
use ehr_sandbox::{Sandbox, SandboxConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct One(Arc<LoadedAdapter>);

impl Adapters for One {
    async fn write(
        &self,
        _: &str,
        s: EncounterSnapshot,
        control: Arc<JobControl>,
    ) -> Option<(Arc<LoadedAdapter>, Result<WriteResult, CallError>)> {
        Some((self.0.clone(), self.0.write_job(s, control).await))
    }
}

fn config(host: &str, sealer: &Arc<Sealer>) -> WorkerConfig {
    WorkerConfig {
        host: host.into(),
        lease: Duration::from_secs(60),
        max_per_ehr: 8,
        policy: RetryPolicy::default(),
        sealer: sealer.clone(),
        retention: Duration::ZERO,
        health: Arc::new(StoreHealth::new("the bench queue")),
        shutdown: Default::default(),
        audit: None,
    }
}

async fn fill<Q: Queue>(q: &Q, n: usize, tag: &str, sealer: &Sealer) {
    let base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap())
            .unwrap();
    for i in 0..n {
        let mut s = base.clone();
        let id = format!("{tag}-{i:05}");
        s["job_id"] = id.clone().into();
        let payload = sealer.seal(&id, s.to_string().as_bytes()).unwrap();
        q.submit(NewJob::new(id, "revolution", payload))
            .await
            .unwrap();
    }
}

/// Works the queue dry; returns the number of jobs done.
async fn drain<Q: Queue>(q: &Q, adapters: &One, cfg: &WorkerConfig) -> usize {
    let mut done = 0;
    while step(q, adapters, cfg, &SystemClock)
        .await
        .unwrap()
        .is_some()
    {
        done += 1;
    }
    done
}

fn report(name: &str, jobs: usize, elapsed: Duration) -> f64 {
    let rate = jobs as f64 / elapsed.as_secs_f64();
    println!(
        "{name:38} {jobs:5} jobs in {:>7.2} s  = {rate:>7.1} jobs/s",
        elapsed.as_secs_f64()
    );
    rate
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let home = TestHome::new(&revolution_config(&url, &bearer(&url, "sandbox-token")));
    home.install("revolution").await;
    let adapters = Arc::new(One(Arc::new(home.host().load("revolution").unwrap())));
    let sealer = Arc::new(Sealer::new(&[5; 32]));

    let sqlite =
        SqliteQueue::open(&home.dir.path().join("bench.sqlite"), Arc::new(SystemClock)).unwrap();
    fill(&sqlite, n, "sq", &sealer).await;
    let t = Instant::now();
    let done = drain(&sqlite, &adapters, &config("h1", &sealer)).await;
    let sq = report("SQLite, one host", done, t.elapsed());

    let pg = PostgresServer::start();
    let conn = pg.fresh_database("bench_one").await;
    let q = PostgresQueue::connect(&conn, Arc::new(SystemClock))
        .await
        .unwrap();
    fill(&q, n, "pg1", &sealer).await;
    let t = Instant::now();
    let done = drain(&q, &adapters, &config("h1", &sealer)).await;
    let pg1 = report("PostgreSQL, one host", done, t.elapsed());

    let conn = pg.fresh_database("bench_two").await;
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
    fill(a.as_ref(), n, "pg2", &sealer).await;
    let t = Instant::now();
    let run = |q: Arc<PostgresQueue>, host: &'static str| {
        let (adapters, cfg) = (adapters.clone(), config(host, &sealer));
        tokio::spawn(async move { drain(q.as_ref(), adapters.as_ref(), &cfg).await })
    };
    let (da, db) = tokio::join!(run(a, "h1"), run(b, "h2"));
    let pg2 = report(
        "PostgreSQL, two hosts sharing the queue",
        da.unwrap() + db.unwrap(),
        t.elapsed(),
    );
    println!(
        "ratios: PostgreSQL/SQLite {:.2}x, two hosts/one host {:.2}x",
        pg1 / sq,
        pg2 / pg1
    );
}
