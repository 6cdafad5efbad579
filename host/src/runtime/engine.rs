//! The process-wide engine, linker, epoch ticker and code cache.

use super::bindings;
use super::cache::CodeCache;
use super::limits::Limits;
use super::loaded::LoadedAdapter;
use super::pool::Allocator;
use super::state::CallState;
use crate::capabilities::credentials::Credentials;
use crate::capabilities::grants::Grants;
use crate::capabilities::sql::databases::Databases;
use crate::config::AdapterConfig;
use crate::package::{Manifest, PublicKey, VerifiedPackage};
use anyhow::{Context, Result};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

/// How often the epoch advances. A stuck adapter is noticed within one tick of its
/// deadline, and a busy one yields to other calls this often.
pub const TICK: Duration = Duration::from_millis(10);

/// Everything shared by all adapters of one host process.
pub struct Runtime {
    engine: Engine,
    linker: Arc<Linker<CallState>>,
    cache: CodeCache,
    limits: Limits,
    http_client: reqwest::Client,
    databases: Arc<Databases>,
    ticker: Arc<Ticker>,
    allocator: Allocator,
}

/// Keeps the epoch ticking while anything that can run wasm is alive: the runtime and
/// every adapter it loaded hold one, and the thread stops when the last is dropped.
pub(crate) struct Ticker {
    stop: Arc<AtomicBool>,
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Runtime {
    /// A runtime with compiled code cached under `cache_dir` and `limits` per call.
    pub fn new(cache_dir: &Path, limits: Limits) -> Result<Runtime> {
        let (engine, allocator) = build_engine()?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(anyhow::Error::from)
            .context("linking WASI into the host")?;
        // Every supported contract version's imports, side by side: an adapter links to
        // the ones of the version it was built for.
        bindings::v0_1_0::add_to_linker(&mut linker)
            .map_err(anyhow::Error::from)
            .context("linking the host capabilities (contract 0.1.0)")?;
        bindings::v0_2_0::add_to_linker(&mut linker)
            .map_err(anyhow::Error::from)
            .context("linking the host capabilities (contract 0.2.0)")?;
        let stop = Arc::new(AtomicBool::new(false));
        spawn_ticker(engine.clone(), stop.clone());
        let ticker = Arc::new(Ticker { stop });
        let http_client = reqwest::Client::builder()
            .user_agent(concat!("ehr-host/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            // The server's certificate, for the alert on EHR certificates expiring soon.
            .tls_info(true)
            .build()
            .context("building the HTTP client")?;
        Ok(Runtime {
            cache: CodeCache::new(cache_dir, &engine),
            engine,
            linker: Arc::new(linker),
            limits,
            http_client,
            databases: Arc::new(Databases::default()),
            ticker,
            allocator,
        })
    }

    /// Which instance allocator this runtime's engine uses.
    pub fn allocator(&self) -> Allocator {
        self.allocator
    }

    /// Uses `databases` (the operator's named connections and their pools) for every
    /// adapter loaded from now on.
    pub fn with_databases(mut self, databases: Databases) -> Runtime {
        self.databases = Arc::new(databases);
        self
    }

    /// True when compiled code for the package with this hash is cached.
    pub fn is_cached(&self, package_hash: &str) -> bool {
        self.cache.contains(package_hash)
    }

    /// Compiles (or loads from cache) and pre-instantiates a verified package, with the
    /// operator's `config` for it. Fails if the component does not export the contract
    /// its manifest names or imports something the host does not provide.
    pub fn load(&self, package: &VerifiedPackage, config: &AdapterConfig) -> Result<LoadedAdapter> {
        let m = &package.manifest;
        let component = self
            .cache
            .load(&self.engine, &package.hash, &package.component)
            .with_context(|| format!("adapter {} {}", m.id, m.version))?;
        let exported = contract_of(&self.engine, &component);
        if exported.as_ref() != Some(&m.contract) {
            anyhow::bail!(
                "adapter {} {} exports contract {}, although its manifest says {}",
                m.id,
                m.version,
                exported
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "none".into()),
                m.contract
            );
        }
        self.prepare(&component, Identity::of(package), config)
    }

    /// Compiles a component that is not packaged yet (for `ehr-host sign`) and returns
    /// it with the contract version it exports.
    pub fn compile_unpackaged(&self, wasm: &[u8]) -> Result<(Component, Option<semver::Version>)> {
        let hash = format!("unpackaged-{}", crate::package::format::sha256_hex(wasm));
        let component = self.cache.load(&self.engine, &hash, wasm)?;
        let contract = contract_of(&self.engine, &component);
        Ok((component, contract))
    }

    /// Pre-instantiates a compiled component that is `identity`, with the operator's
    /// `config` for it.
    pub fn prepare(
        &self,
        component: &Component,
        identity: Identity,
        config: &AdapterConfig,
    ) -> Result<LoadedAdapter> {
        let m = &identity.manifest;
        let pre = self
            .linker
            .instantiate_pre(component)
            .map_err(anyhow::Error::from)
            .with_context(|| {
                format!(
                    "adapter {} {} needs imports this host does not provide",
                    m.id, m.version
                )
            })?;
        let pre = bindings::AdapterPre::new(pre, &m.contract).with_context(|| {
            format!(
                "adapter {} {} does not match contract {}",
                m.id, m.version, m.contract
            )
        })?;
        let grants = Arc::new(Grants::new(m, config));
        Ok(LoadedAdapter::new(
            pre,
            identity,
            grants,
            Arc::new(Credentials::from_config(config)),
            super::loaded::Outbound {
                http_client: self.http_client.clone(),
                databases: self.databases.clone(),
            },
            self.limits,
            self.ticker.clone(),
        ))
    }
}

/// Who a compiled component is: what [`Runtime::prepare`] needs besides its code.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Its manifest (for a component not yet packaged: what the host knows of it).
    pub manifest: Manifest,
    /// SHA-256 of its package file (empty when not packaged).
    pub hash: String,
    /// The publisher key that signed it (`None` when not packaged).
    pub publisher: Option<PublicKey>,
}

impl Identity {
    /// The identity of a verified package.
    pub fn of(package: &VerifiedPackage) -> Identity {
        Identity {
            manifest: package.manifest.clone(),
            hash: package.hash.clone(),
            publisher: Some(package.publisher),
        }
    }
}

/// The `ehr:adapter` contract version a component exports, if any.
pub fn contract_of(engine: &Engine, component: &Component) -> Option<semver::Version> {
    let prefix = format!("{}/adapter@", crate::contract::PACKAGE);
    component
        .component_type()
        .exports(engine)
        .find_map(|(name, _)| name.strip_prefix(&prefix).and_then(|v| v.parse().ok()))
}

fn build_engine() -> Result<(Engine, Allocator)> {
    let mut config = Config::new();
    // Epoch interruption is the cheapest way to stop a guest that never yields: a load
    // and a compare at function entries and loop heads, and a callback only once per tick.
    config.wasm_component_model(true).epoch_interruption(true);
    if std::env::var("EHR_HOST_POOLING").as_deref() != Ok("0") {
        let mut pool = config.clone();
        pool.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(
            super::pool::pooling_config(),
        ));
        match Engine::new(&pool) {
            Ok(engine) => return Ok((engine, Allocator::Pooling)),
            // Some machines limit virtual memory too tightly for the pool's reservations.
            Err(e) => super::pool::warn_fallback_once(&e),
        }
    }
    let engine = Engine::new(&config)
        .map_err(anyhow::Error::from)
        .context("creating the WebAssembly engine")?;
    Ok((engine, Allocator::OnDemand))
}

fn spawn_ticker(engine: Engine, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("ehr-host-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                engine.increment_epoch();
            }
        })
        .expect("spawning the epoch ticker thread");
}
