//! `hub serve`.

use super::super::exit;
use crate::home::Home;
use crate::hub::ratelimit::Rate;
use crate::hub::store::{HubStore, PostgresHubStore, SqliteHubStore};
use crate::hub::{HubOptions, RunningHub};
use crate::jobs::{PostgresQueue, Queue, SqliteQueue, SystemClock};
use anyhow::{bail, Result};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `hub serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Where to listen (HTTPS).
    #[arg(long, default_value = "0.0.0.0:8443")]
    pub addr: SocketAddr,
    /// The operator's certificate chain (PEM); without it, a self-signed certificate is
    /// made in the hub's home and its fingerprint printed for agents to pin.
    #[arg(long, requires = "key")]
    pub cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// Host names or addresses agents use, for the self-signed certificate.
    #[arg(long = "name", default_values = ["localhost", "127.0.0.1"])]
    pub names: Vec<String>,
    /// The key file that seals snapshots at rest (instances sharing a database share it).
    #[arg(long)]
    pub jobs_key: Option<PathBuf>,
    /// EHRs whose jobs go to the practices' agents (the others are written here, by the
    /// adapters installed in the hub's home).
    #[arg(long, value_delimiter = ',', default_value = "crystalpm,officemate")]
    pub local_ehrs: Vec<String>,
    /// Cloud-EHR jobs this instance writes at once (each EHR also at most 4 at once per
    /// practice, across instances). `--workers` is the older name.
    #[arg(long, alias = "workers", default_value_t = 8)]
    pub concurrency: usize,
    /// This instance's name in its workers' claims (unique among instances sharing a database).
    #[arg(long, env = "EHR_HUB_INSTANCE")]
    pub instance: Option<String>,
    /// Intake API requests per minute per practice (a practice's own setting wins).
    #[arg(long, default_value_t = 600)]
    pub practice_rate: u32,
    /// Link requests per minute per agent.
    #[arg(long, default_value_t = 600)]
    pub agent_rate: u32,
    /// How long a cloud job stays with this instance's worker without renewal (another
    /// instance takes it over after that if this one died).
    #[arg(long, default_value = "60s", value_parser = super::super::registry::duration)]
    pub worker_lease: Duration,
    /// Jobs of one EHR a practice's agents hold at once.
    #[arg(long, default_value_t = 16)]
    pub in_flight: u32,
    /// Set the lowest agent version handed jobs (saved in the store, for every instance).
    #[arg(long)]
    pub min_agent_version: Option<semver::Version>,
    /// Set the heartbeat interval agents use (saved).
    #[arg(long, value_parser = super::super::registry::duration)]
    pub heartbeat: Option<Duration>,
    /// Set how long a job poll is held, at most 50s (saved).
    #[arg(long, value_parser = super::super::registry::duration)]
    pub poll: Option<Duration>,
    /// Set how long a job handed to an agent is its own without renewal (saved).
    #[arg(long, value_parser = super::super::registry::duration)]
    pub lease: Option<Duration>,
    /// Set how long pairings last, or `never` (saved).
    #[arg(long, value_parser = super::lifetime)]
    pub pairing_lifetime: Option<super::Lifetime>,
}

/// Runs the hub until SIGINT or SIGTERM.
pub async fn serve(home: &Home, db: Option<&str>, a: ServeArgs) -> Result<i32> {
    let root = home.root().to_path_buf();
    std::fs::create_dir_all(&root)?;
    let mut options = HubOptions::new(root.clone(), a.addr);
    options.cert = a.cert.clone().zip(a.key.clone());
    options.names = a.names.clone();
    options.jobs_key = a.jobs_key.clone().unwrap_or_else(|| root.join("jobs.key"));
    options.local_ehrs = a.local_ehrs.clone();
    options.concurrency = a.concurrency.max(1);
    options.lease = a.worker_lease;
    if let Some(i) = &a.instance {
        options.instance = i.clone();
    }
    options.limits.practice = Rate {
        per_minute: a.practice_rate,
        burst: (a.practice_rate / 6).max(1),
    };
    options.limits.agent = Rate {
        per_minute: a.agent_rate,
        burst: (a.agent_rate / 5).max(1),
    };
    options.limits.in_flight = a.in_flight.max(1);
    match db {
        Some(conn) => {
            let store = PostgresHubStore::connect(conn).await?;
            let queue = PostgresQueue::connect(conn, Arc::new(SystemClock)).await?;
            let mut options = options;
            options.postgres = Some(conn.to_string());
            run(queue, store, options, &a, "PostgreSQL").await
        }
        None => {
            let store = SqliteHubStore::open(&root.join("hub.sqlite"))?;
            let queue = SqliteQueue::open(&root.join("jobs.sqlite"), Arc::new(SystemClock))?;
            run(queue, store, options, &a, &root.display().to_string()).await
        }
    }
}

async fn run<Q: Queue + 'static, S: HubStore>(
    queue: Q,
    store: S,
    options: HubOptions,
    a: &ServeArgs,
    where_: &str,
) -> Result<i32> {
    apply_settings(&store, a).await?;
    let home = options.home.clone();
    let hub = crate::hub::start(queue, store, options).await?;
    announce(&hub, where_).await?;
    println!("admin API token in {}", home.join("admin.token").display());
    super::super::agent::wait_for_shutdown().await;
    println!("hub stopping");
    hub.stop().await;
    Ok(exit::OK)
}

async fn apply_settings<S: HubStore>(store: &S, a: &ServeArgs) -> Result<()> {
    let mut s = store.settings().await?;
    let secs = |d: Duration| u32::try_from(d.as_secs()).unwrap_or(u32::MAX);
    if let Some(v) = &a.min_agent_version {
        s.min_agent_version = v.clone();
    }
    if let Some(d) = a.heartbeat {
        s.intervals.heartbeat_seconds = secs(d);
    }
    if let Some(d) = a.poll {
        s.intervals.poll_seconds = secs(d);
    }
    if let Some(d) = a.lease {
        s.intervals.lease_seconds = secs(d);
    }
    if let Some(l) = a.pairing_lifetime {
        s.pairing_seconds = l.seconds();
    }
    if let Err(e) = crate::hub::settings::check(&s) {
        bail!("{e}");
    }
    store.save_settings(&s).await?;
    Ok(())
}

async fn announce<Q: Queue + 'static, S: HubStore>(
    hub: &RunningHub<Q, S>,
    where_: &str,
) -> Result<()> {
    let s = hub.hub().settings().await?;
    println!("hub listening on {} (store: {where_})", hub.url());
    println!("certificate fingerprint: {} (agents pin it: `ehr-host pair CODE --hub URL --fingerprint {}`)", hub.fingerprint(), hub.fingerprint());
    let routing = &hub.hub().routing;
    println!(
        "cloud EHRs written here: {}; local EHRs handed to practices' agents: {}",
        if routing.cloud.is_empty() {
            "none installed".to_string()
        } else {
            routing.cloud.join(", ")
        },
        routing.local.join(", ")
    );
    println!(
        "agents: heartbeat every {}s, polls held {}s, leases {}s, minimum version {}",
        s.intervals.heartbeat_seconds,
        s.intervals.poll_seconds,
        s.intervals.lease_seconds,
        s.min_agent_version
    );
    Ok(())
}
