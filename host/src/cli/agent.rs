//! `run`: the agent.

use super::exit;
use super::registry::duration;
use crate::agent::slot::ProbationPolicy;
use crate::agent::{Agent, AgentOptions};
use crate::home::Home;
use crate::jobs::worker::{step, WorkerConfig};
use crate::jobs::{PostgresQueue, Queue, RetryPolicy, Sealer, SqliteQueue, SystemClock};
use anyhow::{Context, Result};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Arguments of `run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// How often to poll the registries for new versions.
    #[arg(long, default_value = "5m", value_parser = duration)]
    pub poll_interval: Duration,
    /// How often to look at the adapter store for installs and rollbacks made by hand.
    #[arg(long, default_value = "1s", value_parser = duration)]
    pub watch_interval: Duration,
    /// Calls of a freshly swapped-in version watched for adapter errors.
    #[arg(long, default_value_t = 20)]
    pub probation_calls: u32,
    /// Adapter errors among those calls that roll the new version back automatically.
    #[arg(long, default_value_t = 3)]
    pub probation_errors: u32,
    /// A shared PostgreSQL job queue (`host=... port=... user=... dbname=...`); without
    /// it, jobs are kept in the home's SQLite file.
    #[arg(long, env = "EHR_HOST_JOBS_DB")]
    pub jobs_db: Option<String>,
    /// This host's name in job claims (unique among hosts sharing a queue).
    #[arg(long, env = "EHR_HOST_ID")]
    pub host_id: Option<String>,
    /// How long a claimed job stays with this host without a heartbeat.
    #[arg(long, default_value = "60s", value_parser = duration)]
    pub lease: Duration,
    /// Jobs written at once per EHR, across all hosts sharing the queue.
    #[arg(long, default_value_t = 4)]
    pub max_per_ehr: u32,
    /// The key file that encrypts job snapshots (hosts sharing a queue share it).
    #[arg(long)]
    pub jobs_key: Option<std::path::PathBuf>,
    /// Where the local job API listens (loopback; port 0 picks a free one, written to
    /// `<home>/api.addr`). Requests need the token in `<home>/api.token`.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub api_addr: std::net::SocketAddr,
    /// How long a succeeded job keeps its encrypted snapshot (0s: removed at success;
    /// the report is always kept).
    #[arg(long, default_value = "0s", value_parser = duration)]
    pub retention: Duration,
    /// Attempts (the first included) before a retryable failure becomes `failed`.
    #[arg(long, default_value_t = 10)]
    pub max_attempts: u32,
    /// How often to look for due jobs when the queue is idle.
    #[arg(long, default_value = "1s", value_parser = duration)]
    pub jobs_interval: Duration,
}

pub async fn run(home: &Home, a: RunArgs) -> Result<i32> {
    let host = super::open(home)?;
    let options = AgentOptions {
        poll_interval: a.poll_interval,
        watch_interval: a.watch_interval,
        probation: ProbationPolicy {
            window: a.probation_calls.max(1),
            max_errors: a.probation_errors.max(1),
        },
        print: true,
    };
    println!(
        "agent starting (home {}, registry poll every {}, store watch every {})",
        home.root().display(),
        humantime::format_duration(a.poll_interval),
        humantime::format_duration(a.watch_interval)
    );
    let agent = Arc::new(Agent::start(host, options).await?);
    let worker = WorkerConfig {
        host: a.host_id.clone().unwrap_or_else(default_host_id),
        lease: a.lease,
        max_per_ehr: a.max_per_ehr.max(1),
        policy: RetryPolicy {
            max_attempts: a.max_attempts.max(1),
            ..RetryPolicy::default()
        },
        sealer: Arc::new(Sealer::load_or_create(
            a.jobs_key.as_deref().unwrap_or(&home.jobs_key()),
        )?),
        retention: a.retention,
    };
    let stop = Arc::new(Notify::new());
    let api = tokio::net::TcpListener::bind(a.api_addr)
        .await
        .with_context(|| format!("cannot listen for the job API on {}", a.api_addr))?;
    let api_addr = api.local_addr()?;
    let token = crate::jobs::api::load_or_create_token(&home.api_token())?;
    crate::fsutil::write_atomic(&home.api_addr(), format!("http://{api_addr}\n").as_bytes())?;
    let sealer = worker.sealer.clone();
    let jobs = match &a.jobs_db {
        Some(conn) => {
            let queue = PostgresQueue::connect(conn, Arc::new(SystemClock)).await?;
            let for_api = PostgresQueue::connect(conn, Arc::new(SystemClock)).await?;
            println!(
                "jobs: shared PostgreSQL queue, claiming as `{}`",
                worker.host
            );
            serve_api(
                api,
                crate::jobs::api::router(Arc::new(for_api), sealer, token),
            );
            tokio::spawn(job_loop(
                queue,
                agent.clone(),
                worker,
                a.jobs_interval,
                stop.clone(),
            ))
        }
        None => {
            let queue = SqliteQueue::open(&home.jobs(), Arc::new(SystemClock))?;
            let for_api = SqliteQueue::open(&home.jobs(), Arc::new(SystemClock))?;
            println!(
                "jobs: {} (submit with `ehr-host jobs submit`)",
                home.jobs().display()
            );
            serve_api(
                api,
                crate::jobs::api::router(Arc::new(for_api), sealer, token),
            );
            tokio::spawn(job_loop(
                queue,
                agent.clone(),
                worker,
                a.jobs_interval,
                stop.clone(),
            ))
        }
    };
    println!(
        "jobs API: http://{api_addr} (bearer token in {})",
        home.api_token().display()
    );
    wait_for_shutdown().await;
    println!("agent stopping");
    // The job in progress finishes and is recorded before the agent goes away.
    stop.notify_one();
    let _ = jobs.await;
    if let Ok(agent) = Arc::try_unwrap(agent) {
        agent.stop().await;
    }
    Ok(exit::OK)
}

/// Writes due jobs one after another; idles `interval` when none is due.
async fn job_loop<Q: Queue + 'static>(
    queue: Q,
    agent: Arc<Agent>,
    config: WorkerConfig,
    interval: Duration,
    stop: Arc<Notify>,
) {
    loop {
        match step(&queue, agent.as_ref(), &config, &SystemClock).await {
            Ok(Some(p)) => {
                println!("job {}: {}", p.id, p.status.as_str());
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::error!("job queue: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.notified() => return,
        }
    }
}

fn serve_api(listener: tokio::net::TcpListener, router: axum::Router) {
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!("the job API stopped: {e}");
        }
    });
}

fn default_host_id() -> String {
    let name = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "ehr-host".into());
    format!("{name}-{}", std::process::id())
}

async fn wait_for_shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
