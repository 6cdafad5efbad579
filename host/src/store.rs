//! Installed adapters on disk. Each adapter keeps its current and previous version:
//!
//! ```text
//! adapters/<id>/<version>/package.ehrpkg
//! adapters/<id>/state.json     {"current": "1.2.0", "previous": "1.1.0", ...}
//! ```
//!
//! Every change is staged and then made visible by one rename, so a crash leaves either
//! the old state or the new one. Packages are verified again whenever they are loaded.

use crate::fsutil::write_atomic;
use crate::package::format::{sha256_hex, Package, SignatureBlock};
use crate::package::{Manifest, VerifiedPackage};
use anyhow::{bail, Context, Result};
use semver::Version;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const PACKAGE_FILE: &str = "package.ehrpkg";
const STATE_FILE: &str = "state.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    current: Version,
    previous: Option<Version>,
    changed: String,
}

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
    /// Publisher key, hex.
    pub publisher_key: String,
    /// SHA-256 of the package file, hex.
    pub hash: String,
    /// The version `rollback` would return to.
    pub previous_version: Option<Version>,
    /// When the current version became current.
    pub changed: String,
    /// Requested HTTP origins and database labels.
    pub requested: crate::package::manifest::Requested,
    /// Description.
    pub description: String,
}

/// What `install` did.
#[derive(Debug, Clone, PartialEq)]
pub enum InstallOutcome {
    /// A new current version; `previous` is kept for rollback.
    Installed {
        /// The version replaced, if any.
        previous: Option<Version>,
    },
    /// This exact package was already current.
    AlreadyCurrent,
}

/// The adapter store under `<home>/adapters`.
#[derive(Debug, Clone)]
pub struct AdapterStore {
    dir: PathBuf,
}

impl AdapterStore {
    /// The store in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> AdapterStore {
        AdapterStore { dir: dir.into() }
    }

    fn state(&self, id: &str) -> Result<Option<State>> {
        let path = self.dir.join(id).join(STATE_FILE);
        match std::fs::read(&path) {
            Ok(b) => {
                Ok(Some(serde_json::from_slice(&b).with_context(|| {
                    format!("{} is corrupt", path.display())
                })?))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    fn require_state(&self, id: &str) -> Result<State> {
        self.state(id)?
            .with_context(|| format!("adapter `{id}` is not installed (see `ehr-host list`)"))
    }

    fn package_path(&self, id: &str, version: &Version) -> PathBuf {
        self.dir
            .join(id)
            .join(version.to_string())
            .join(PACKAGE_FILE)
    }

    /// The current package file of `id`.
    pub fn current_package(&self, id: &str) -> Result<Vec<u8>> {
        let state = self.require_state(id)?;
        let path = self.package_path(id, &state.current);
        std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))
    }

    /// Installs a verified package as the current version of its adapter, keeping the
    /// version it replaces for rollback. The same version with different content is
    /// refused: publishers must bump the version for every change.
    pub fn install(&self, package: &VerifiedPackage) -> Result<InstallOutcome> {
        let m = &package.manifest;
        let adapter_dir = self.dir.join(&m.id);
        let version_dir = adapter_dir.join(m.version.to_string());
        let state = self.state(&m.id)?;
        let existing = version_dir.join(PACKAGE_FILE);
        if existing.is_file() {
            let hash = sha256_hex(&std::fs::read(&existing)?);
            if hash != package.hash {
                bail!(
                    "{} {} is already installed with different content (installed {}, new {}); the publisher must release a new version number",
                    m.id, m.version, &hash[..12], &package.hash[..12]
                );
            }
            if state.as_ref().map(|s| &s.current) == Some(&m.version) {
                return Ok(InstallOutcome::AlreadyCurrent);
            }
        } else {
            let staging = adapter_dir.join(format!(".staging-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&staging);
            std::fs::create_dir_all(&staging)
                .with_context(|| format!("cannot create {}", staging.display()))?;
            write_atomic(&staging.join(PACKAGE_FILE), &package.bytes)?;
            std::fs::rename(&staging, &version_dir).with_context(|| {
                format!("cannot move the new version into {}", version_dir.display())
            })?;
        }
        let previous = state.map(|s| s.current);
        self.write_state(&m.id, &m.version, previous.clone())?;
        self.prune(&m.id)?;
        Ok(InstallOutcome::Installed { previous })
    }

    fn write_state(&self, id: &str, current: &Version, previous: Option<Version>) -> Result<()> {
        let state = State {
            current: current.clone(),
            previous,
            changed: crate::clock::now_rfc3339(),
        };
        write_atomic(
            &self.dir.join(id).join(STATE_FILE),
            &serde_json::to_vec_pretty(&state)?,
        )
    }

    /// Keeps only the current and previous versions on disk.
    fn prune(&self, id: &str) -> Result<()> {
        let Some(state) = self.state(id)? else {
            return Ok(());
        };
        let keep = [
            Some(state.current.to_string()),
            state.previous.map(|v| v.to_string()),
        ];
        for entry in std::fs::read_dir(self.dir.join(id))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().to_string();
            if entry.path().is_dir() && !keep.iter().flatten().any(|k| *k == name) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        Ok(())
    }

    /// Makes the previous version current again (and the current one previous).
    pub fn rollback(&self, id: &str) -> Result<(Version, Version)> {
        let state = self.require_state(id)?;
        let Some(previous) = state.previous.clone() else {
            bail!(
                "adapter `{id}` has no previous version to roll back to (only {} is installed)",
                state.current
            );
        };
        if !self.package_path(id, &previous).is_file() {
            bail!("the previous version {previous} of `{id}` is missing from disk; reinstall it instead");
        }
        self.write_state(id, &previous, Some(state.current.clone()))?;
        Ok((state.current, previous))
    }

    /// Removes an adapter and all its versions.
    pub fn remove(&self, id: &str) -> Result<Version> {
        let state = self.require_state(id)?;
        let dir = self.dir.join(id);
        let trash = self
            .dir
            .join(format!(".removed-{id}-{}", std::process::id()));
        std::fs::rename(&dir, &trash)
            .with_context(|| format!("cannot remove {}", dir.display()))?;
        std::fs::remove_dir_all(&trash)
            .with_context(|| format!("removed `{id}`, but could not delete {}", trash.display()))?;
        Ok(state.current)
    }

    /// Every installed adapter, sorted by id.
    pub fn list(&self) -> Result<Vec<Installed>> {
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", self.dir.display())),
        };
        for entry in entries {
            let name = entry?.file_name().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            if self.state(&name)?.is_some() {
                out.push(self.get(&name)?);
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// One installed adapter.
    pub fn get(&self, id: &str) -> Result<Installed> {
        let state = self.require_state(id)?;
        let path = self.package_path(id, &state.current);
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        describe_package(&bytes, state, id, &path)
    }
}

fn describe_package(bytes: &[u8], state: State, id: &str, path: &Path) -> Result<Installed> {
    let package = Package::parse(bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let manifest = Manifest::parse(&package.manifest)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let key = serde_json::from_slice::<SignatureBlock>(&package.signature)
        .map(|b| b.key)
        .unwrap_or_default();
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
        publisher_key: key,
        hash: sha256_hex(bytes),
        previous_version: state.previous,
        changed: state.changed,
        requested: manifest.capabilities,
        description: manifest.description,
    })
}

#[cfg(test)]
mod tests;
