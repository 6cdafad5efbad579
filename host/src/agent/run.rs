//! The agent as a process runs it (`ehr-host run`), as a library: the adapter slots and
//! hot reload ([`Agent`]), the job loop writing queued jobs through them, the local job
//! API, the link to the hub when the home is paired ([`crate::link`]: its jobs go into
//! the same queue), and an orderly stop. Generic over the queue (SQLite or PostgreSQL), so tests run
//! the whole agent in-process; the CLI only parses flags and waits for a signal.

use super::{Agent, AgentOptions};
use crate::host::Host;
use crate::jobs::api::{self, ApiConfig, KnownEhrs};
use crate::jobs::runner::{self, RunnerConfig};
use crate::jobs::worker::WorkerConfig;
use crate::jobs::{Queue, RetryPolicy, StoreHealth, StoreState};
use crate::link::{AgentLink, LinkOptions};
use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Longest wait between tries while the job store is unavailable.
const MAX_STORE_BACKOFF: Duration = Duration::from_secs(30);

/// How the agent runs its jobs and API.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Adapter slots, hot reload, probation.
    pub agent: AgentOptions,
    /// This host's name in job claims (unique among hosts sharing a queue).
    pub host_id: String,
    /// How long a claimed job stays with this host without a heartbeat.
    pub lease: Duration,
    /// Jobs written at once per EHR, across all hosts sharing the queue.
    pub max_per_ehr: u32,
    /// Jobs this agent writes at once (across its EHRs; each EHR also within
    /// `max_per_ehr`).
    pub concurrency: usize,
    /// Retry rules.
    pub policy: RetryPolicy,
    /// How long a succeeded job keeps its encrypted snapshot.
    pub retention: Duration,
    /// How often to look for due jobs when the queue is idle.
    pub jobs_interval: Duration,
    /// The key file that seals job snapshots.
    pub jobs_key: PathBuf,
    /// Where the local job API listens (port 0: any free port).
    pub api_addr: SocketAddr,
    /// When a claimed job without progress is flagged stuck.
    pub stuck_after: Duration,
    /// The link to the hub, when the home is paired.
    pub link: LinkOptions,
}

impl RunOptions {
    /// The defaults of `ehr-host run` for an agent in `home`.
    pub fn for_home(home: &crate::home::Home) -> RunOptions {
        RunOptions {
            agent: AgentOptions::default(),
            host_id: format!("agent-{}", std::process::id()),
            lease: Duration::from_secs(60),
            max_per_ehr: 4,
            concurrency: 8,
            policy: RetryPolicy::default(),
            retention: Duration::ZERO,
            jobs_interval: Duration::from_secs(1),
            jobs_key: home.jobs_key(),
            api_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stuck_after: crate::jobs::STUCK_AFTER,
            link: LinkOptions::default(),
        }
    }
}

/// A running agent.
pub struct RunningAgent<Q> {
    agent: Arc<Agent>,
    queue: Arc<Q>,
    health: Arc<StoreHealth>,
    api_addr: SocketAddr,
    shutdown: CancellationToken,
    jobs: JoinHandle<()>,
    api: JoinHandle<()>,
    link: AgentLink<Q>,
}

/// Starts the agent on `host` with `queue`: guards the job key, loads every adapter,
/// serves the job API, starts writing jobs, and links to the hub when paired.
pub async fn start<Q: Queue + 'static>(
    host: Host,
    queue: Q,
    options: RunOptions,
    store_name: &str,
) -> Result<RunningAgent<Q>> {
    let home = host.home.clone();
    let sealer = Arc::new(crate::jobs::key::open(&queue, &options.jobs_key).await?);
    let listener = tokio::net::TcpListener::bind(options.api_addr)
        .await
        .with_context(|| format!("cannot listen for the job API on {}", options.api_addr))?;
    let api_addr = listener.local_addr()?;
    let token = api::load_or_create_token(&home.api_token())?;
    crate::fsutil::write_atomic(&home.api_addr(), format!("http://{api_addr}\n").as_bytes())?;
    let agent = Arc::new(Agent::start(host, options.agent.clone()).await?);
    let queue = Arc::new(queue);
    let shutdown = CancellationToken::new();
    let health = Arc::new(
        StoreHealth::new(format!("the job store ({store_name})"))
            .with_status_file(home.root().join("store-status.json")),
    );
    let store = crate::store::AdapterStore::new(home.adapters());
    let known: KnownEhrs = Arc::new(move || {
        store
            .list()
            .map(|l| l.into_iter().map(|i| i.id).collect())
            .unwrap_or_default()
    });
    let router = api::router(ApiConfig {
        queue: queue.clone(),
        sealer: sealer.clone(),
        token: token.clone(),
        known,
        stuck_after: options.stuck_after,
    })
    .merge(crate::metrics::http::agent_router(
        crate::metrics::http::AgentMetrics {
            queue: queue.clone(),
            token,
            serving: serving_of(&agent),
        },
    ))
    .merge(super::page::router(home.clone(), queue.clone()));
    let stop_api = shutdown.clone();
    let api = tokio::spawn(async move {
        let serve = axum::serve(listener, router)
            .with_graceful_shutdown(async move { stop_api.cancelled().await });
        if let Err(e) = serve.await {
            tracing::error!("the job API stopped: {e}");
        }
    });
    let worker = WorkerConfig {
        host: options.host_id.clone(),
        lease: options.lease,
        max_per_ehr: options.max_per_ehr.max(1),
        policy: options.policy,
        sealer: sealer.clone(),
        retention: options.retention,
        health: health.clone(),
        shutdown: shutdown.clone(),
        audit: Some(Arc::new(crate::audit::AuditLog::new(
            home.root().join("audit"),
        ))),
    };
    let settled = Arc::new(tokio::sync::Notify::new());
    let link = crate::link::attach(
        crate::link::LinkParts {
            home: home.clone(),
            queue: queue.clone(),
            sealer: sealer.clone(),
            agent: agent.clone(),
            settled: settled.clone(),
            shutdown: shutdown.child_token(),
        },
        options.link.clone(),
    )?;
    let print = options.agent.print;
    let jobs = tokio::spawn(runner::run(
        queue.clone(),
        agent.clone(),
        worker,
        RunnerConfig {
            max_backoff: MAX_STORE_BACKOFF,
            ..RunnerConfig::new(options.concurrency, options.jobs_interval)
        },
        move |p| {
            if print {
                println!("job {}: {}", p.id, p.status.words());
            }
            // The link reports results at once.
            settled.notify_one();
        },
    ));
    tokio::spawn(give_back_loop(
        queue.clone(),
        agent.clone(),
        shutdown.clone(),
    ));
    Ok(RunningAgent {
        agent,
        queue,
        health,
        api_addr,
        shutdown,
        jobs,
        api,
        link,
    })
}

impl<Q: Queue + 'static> RunningAgent<Q> {
    /// The adapter slots and their events.
    pub fn agent(&self) -> &Agent {
        &self.agent
    }

    /// The queue the agent works from.
    pub fn queue(&self) -> &Q {
        &self.queue
    }

    /// Where the job API listens.
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// Whether the job store is reachable.
    pub fn store_state(&self) -> StoreState {
        self.health.state()
    }

    /// The state of the link to the hub, when paired.
    pub async fn link_state(&self) -> Option<crate::status::agent::LinkState> {
        self.link.state().await
    }

    /// Stops taking jobs, lets the jobs in hand finish and be recorded, stops the link, the
    /// API and the adapter loop.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.link.stop().await;
        let _ = self.jobs.await;
        let _ = self.api.await;
        if let Ok(agent) = Arc::try_unwrap(self.agent) {
            agent.stop().await;
        }
    }
}

/// How long after a rollback the failed jobs are looked for once more: calls that were in
/// flight on the rolled-back version when it was swapped out finish after it.
const GIVE_BACK_AGAIN: Duration = Duration::from_secs(30);

/// Returns to the queue, once each, the jobs that failed as adapter bugs on a version that
/// was then rolled back: at start for every rollback the store remembers, and at each new
/// rollback (twice, for the calls that were still in flight).
async fn give_back_loop<Q: Queue + 'static>(
    queue: Arc<Q>,
    agent: Arc<Agent>,
    shutdown: CancellationToken,
) {
    let mut rollbacks = agent.rollbacks();
    for r in agent.recorded_rollbacks() {
        give_back(queue.as_ref(), &agent, &r).await;
    }
    loop {
        let r = tokio::select! {
            r = rollbacks.recv() => match r {
                Ok(r) => r,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => return,
            },
            _ = shutdown.cancelled() => return,
        };
        give_back(queue.as_ref(), &agent, &r).await;
        let (queue, agent, shutdown) = (queue.clone(), agent.clone(), shutdown.clone());
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(GIVE_BACK_AGAIN) => give_back(queue.as_ref(), &agent, &r).await,
                _ = shutdown.cancelled() => {}
            }
        });
    }
}

async fn give_back<Q: Queue>(queue: &Q, agent: &Agent, r: &super::RolledBack) {
    match queue.give_back(&r.id, &r.from_hash).await {
        Ok(ids) if ids.is_empty() => {}
        Ok(ids) => agent.record(
            super::events::EventKind::JobsGivenBack,
            Some(&r.id),
            &format!(
                "{} job(s) that failed as adapter bugs on {} {} (rolled back) go back to the queue once: {}",
                ids.len(),
                r.id,
                r.from_version,
                ids.join(", ")
            ),
        ),
        Err(e) => tracing::warn!(adapter = %r.id, "cannot give back the jobs failed by {} {}: {e}", r.id, r.from_version),
    }
}

/// The adapters `agent` serves now, for `/metrics`.
fn serving_of(agent: &Arc<Agent>) -> crate::metrics::http::Serving {
    let agent = Arc::downgrade(agent);
    Arc::new(move || {
        agent
            .upgrade()
            .map(|a| {
                a.serving()
                    .into_iter()
                    .map(|(id, s)| (id, s.version))
                    .collect()
            })
            .unwrap_or_default()
    })
}
