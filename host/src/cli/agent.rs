//! `run`: the agent.

use super::exit;
use super::registry::duration;
use crate::agent::run::{self, RunOptions};
use crate::agent::slot::ProbationPolicy;
use crate::agent::AgentOptions;
use crate::home::Home;
use crate::jobs::{PostgresQueue, Queue, RetryPolicy, SqliteQueue, SystemClock};
use anyhow::Result;
use std::sync::Arc;
use std::time::Duration;

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
    /// Jobs this agent writes at once, across its EHRs (each EHR also within
    /// `--max-per-ehr`; an EHR that answers "too many requests" is left alone for the
    /// time it asks).
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
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
    /// A claimed job without progress for this long is flagged stuck (contact support).
    #[arg(long, default_value = "5m", value_parser = duration)]
    pub stuck_after: Duration,
    /// The hub to ask a pairing code for on first start, when this agent is not paired
    /// and a person is at the terminal (`ehr-host pair` pairs without starting).
    #[arg(long, env = "EHR_HOST_HUB")]
    pub hub: Option<String>,
    /// The hub certificate's fingerprint for that first pairing (self-signed hubs).
    #[arg(long, value_parser = |s: &str| s.parse::<crate::link::pin::Fingerprint>())]
    pub fingerprint: Option<crate::link::pin::Fingerprint>,
    /// How often each adapter's `check` runs for the hub's heartbeat (paired agents).
    #[arg(long, default_value = "60s", value_parser = duration)]
    pub ehr_check_interval: Duration,
}

pub async fn run(home: &Home, a: RunArgs) -> Result<i32> {
    let host = super::open(home)?;
    let options = RunOptions {
        agent: AgentOptions {
            poll_interval: a.poll_interval,
            watch_interval: a.watch_interval,
            probation: ProbationPolicy {
                window: a.probation_calls.max(1),
                max_errors: a.probation_errors.max(1),
            },
            print: true,
        },
        host_id: a.host_id.clone().unwrap_or_else(default_host_id),
        lease: a.lease,
        max_per_ehr: a.max_per_ehr,
        concurrency: a.concurrency.max(1),
        policy: RetryPolicy {
            max_attempts: a.max_attempts.max(1),
            ..RetryPolicy::default()
        },
        retention: a.retention,
        jobs_interval: a.jobs_interval,
        jobs_key: a.jobs_key.clone().unwrap_or_else(|| home.jobs_key()),
        api_addr: a.api_addr,
        stuck_after: a.stuck_after,
        link: crate::link::LinkOptions {
            check_every: a.ehr_check_interval,
            ..Default::default()
        },
    };
    super::pair::first_start(home, a.hub.as_deref(), a.fingerprint).await?;
    println!(
        "agent starting (home {}, registry poll every {}, store watch every {})",
        home.root().display(),
        humantime::format_duration(a.poll_interval),
        humantime::format_duration(a.watch_interval)
    );
    match &a.jobs_db {
        Some(conn) => {
            let queue = PostgresQueue::connect(conn, Arc::new(SystemClock)).await?;
            println!(
                "jobs: shared PostgreSQL queue, claiming as `{}`",
                options.host_id
            );
            serve(run::start(host, queue, options, "PostgreSQL").await?, home).await
        }
        None => {
            let queue = SqliteQueue::open(&home.jobs(), Arc::new(SystemClock))?;
            println!(
                "jobs: {} (submit with `ehr-host jobs submit`)",
                home.jobs().display()
            );
            let name = home.jobs().display().to_string();
            serve(run::start(host, queue, options, &name).await?, home).await
        }
    }
}

/// Runs until asked to stop ([`crate::platform::stop`]), then stops in order: the job in hand finishes and is
/// recorded before the agent goes away.
async fn serve<Q: Queue + 'static>(running: run::RunningAgent<Q>, home: &Home) -> Result<i32> {
    println!(
        "jobs API: http://{} (bearer token in {})",
        running.api_addr(),
        home.api_token().display()
    );
    wait_for_shutdown().await;
    println!("agent stopping");
    running.stop().await;
    Ok(exit::OK)
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

/// Waits for the request to stop: SIGINT or SIGTERM on Unix; Ctrl+C, Ctrl+Break, the
/// console closing, shutdown or the service manager's stop on Windows (also used by
/// `hub serve`).
pub(super) async fn wait_for_shutdown() {
    crate::platform::stop::requested().await;
}
