//! `cargo bench -p ehr-e2e --bench jobs`: the job queue and runner
//! (`ehr_host::jobs::runner`), each compared pair measured side by side in the same run.
//!
//! 1. Queue overhead: jobs/s through the runner with a writer that writes nothing
//!    (`ehr_e2e::noop`), `BENCH_CONCURRENCY` in flight, on SQLite and on PostgreSQL.
//! 2. The full path: queue → runner → revolution component → RevolutionEHR sandbox over
//!    loopback HTTP, against the very same HTTP requests made directly with reqwest, at
//!    the same concurrency (`support/direct.rs`).
//! 3. Growth: 300, 3,000 and 30,000 no-op jobs queued at once on SQLite: time, µs per job,
//!    and the process's resident memory after each run (VmRSS).
//!
//! Prints a table row per figure with its goal (`support/table.rs`); needs
//! `bash tests/setup.sh` (the built component) and the PostgreSQL server binaries.
//!
//! Knobs (environment):
//! - `BENCH_JOBS`: jobs per queue-overhead run (default 3000);
//! - `BENCH_FULL_JOBS`: jobs per full-path run and direct writes compared (default 400);
//! - `BENCH_CONCURRENCY`: jobs (and direct writes) in flight (default 8);
//! - `BENCH_GROWTH`: the queue sizes of the growth runs, comma-separated (default
//!   `300,3000,30000`; empty skips them).

#[path = "support/cpu.rs"]
mod cpu;
#[path = "support/direct.rs"]
mod direct;
#[path = "support/table.rs"]
mod table;

use ehr_e2e::noop::Noop;
use ehr_e2e::postgres::PostgresServer;
use ehr_e2e::{bearer, fixture, revolution_config, TestHome};
use ehr_host::jobs::runner::{self, RunnerConfig};
use ehr_host::jobs::worker::{Adapters, WorkerConfig};
use ehr_host::jobs::{
    NewJob, PostgresQueue, Queue, RetryPolicy, Sealer, SqliteQueue, Status, StoreHealth,
    SystemClock,
};
use ehr_host::runtime::bindings::latest::{EncounterSnapshot, WriteResult};
use ehr_host::runtime::{CallError, JobControl, LoadedAdapter};
use ehr_sandbox::{Sandbox, SandboxConfig};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use table::{row, Goal};

/// The real adapter, writing to the sandbox.
struct Real(Arc<LoadedAdapter>);

impl Adapters for Real {
    async fn write(
        &self,
        _: &str,
        s: EncounterSnapshot,
        control: Arc<JobControl>,
    ) -> Option<(Arc<LoadedAdapter>, Result<WriteResult, CallError>)> {
        Some((self.0.clone(), self.0.write_job(s, control).await))
    }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn worker(sealer: &Arc<Sealer>, max_per_ehr: u32) -> WorkerConfig {
    WorkerConfig {
        host: "bench".into(),
        lease: Duration::from_secs(60),
        max_per_ehr,
        policy: RetryPolicy::default(),
        sealer: sealer.clone(),
        retention: Duration::ZERO,
        health: Arc::new(StoreHealth::new("the bench queue")),
        shutdown: Default::default(),
        audit: None,
    }
}

/// Queues `n` jobs of the sample snapshot, ids `{tag}-{i}`, 64 submits at a time (the
/// SQLite store commits those together: one disk flush each, not 64).
async fn fill<Q: Queue + 'static>(q: &Arc<Q>, n: usize, tag: &str, sealer: &Sealer) {
    let base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap())
            .unwrap();
    let mut wave = tokio::task::JoinSet::new();
    for i in 0..n {
        let mut s = base.clone();
        let id = format!("{tag}-{i:06}");
        s["job_id"] = id.clone().into();
        let payload = sealer.seal(&id, s.to_string().as_bytes()).unwrap();
        let q = q.clone();
        wave.spawn(async move { q.submit(NewJob::new(id, "revolution", payload)).await });
        if wave.len() == 64 {
            while let Some(r) = wave.join_next().await {
                r.unwrap().unwrap();
            }
        }
    }
    while let Some(r) = wave.join_next().await {
        r.unwrap().unwrap();
    }
}

/// Runs the queue dry with `concurrency` in flight; the time from start until the `n`th
/// job was recorded succeeded.
async fn drain<Q: Queue + 'static, A: Adapters + 'static>(
    q: Arc<Q>,
    adapters: Arc<A>,
    sealer: &Arc<Sealer>,
    concurrency: usize,
    n: usize,
) -> Duration {
    let cfg = worker(sealer, concurrency as u32);
    let shutdown = cfg.shutdown.clone();
    let done = Arc::new(tokio::sync::Notify::new());
    let count = Arc::new(AtomicUsize::new(0));
    let (d, c) = (done.clone(), count.clone());
    let t = Instant::now();
    let task = tokio::spawn(runner::run(
        q,
        adapters,
        cfg,
        RunnerConfig::new(concurrency, Duration::from_millis(20)),
        move |p| {
            if !matches!(p.status, Status::Succeeded | Status::SucceededWithWarnings) {
                // Said, not asserted: a panic here would stop the runner and hang the bench.
                eprintln!("job {} ended {}", p.id, p.status.words());
            }
            if c.fetch_add(1, Ordering::SeqCst) + 1 == n {
                d.notify_one();
            }
        },
    ));
    done.notified().await;
    let took = t.elapsed();
    shutdown.cancel();
    task.await.unwrap();
    took
}

/// The process's resident memory, in MB.
fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n = env("BENCH_JOBS", 3000);
    let full_n = env("BENCH_FULL_JOBS", 400);
    let concurrency = env("BENCH_CONCURRENCY", 8);
    let growth: Vec<usize> = std::env::var("BENCH_GROWTH")
        .unwrap_or_else(|_| "300,3000,30000".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let home = TestHome::new(&revolution_config(&url, &bearer(&url, "sandbox-token")));
    home.install("revolution").await;
    let adapter = Arc::new(home.host().load("revolution").unwrap());
    let sealer = Arc::new(Sealer::new(&[5; 32]));
    let noop = Arc::new(Noop::new(adapter.clone(), Duration::ZERO));
    let file = |name: &str| {
        Arc::new(SqliteQueue::open(&home.dir.path().join(name), Arc::new(SystemClock)).unwrap())
    };

    // 1. Queue overhead.
    let q = file("overhead.sqlite");
    fill(&q, n, "sq", &sealer).await;
    let (before, cpu_before, machine) = (q.commits(), cpu::own_cpu_time(), cpu::machine_ticks());
    let took = drain(q.clone(), noop.clone(), &sealer, concurrency, n).await;
    let cpu = cpu::own_cpu_time().saturating_sub(cpu_before);
    let busy = cpu::busy_share(machine, cpu::machine_ticks());
    let c = q.commits() - before;
    println!(
        "SQLite: {} commits for {n} jobs ({:.2} per job, {:.1} operations and {:.0} µs each, \
         the writer busy {:.0} % of the time); {:.0} µs of CPU per job; machine {:.0} % busy",
        c.commits,
        c.commits as f64 / n as f64,
        c.operations as f64 / c.commits.max(1) as f64,
        c.busy.as_secs_f64() * 1e6 / c.commits.max(1) as f64,
        c.busy.as_secs_f64() * 100.0 / took.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / n as f64,
        busy * 100.0,
    );
    row(
        &format!("jobs/s, no-op writer, {concurrency} in flight: SQLite"),
        n as f64 / took.as_secs_f64(),
        "jobs/s",
        Goal::AtLeast(5000.0),
    );
    let pg = PostgresServer::start();
    let conn = pg.fresh_database("bench_noop").await;
    let q = Arc::new(
        PostgresQueue::connect(&conn, Arc::new(SystemClock))
            .await
            .unwrap(),
    );
    fill(&q, n, "pg", &sealer).await;
    let (cpu_before, machine) = (cpu::own_cpu_time(), cpu::machine_ticks());
    let took = drain(q, noop.clone(), &sealer, concurrency, n).await;
    let cpu = cpu::own_cpu_time().saturating_sub(cpu_before);
    println!(
        "PostgreSQL: {:.0} µs of CPU per job in this process; machine {:.0} % busy",
        cpu.as_secs_f64() * 1e6 / n as f64,
        cpu::busy_share(machine, cpu::machine_ticks()) * 100.0,
    );
    row(
        "… PostgreSQL",
        n as f64 / took.as_secs_f64(),
        "jobs/s",
        Goal::AtLeast(2000.0),
    );

    // 2. The full path against the same requests made directly.
    let snapshot = ehr_host::snapshot::parse(
        &std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap(),
    )
    .unwrap();
    let mut first = snapshot.clone();
    first.job_id = "bench-host-0".into();
    adapter.write_encounter(first).await.unwrap();
    let replay = Arc::new(direct::replay_of(&sandbox, "bench-host-0"));
    let client = reqwest::Client::new();
    let real = Arc::new(Real(adapter.clone()));
    let (mut full_t, mut direct_t) = (Duration::ZERO, Duration::ZERO);
    // Two rounds each, alternating, so a noisy moment does not fall on one side only.
    for round in 0..2 {
        let q = file(&format!("full-{round}.sqlite"));
        fill(&q, full_n / 2, &format!("full{round}"), &sealer).await;
        full_t += drain(q, real.clone(), &sealer, concurrency, full_n / 2).await;
        let next = Arc::new(AtomicUsize::new(0));
        let t = Instant::now();
        let tasks: Vec<_> = (0..concurrency)
            .map(|_| {
                let (client, replay, url, next) =
                    (client.clone(), replay.clone(), url.clone(), next.clone());
                tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        if i >= full_n / 2 {
                            return;
                        }
                        let key = format!("bench-direct-{round}-{i}");
                        direct::send_directly(&client, &url, &replay, &key).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        direct_t += t.elapsed();
    }
    let count = (full_n / 2 * 2) as f64;
    let (full, direct) = (count / full_t.as_secs_f64(), count / direct_t.as_secs_f64());
    row(
        &format!("jobs/s, queue → adapter → sandbox, {concurrency} in flight"),
        full,
        "jobs/s",
        Goal::None,
    );
    row(
        "… the same HTTP requests made directly",
        direct,
        "writes/s",
        Goal::None,
    );
    row(
        "… full path ÷ direct (throughput)",
        full / direct,
        "×",
        Goal::AtLeast(0.80),
    );

    // 3. Growth.
    let mut first_us = None;
    for size in growth {
        let q = file(&format!("growth-{size}.sqlite"));
        fill(&q, size, &format!("g{size}"), &sealer).await;
        let took = drain(q, noop.clone(), &sealer, concurrency, size).await;
        let per_job = took.as_secs_f64() * 1e6 / size as f64;
        row(
            &format!("growth: {size} no-op jobs, time"),
            took.as_secs_f64(),
            "s",
            Goal::None,
        );
        row(
            &format!("… µs per job at {size}"),
            per_job,
            "µs",
            Goal::None,
        );
        let base = *first_us.get_or_insert(per_job);
        if base != per_job {
            row(
                &format!("… µs per job at {size} ÷ at the smallest size"),
                per_job / base,
                "×",
                Goal::AtMost(1.5),
            );
        }
        row(
            &format!("… resident memory after {size}"),
            rss_mb(),
            "MB",
            Goal::None,
        );
    }
}
