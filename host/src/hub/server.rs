//! A running hub: HTTPS on its address serving the link, intake and admin APIs; a
//! maintenance loop returning jobs whose lease lapsed (their agent died or lost the
//! link) to the queue and pruning old nonces and sessions; and the workers writing
//! cloud-EHR jobs. Generic over its stores, so tests run a hub in-process; the CLI
//! (`hub serve`) only parses flags and waits for a signal.

use super::state::{Hub, HubParts, Limits, Routing};
use super::store::HubStore;
use super::tls::{HubCertificate, TlsListener};
use crate::agent::{Agent, AgentOptions};
use crate::jobs::worker::WorkerConfig;
use crate::jobs::{Queue, RetryPolicy, StoreHealth, SystemClock};
use crate::link::pin::Fingerprint;
use crate::link::protocol::MAX_CLOCK_SKEW_MS;
use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How a hub runs.
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// The hub's home: certificate, admin token, job key, SQLite files, cloud adapters
    /// and their configuration.
    pub home: PathBuf,
    /// Where to listen.
    pub addr: SocketAddr,
    /// The operator's certificate and key (PEM); None: a self-signed one in the home.
    pub cert: Option<(PathBuf, PathBuf)>,
    /// Names (DNS or IP) for the self-signed certificate.
    pub names: Vec<String>,
    /// The key file that seals snapshots (instances sharing a database share it).
    pub jobs_key: PathBuf,
    /// EHRs written by agents.
    pub local_ehrs: Vec<String>,
    /// Limits.
    pub limits: Limits,
    /// This instance's name in the claims of its workers.
    pub instance: String,
    /// Cloud-EHR jobs this instance writes at once (each EHR also within its per-EHR
    /// limit of 4 per practice).
    pub concurrency: usize,
    /// Retry rules for cloud jobs.
    pub policy: RetryPolicy,
    /// A cloud job's lease.
    pub lease: Duration,
    /// When a claimed job without progress is flagged stuck.
    pub stuck_after: Duration,
    /// The PostgreSQL connection string when the hub's stores are there (alerts are kept
    /// beside them); None: the SQLite file in the home.
    pub postgres: Option<String>,
}

impl HubOptions {
    /// The defaults for a hub in `home` listening on `addr`.
    pub fn new(home: PathBuf, addr: SocketAddr) -> HubOptions {
        HubOptions {
            jobs_key: home.join("jobs.key"),
            home,
            addr,
            cert: None,
            names: vec!["localhost".into(), "127.0.0.1".into()],
            local_ehrs: vec!["crystalpm".into(), "officemate".into()],
            limits: Limits::default(),
            instance: format!("hub-{}", std::process::id()),
            concurrency: 8,
            policy: RetryPolicy::default(),
            lease: Duration::from_secs(60),
            stuck_after: crate::jobs::STUCK_AFTER,
            postgres: None,
        }
    }
}

/// A running hub.
pub struct RunningHub<Q, S> {
    hub: Arc<Hub<Q, S>>,
    addr: SocketAddr,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    cloud: Option<Arc<Agent>>,
}

/// The file holding a running hub's URL in its home.
pub fn addr_file(home: &std::path::Path) -> PathBuf {
    home.join("hub.url")
}

/// Starts a hub on `queue` and `store`.
pub async fn start<Q: Queue + 'static, S: HubStore>(
    queue: Q,
    store: S,
    options: HubOptions,
) -> Result<RunningHub<Q, S>> {
    std::fs::create_dir_all(&options.home)
        .with_context(|| format!("cannot create the hub home {}", options.home.display()))?;
    let cert = match &options.cert {
        Some((c, k)) => HubCertificate::load(c, k)?,
        None => HubCertificate::self_signed(&options.home, &options.names)?,
    };
    let sealer = Arc::new(crate::jobs::key::open(&queue, &options.jobs_key).await?);
    let admin_token = crate::jobs::api::load_or_create_token(&options.home.join("admin.token"))?;
    // The defaults are saved once, so every instance and `hub settings` see the same.
    if store
        .settings()
        .await
        .is_ok_and(|s| s == super::store::HubSettings::default())
    {
        store
            .save_settings(&super::store::HubSettings::default())
            .await?;
    }
    let host = crate::host::Host::open(crate::home::Home::new(options.home.clone()))?;
    let cloud_ehrs: Vec<String> = host
        .store
        .list()?
        .into_iter()
        .map(|i| i.id)
        .filter(|id| !options.local_ehrs.contains(id))
        .collect();
    let cloud = if cloud_ehrs.is_empty() {
        None
    } else {
        Some(Arc::new(Agent::start(host, AgentOptions::default()).await?))
    };
    let queue = Arc::new(queue);
    let hub = Arc::new(Hub::new(HubParts {
        queue: queue.clone(),
        store: Arc::new(store),
        sealer: sealer.clone(),
        clock: Arc::new(SystemClock),
        routing: Routing {
            local: options.local_ehrs.clone(),
            cloud: cloud_ehrs.clone(),
        },
        limits: options.limits,
        admin_token,
        fingerprint: cert.fingerprint,
        stuck_after: options.stuck_after,
        audit: crate::audit::AuditLog::new(options.home.join("audit")),
    }));
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .with_context(|| format!("cannot listen on {}", options.addr))?;
    let addr = listener.local_addr()?;
    let tls = TlsListener::new(listener, cert.server_config()?)?;
    let shutdown = CancellationToken::new();
    let alerts =
        Arc::new(crate::alerts::AnyAlerts::open(&options.home, options.postgres.as_deref()).await?);
    let app = super::link_api::router(hub.clone())
        .merge(super::intake::router(hub.clone()))
        .merge(super::admin::router(hub.clone()))
        .merge(crate::metrics::http::hub_router(hub.clone()))
        .merge(crate::alerts::api::router(hub.clone(), alerts.clone()))
        .merge(super::console::router(hub.clone()))
        .merge(super::console::alerts::router(hub.clone(), alerts.clone()))
        .route("/health", axum::routing::get(|| async { "ok" }));
    let stop = shutdown.clone();
    let mut tasks = vec![tokio::spawn(async move {
        let serve = axum::serve(
            tls,
            app.into_make_service_with_connect_info::<super::tls::Peer>(),
        )
        .with_graceful_shutdown(async move { stop.cancelled().await });
        if let Err(e) = serve.await {
            tracing::error!("the hub's server stopped: {e}");
        }
    })];
    tasks.push(tokio::spawn(maintenance(hub.clone(), shutdown.clone())));
    tasks.push(tokio::spawn(crate::alerts::task::run(
        hub.clone(),
        alerts,
        shutdown.clone(),
    )));
    if let Some(agent) = &cloud {
        let adapters = Arc::new(super::practice_ehrs::PracticeEhrs::new(
            agent.clone(),
            options.home.clone(),
        ));
        tasks.push(tokio::spawn(super::schedule_cloud::run(
            hub.clone(),
            adapters.clone(),
            cloud_ehrs.clone(),
            options.home.join("schedule"),
            shutdown.clone(),
        )));
        let health = Arc::new(StoreHealth::new("the hub's job queue"));
        let config = WorkerConfig {
            host: format!("{}-workers", options.instance),
            lease: options.lease,
            max_per_ehr: 4,
            policy: options.policy,
            sealer: sealer.clone(),
            retention: Duration::ZERO,
            health,
            shutdown: shutdown.clone(),
            audit: Some(Arc::new(hub.audit.clone())),
        };
        tasks.push(tokio::spawn(super::workers::run(
            queue.clone(),
            adapters.clone(),
            config,
            cloud_ehrs.clone(),
            options.concurrency,
        )));
    }
    let url = format!("https://{addr}\n");
    crate::fsutil::write_atomic(&addr_file(&options.home), url.as_bytes())?;
    Ok(RunningHub {
        hub,
        addr,
        shutdown,
        tasks,
        cloud,
    })
}

/// Returns lapsed leases to the queue (waking held polls) every second; prunes nonces
/// and sessions every minute.
async fn maintenance<Q: Queue, S: HubStore>(hub: Arc<Hub<Q, S>>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut n: u64 = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.cancelled() => return,
        }
        match hub.queue.reclaim_expired().await {
            Ok(lapsed) if !lapsed.is_empty() => {
                for (id, status) in &lapsed {
                    tracing::warn!(job = %id, "lease lapsed (its agent or worker stopped answering): the job is {} again", status.words());
                }
                hub.wake.all();
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("returning lapsed jobs: {e}"),
        }
        n += 1;
        if n.is_multiple_of(60) {
            if let Err(e) = hub
                .store
                .prune(hub.now().saturating_sub(MAX_CLOCK_SKEW_MS))
                .await
            {
                tracing::warn!("pruning sessions: {e}");
            }
        }
    }
}

impl<Q: Queue + 'static, S: HubStore> RunningHub<Q, S> {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The fingerprint of its certificate.
    pub fn fingerprint(&self) -> Fingerprint {
        self.hub.fingerprint
    }

    /// The shared state (queue, store).
    pub fn hub(&self) -> &Arc<Hub<Q, S>> {
        &self.hub
    }

    /// Stops serving, lets workers record the jobs in hand, stops the cloud adapters.
    pub async fn stop(self) {
        self.shutdown.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
        if let Some(agent) = self.cloud.and_then(|a| Arc::try_unwrap(a).ok()) {
            agent.stop().await;
        }
    }
}
