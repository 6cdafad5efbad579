//! The host as the CLI and the agent use it: one home directory, its configuration,
//! trust store, installed adapters and runtime, and the operations that combine them.

use crate::capabilities::sql::databases::Databases;
use crate::config::Config;
use crate::home::Home;
use crate::package::manifest::Requested;
use crate::package::{verify, Manifest, SecretKey, TrustStore, VerifiedPackage};
use crate::runtime::bindings::latest::AdapterInfo;
use crate::runtime::limits::Limits;
use crate::runtime::{LoadedAdapter, Runtime};
use crate::store::{AdapterStore, InstallOutcome};
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

    /// Installs package bytes: verify, compile, pre-instantiate, self-check `describe`
    /// against the manifest, then store atomically. Any failure installs nothing.
    pub async fn install(&self, bytes: &[u8]) -> Result<(VerifiedPackage, InstallOutcome)> {
        let package = self.verify(bytes)?;
        let m = &package.manifest;
        let loaded = self.runtime.load(&package, &self.config.adapter(&m.id))?;
        let info = loaded.describe().await.with_context(|| {
            format!(
                "self-check of {} {} failed: `describe` did not answer",
                m.id, m.version
            )
        })?;
        if info.id != m.id || info.version != m.version.to_string() {
            let label = |t: &str| crate::untrusted::clean(t, crate::untrusted::LABEL);
            bail!(
                "self-check of {} {} failed: the component describes itself as {} {}; the package is inconsistent, ask the publisher for a new one",
                m.id, m.version, label(&info.id), label(&info.version)
            );
        }
        let outcome = self.store.install(&package)?;
        Ok((package, outcome))
    }

    /// Loads the current version of `id`, verifying its package again (so revoking a
    /// key stops installed adapters too).
    pub fn load(&self, id: &str) -> Result<LoadedAdapter> {
        let bytes = self.store.current_package(id)?;
        let package = self
            .verify(&bytes)
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
        // Not verified and not installed: a stand-in package that names the contract.
        let stand_in = VerifiedPackage {
            manifest: Manifest {
                id: "unpackaged".into(),
                version: semver::Version::new(0, 0, 0),
                ehr: String::new(),
                contract: contract.clone(),
                description: String::new(),
                capabilities: Requested::default(),
            },
            component: Vec::new(),
            publisher: SecretKey::generate()?.public(),
            publisher_name: String::new(),
            hash: String::new(),
            bytes: Vec::new(),
        };
        let loaded = self
            .runtime
            .prepare(&component, &stand_in, &Default::default())?;
        let info = loaded.describe().await.context("`describe` failed")?;
        Ok((info, contract))
    }
}
