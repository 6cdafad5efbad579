//! The host as the CLI and the agent use it: one home directory, its configuration,
//! trust store, installed adapters and runtime, and the operations that combine them.

use crate::capabilities::sql::databases::Databases;
use crate::config::Config;
use crate::home::Home;
use crate::package::manifest::Requested;
use crate::package::{verify, Manifest, PublicKey, SecretKey, TrustStore, VerifiedPackage};
use crate::runtime::bindings::latest::AdapterInfo;
use crate::runtime::engine::Identity;
use crate::runtime::limits::Limits;
use crate::runtime::{LoadedAdapter, Runtime};
use crate::store::{AdapterStore, InstallOutcome, InstallRequest, Seen};
use anyhow::{bail, Context, Result};

/// An open host home.
pub struct Host {
    /// Where everything lives.
    pub home: Home,
    /// The operator's configuration.
    pub config: Config,
    /// Installed adapters.
    pub store: AdapterStore,
    runtime: Runtime,
}

/// The operator's choices for one install.
#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// The publisher key the id belongs to now: moves the id to the package's publisher.
    pub transfer_from: Option<PublicKey>,
    /// Install a version that was rolled back from, on probation again.
    pub retry_rolled_back: bool,
    /// Who installs, in words (default: `ehr-host install`).
    pub by: Option<String>,
}

impl Host {
    /// Opens (and creates, if needed) the home at `home`.
    pub fn open(home: Home) -> Result<Host> {
        std::fs::create_dir_all(home.root())
            .with_context(|| format!("cannot create the host home {}", home.root().display()))?;
        let config = Config::load(&home.config())?;
        let runtime = Runtime::new(&home.cache(), Limits::from_config(&config.limits))?
            .with_databases(Databases::from_config(&config.databases));
        Ok(Host {
            store: AdapterStore::new(home.adapters()),
            home,
            config,
            runtime,
        })
    }

    /// The runtime.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The trust store.
    pub fn trust(&self) -> Result<TrustStore> {
        TrustStore::load(&self.home.trust())
    }

    /// Verifies package bytes against the trust store (nothing compiled).
    pub fn verify(&self, bytes: &[u8]) -> Result<VerifiedPackage> {
        Ok(verify(bytes, &self.trust()?)?)
    }

    /// Installs package bytes with no special choices (see [`Host::install_with`]).
    pub async fn install(&self, bytes: &[u8]) -> Result<(VerifiedPackage, InstallOutcome)> {
        self.install_with(bytes, &InstallOptions::default()).await
    }

    /// Installs package bytes: verify, compile, pre-instantiate, self-check `describe`
    /// against the manifest, then store atomically under the adapter's lock. Any failure
    /// installs nothing; another operation that changed the adapter while this one
    /// compiled makes this one lose (see [`crate::store::StoreBusy`]).
    pub async fn install_with(
        &self,
        bytes: &[u8],
        options: &InstallOptions,
    ) -> Result<(VerifiedPackage, InstallOutcome)> {
        let package = self.verify(bytes)?;
        let m = &package.manifest;
        let seen = match self.store.entry(&m.id) {
            Ok(Some(e)) => Seen::Generation(e.state.generation),
            Ok(None) => Seen::Absent,
            // An inconsistent entry is repaired under the lock; whatever it becomes is fine.
            Err(_) => Seen::Unchecked,
        };
        let loaded = self.runtime.load(&package, &self.config.adapter(&m.id))?;
        describe_matches(&loaded).await.map_err(|e| {
            anyhow::anyhow!("{e:#}; the package is inconsistent, ask the publisher for a new one")
        })?;
        let trust = self.trust()?;
        let request = InstallRequest {
            by: options
                .by
                .clone()
                .unwrap_or_else(|| format!("ehr-host install of {} {}", m.id, m.version)),
            seen,
            transfer_from: options.transfer_from.map(|k| k.to_hex()),
            retry_rolled_back: options.retry_rolled_back,
            key_names: trust
                .keys
                .iter()
                .map(|k| (k.key.clone(), k.name.clone()))
                .collect(),
        };
        let outcome = self.store.install_with(&package, &request)?;
        Ok((package, outcome))
    }

    /// Loads the current version of `id`, verifying its package again (so revoking a
    /// key stops installed adapters too).
    pub fn load(&self, id: &str) -> Result<LoadedAdapter> {
        let bytes = self.store.current_package(id)?;
        self.load_bytes(id, &bytes)
    }

    /// Loads `id` at `version` from the store (the previous or a waiting version),
    /// verifying its package again.
    pub fn load_version(&self, id: &str, version: &semver::Version) -> Result<LoadedAdapter> {
        let bytes = self.store.package(id, version)?;
        self.load_bytes(id, &bytes)
    }

    fn load_bytes(&self, id: &str, bytes: &[u8]) -> Result<LoadedAdapter> {
        let package = self
            .verify(bytes)
            .with_context(|| format!("installed adapter `{id}` no longer verifies"))?;
        self.runtime.load(&package, &self.config.adapter(id))
    }

    /// Runs `describe` on a component that need not be packaged, trusted or installed.
    pub async fn describe_component(&self, wasm: &[u8]) -> Result<AdapterInfo> {
        Ok(self.describe_unpackaged(wasm).await?.0)
    }

    /// Signs a component: its manifest is taken from its own `describe` and the
    /// contract it exports, so the two cannot disagree.
    pub async fn sign_component(
        &self,
        wasm: Vec<u8>,
        key: &SecretKey,
    ) -> Result<(Manifest, Vec<u8>)> {
        let (info, contract) = self.describe_unpackaged(&wasm).await?;
        let manifest = Manifest {
            id: info.id,
            version: info.version.parse().with_context(|| {
                format!(
                    "`describe` reports version `{}`, which is not semver",
                    crate::untrusted::clean(&info.version, crate::untrusted::LABEL)
                )
            })?,
            ehr: info.ehr,
            contract,
            description: info.description,
            capabilities: Requested {
                http: info.http_origins,
                databases: info.databases,
            },
        };
        manifest.check().map_err(anyhow::Error::msg)?;
        let bytes = crate::package::verify::build_signed(&manifest, wasm, key);
        Ok((manifest, bytes))
    }

    /// Compiles an unpackaged component, checks it exports the contract, and calls its
    /// `describe` with nothing granted.
    async fn describe_unpackaged(&self, wasm: &[u8]) -> Result<(AdapterInfo, semver::Version)> {
        let (component, contract) = self.runtime.compile_unpackaged(wasm)?;
        let Some(contract) = contract else {
            bail!(
                "this component does not export `{}/adapter`: it is not an ehr-host adapter",
                crate::contract::PACKAGE
            );
        };
        // Not packaged: no publisher and no package hash; only its contract is known.
        let identity = Identity {
            manifest: Manifest {
                id: "unpackaged".into(),
                version: semver::Version::new(0, 0, 0),
                ehr: String::new(),
                contract: contract.clone(),
                description: String::new(),
                capabilities: Requested::default(),
            },
            hash: String::new(),
            publisher: None,
        };
        let loaded = self
            .runtime
            .prepare(&component, identity, &Default::default())?;
        let info = loaded.describe().await.context("`describe` failed")?;
        Ok((info, contract))
    }
}

/// The self-check shared by install and the agent: the component answers `describe` and
/// says it is the adapter and version its signed manifest names.
pub async fn describe_matches(adapter: &LoadedAdapter) -> Result<()> {
    let m = &adapter.manifest;
    let info = adapter
        .describe()
        .await
        .with_context(|| format!("self-check of {} {}: `describe` failed", m.id, m.version))?;
    if info.id != m.id || info.version != m.version.to_string() {
        let label = |t: &str| crate::untrusted::clean(t, crate::untrusted::LABEL);
        bail!(
            "self-check of {} {}: the component describes itself as {} {}",
            m.id,
            m.version,
            label(&info.id),
            label(&info.version)
        );
    }
    Ok(())
}
