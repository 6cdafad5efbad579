//! Installed adapters on disk. Each adapter keeps its current and previous version:
//!
//! ```text
//! adapters/<id>/<version>/package.ehrpkg
//! adapters/<id>/state.json     current, previous, publisher, probation, rolled back, ...
//! adapters/.locks/<id>.lock    held by whoever changes the entry (see [`lock`])
//! ```
//!
//! Every change takes the entry's lock, is staged, and is made visible by one rename of
//! `state.json`, so a crash leaves either the old state or the new one and two processes
//! never interleave. Cleanup runs under the lock and never deletes a version the state
//! names. Packages are verified again whenever they are loaded.
//!
//! - [`state`]: the state file and its history (probation, rolled back, waiting);
//! - [`lock`]: the cross-process lock;
//! - [`refusal`]: refusals (exit 3) and lost races (exit 7);
//! - `install`, `change` (rollback, remove), `agent` (what the running agent records),
//!   `repair` (a store found inconsistent).

mod agent;
mod change;
mod install;
pub mod lock;
pub mod refusal;
mod repair;
pub mod state;

pub use agent::RolledBackTo;
pub use change::{RollbackOutcome, RollbackRequest};
pub use install::{InstallOutcome, InstallRequest, Seen};
pub use refusal::{KeyLabel, StoreBusy, StoreRefusal};
pub use state::{Probation, RolledBackBy, RolledBackRecord, State, Waiting};

use crate::package::format::{sha256_hex, Package, SignatureBlock};
use crate::package::Manifest;
use anyhow::{Context, Result};
use semver::Version;
use serde::Serialize;
use std::path::{Path, PathBuf};

const PACKAGE_FILE: &str = "package.ehrpkg";
const STATE_FILE: &str = "state.json";

/// One installed adapter, as listings show it.
#[derive(Debug, Clone, Serialize)]
pub struct Installed {
    /// Adapter id.
    pub id: String,
    /// Current version.
    pub version: Version,
    /// The EHR.
    pub ehr: String,
    /// Contract version it was built for.
    pub contract: Version,
    /// Key (hex) that signed the current package.
    pub publisher_key: String,
    /// The key (hex) the id belongs to (only a transfer changes it).
    pub bound_publisher: String,
    /// SHA-256 of the package file, hex.
    pub hash: String,
    /// The version `rollback` would return to.
    pub previous_version: Option<Version>,
    /// When the current version became current.
    pub changed: String,
    /// The current version is on probation in the agent.
    pub probation: Option<Probation>,
    /// A newer version installed but waiting for its self-check.
    pub waiting: Option<Waiting>,
    /// Versions rolled back from, newest last.
    pub rolled_back: Vec<RolledBackRecord>,
    /// Requested HTTP origins and database labels.
    pub requested: crate::package::manifest::Requested,
    /// Description.
    pub description: String,
}

/// The adapter store under `<home>/adapters`.
#[derive(Debug, Clone)]
pub struct AdapterStore {
    dir: PathBuf,
}

/// What [`AdapterStore::entry`] returns: the state with the current package's hash.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The state file.
    pub state: State,
    /// SHA-256 of the current package.
    pub hash: String,
}

impl AdapterStore {
    /// The store in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> AdapterStore {
        AdapterStore { dir: dir.into() }
    }

    fn state_path(&self, id: &str) -> PathBuf {
        self.dir.join(id).join(STATE_FILE)
    }

    fn state(&self, id: &str) -> Result<Option<State>> {
        state::read(&self.state_path(id))
    }

    fn require_state(&self, id: &str) -> Result<State> {
        self.state(id)?
            .with_context(|| format!("adapter `{id}` is not installed (see `ehr-host list`)"))
    }

    fn write_state(&self, id: &str, state: &State) -> Result<()> {
        state::write(&self.state_path(id), state)
    }

    fn lock(&self, id: &str, operation: &str) -> Result<lock::EntryLock> {
        lock::acquire(&self.dir, id, operation, lock::LOCK_WAIT)
    }

    fn package_path(&self, id: &str, version: &Version) -> PathBuf {
        self.dir
            .join(id)
            .join(version.to_string())
            .join(PACKAGE_FILE)
    }

    /// The package file of `id` at `version`.
    pub fn package(&self, id: &str, version: &Version) -> Result<Vec<u8>> {
        let path = self.package_path(id, version);
        std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))
    }

    /// The current package file of `id`.
    pub fn current_package(&self, id: &str) -> Result<Vec<u8>> {
        let state = self.require_state(id)?;
        self.package(id, &state.current)
    }

    /// The state file of `id`; `None` when not installed.
    pub fn state_of(&self, id: &str) -> Result<Option<State>> {
        self.state(id)
    }

    /// The state of `id` and its current package's hash; `None` when not installed.
    pub fn entry(&self, id: &str) -> Result<Option<Entry>> {
        let Some(state) = self.state(id)? else {
            return Ok(None);
        };
        let hash = sha256_hex(&self.package(id, &state.current)?);
        Ok(Some(Entry { state, hash }))
    }

    /// The ids with an entry (a state file), sorted.
    pub fn ids(&self) -> Result<Vec<String>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", self.dir.display())),
        };
        let mut ids = Vec::new();
        for entry in entries {
            let name = entry?.file_name().to_string_lossy().to_string();
            if !name.starts_with('.') && self.state_path(&name).is_file() {
                ids.push(name);
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Every installed adapter, sorted by id.
    pub fn list(&self) -> Result<Vec<Installed>> {
        self.ids()?.iter().map(|id| self.get(id)).collect()
    }

    /// One installed adapter.
    pub fn get(&self, id: &str) -> Result<Installed> {
        let state = self.require_state(id)?;
        let path = self.package_path(id, &state.current);
        let bytes = std::fs::read(&path).with_context(|| {
            format!(
                "cannot read {} (the store entry of `{id}` is incomplete; the agent repairs it when it starts)",
                path.display()
            )
        })?;
        describe_package(&bytes, state, id, &path)
    }
}

/// The publisher key (hex) in a package's signature block, if it has a readable one.
fn signer(package: &Package) -> Option<String> {
    serde_json::from_slice::<SignatureBlock>(&package.signature)
        .ok()
        .map(|b| b.key)
}

fn describe_package(bytes: &[u8], state: State, id: &str, path: &Path) -> Result<Installed> {
    let package = Package::parse(bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let manifest = Manifest::parse(&package.manifest)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let key = signer(&package).unwrap_or_default();
    anyhow::ensure!(
        manifest.id == id,
        "{} holds adapter `{}`, not `{id}`",
        path.display(),
        manifest.id
    );
    Ok(Installed {
        id: manifest.id,
        version: manifest.version,
        ehr: manifest.ehr,
        contract: manifest.contract,
        bound_publisher: state.publisher.clone().unwrap_or_else(|| key.clone()),
        publisher_key: key,
        hash: sha256_hex(bytes),
        previous_version: state.previous,
        changed: state.changed,
        probation: state.probation,
        waiting: state.waiting,
        rolled_back: state.rolled_back,
        requested: manifest.capabilities,
        description: manifest.description,
    })
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_agent;
