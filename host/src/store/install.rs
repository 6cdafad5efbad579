//! Installing a verified package into the store, under the entry's lock: the checks that
//! depend on what is installed (the id's publisher, the same version with other content,
//! a version rolled back from, another operation that changed the entry meanwhile) are
//! made while the lock is held, so they cannot go stale before the change.

use super::refusal::{KeyLabel, StoreBusy, StoreRefusal};
use super::state::{Probation, RolledBackRecord, State};
use super::{signer, AdapterStore, PACKAGE_FILE};
use crate::fsutil::write_atomic;
use crate::package::format::{sha256_hex, Package};
use crate::package::VerifiedPackage;
use anyhow::{Context, Result};
use semver::Version;
use std::collections::BTreeMap;

/// The entry as an operation saw it before its slow steps (compiling, self-check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Not installed.
    Absent,
    /// At this generation.
    Generation(u64),
    /// Not looked at: whatever is there now is fine.
    Unchecked,
}

/// How to install.
#[derive(Debug, Clone)]
pub struct InstallRequest {
    /// The operation, in words, for the lock and the state (`ehr-host install of x 1.2.0`).
    pub by: String,
    /// The entry as this operation saw it; a change since makes it lose the race.
    pub seen: Seen,
    /// The key (hex) the operator says the id belongs to now, to transfer it to the
    /// package's publisher.
    pub transfer_from: Option<String>,
    /// Install a version that was rolled back from, on probation again.
    pub retry_rolled_back: bool,
    /// Names of publisher keys (hex → name), for messages.
    pub key_names: BTreeMap<String, String>,
}

impl InstallRequest {
    /// A plain install by `by`, with no expectations.
    pub fn by(by: impl Into<String>) -> InstallRequest {
        InstallRequest {
            by: by.into(),
            seen: Seen::Unchecked,
            transfer_from: None,
            retry_rolled_back: false,
            key_names: BTreeMap::new(),
        }
    }

    fn label(&self, hex: &str) -> KeyLabel {
        KeyLabel {
            short: format!("ed25519:{}", hex.get(..16).unwrap_or(hex)),
            name: self.key_names.get(hex).cloned(),
        }
    }
}

/// What `install` did.
#[derive(Debug, Clone, PartialEq)]
pub enum InstallOutcome {
    /// A new current version.
    Installed {
        /// The version replaced and kept for rollback, if any.
        previous: Option<Version>,
        /// The new version is on probation (there is a previous one to fall back to).
        probation: bool,
        /// The id was transferred from this publisher key (hex).
        transferred_from: Option<String>,
        /// The version had been rolled back from; this is its new probation.
        retried: Option<RolledBackRecord>,
    },
    /// This exact package was already current.
    AlreadyCurrent,
}

impl AdapterStore {
    /// Installs a verified package with no expectations (see [`AdapterStore::install_with`]).
    pub fn install(&self, package: &VerifiedPackage) -> Result<InstallOutcome> {
        let m = &package.manifest;
        self.install_with(
            package,
            &InstallRequest::by(format!("install of {} {}", m.id, m.version)),
        )
    }

    /// Installs a verified package as the current version of its adapter, keeping the
    /// version it replaces for rollback and putting the new one on probation. Refused,
    /// with nothing changed: a package from another publisher than the id's (unless
    /// transferred), the same version with other content, a version rolled back from
    /// (unless retried), and a change made by another operation since `req.seen`.
    pub fn install_with(
        &self,
        package: &VerifiedPackage,
        req: &InstallRequest,
    ) -> Result<InstallOutcome> {
        let id = &package.manifest.id;
        let _lock = self.lock(id, &req.by)?;
        self.repair_and_say(id)?;
        let state = self.state(id)?;
        check_seen(id, state.as_ref(), req.seen)?;
        let Some(mut state) = state else {
            self.stage(package)?;
            let new = State::first(
                package.manifest.version.clone(),
                package.publisher.to_hex(),
                &req.by,
            );
            self.write_state(id, &new)?;
            self.prune(id, &new);
            return Ok(installed(None, false, None, None));
        };
        let transferred_from = self.check_publisher(&state, package, req)?;
        if let Some(from) = transferred_from {
            return self.transfer(state, package, req, from);
        }
        let version = &package.manifest.version;
        if let Some(hash) = self.hash_of(id, version) {
            if hash != package.hash {
                return Err(StoreRefusal::SameVersionOtherContent {
                    id: id.clone(),
                    version: version.clone(),
                    installed: hash[..12].to_string(),
                    new: package.hash[..12].to_string(),
                }
                .into());
            }
            if &state.current == version {
                return Ok(InstallOutcome::AlreadyCurrent);
            }
        }
        let retried = match state.rolled_back(&package.hash).cloned() {
            Some(r) if !req.retry_rolled_back => {
                return Err(StoreRefusal::RolledBack {
                    id: id.clone(),
                    version: r.version,
                    reason: r.reason,
                    at: r.at,
                }
                .into())
            }
            Some(r) => {
                state.rolled_back.retain(|x| x.hash != package.hash);
                Some(r)
            }
            None => None,
        };
        self.stage(package)?;
        let previous = std::mem::replace(&mut state.current, version.clone());
        state.previous = Some(previous.clone());
        state.waiting = None;
        state.probation = Some(Probation {
            version: version.clone(),
            hash: package.hash.clone(),
            since: crate::clock::now_rfc3339(),
            errors: 0,
        });
        state
            .publisher
            .get_or_insert_with(|| package.publisher.to_hex());
        state.bump(&req.by);
        self.write_state(id, &state)?;
        self.prune(id, &state);
        Ok(installed(Some(previous), true, None, retried))
    }

    /// `Ok(Some(old key))` when the package moves the id to another publisher as the
    /// operator asked, `Ok(None)` when the publisher stays; refused otherwise.
    fn check_publisher(
        &self,
        state: &State,
        package: &VerifiedPackage,
        req: &InstallRequest,
    ) -> Result<Option<String>> {
        let id = &package.manifest.id;
        let bound = match &state.publisher {
            Some(k) => k.clone(),
            None => self.current_signer(id, state)?,
        };
        let got = package.publisher.to_hex();
        if bound == got {
            return Ok(None);
        }
        match &req.transfer_from {
            None => Err(StoreRefusal::OtherPublisher {
                id: id.clone(),
                bound: req.label(&bound),
                bound_hex: bound,
                got: req.label(&got),
            }
            .into()),
            Some(named) if !named.eq_ignore_ascii_case(&bound) => {
                Err(StoreRefusal::TransferFromWrongKey {
                    id: id.clone(),
                    bound: req.label(&bound),
                    named: req.label(named).short,
                }
                .into())
            }
            Some(_) => Ok(Some(bound)),
        }
    }

    /// The key that signed the current package (for state files written before binding).
    fn current_signer(&self, id: &str, state: &State) -> Result<String> {
        let bytes = self.package(id, &state.current)?;
        let package = Package::parse(&bytes).map_err(anyhow::Error::msg)?;
        signer(&package)
            .with_context(|| format!("the installed package of `{id}` has no readable signature"))
    }

    /// A transfer: the id starts again with the new publisher. The old publisher's
    /// versions are deleted so `rollback` cannot return to their code under the new
    /// binding.
    fn transfer(
        &self,
        old: State,
        package: &VerifiedPackage,
        req: &InstallRequest,
        from: String,
    ) -> Result<InstallOutcome> {
        let id = &package.manifest.id;
        for v in old.named() {
            let dir = self.dir.join(id).join(v.to_string());
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot delete {} for the transfer", dir.display()))?;
        }
        self.stage(package)?;
        let mut new = State::first(
            package.manifest.version.clone(),
            package.publisher.to_hex(),
            &req.by,
        );
        new.generation = old.generation + 1;
        self.write_state(id, &new)?;
        self.prune(id, &new);
        Ok(installed(None, false, Some(from), None))
    }

    /// SHA-256 of the installed package of `id` at `version`, if there is one.
    fn hash_of(&self, id: &str, version: &Version) -> Option<String> {
        std::fs::read(self.package_path(id, version))
            .ok()
            .map(|b| sha256_hex(&b))
    }

    /// Puts the package's version folder in place (staged, then one rename), unless the
    /// same package is there already.
    fn stage(&self, package: &VerifiedPackage) -> Result<()> {
        let m = &package.manifest;
        let version_dir = self.dir.join(&m.id).join(m.version.to_string());
        if self.hash_of(&m.id, &m.version).as_deref() == Some(package.hash.as_str()) {
            return Ok(());
        }
        if version_dir.exists() {
            // An incomplete folder no state names (a crash between staging and state).
            std::fs::remove_dir_all(&version_dir)
                .with_context(|| format!("cannot replace {}", version_dir.display()))?;
        }
        let staging = self
            .dir
            .join(&m.id)
            .join(format!(".staging-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging)
            .with_context(|| format!("cannot create {}", staging.display()))?;
        write_atomic(&staging.join(PACKAGE_FILE), &package.bytes)?;
        std::fs::rename(&staging, &version_dir)
            .with_context(|| format!("cannot move the new version into {}", version_dir.display()))
    }

    /// Deletes, under the lock, every version folder `state` does not name and anything
    /// left behind by an operation that crashed (staging folders). Failures are logged:
    /// a leftover folder takes space but does no harm.
    pub(super) fn prune(&self, id: &str, state: &State) {
        let keep: Vec<String> = state.named().iter().map(|v| v.to_string()).collect();
        let Ok(entries) = std::fs::read_dir(self.dir.join(id)) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            if is_dir && !keep.contains(&name) {
                if let Err(e) = std::fs::remove_dir_all(entry.path()) {
                    tracing::warn!("cannot delete {}: {e}", entry.path().display());
                }
            }
        }
    }
}

fn installed(
    previous: Option<Version>,
    probation: bool,
    transferred_from: Option<String>,
    retried: Option<RolledBackRecord>,
) -> InstallOutcome {
    InstallOutcome::Installed {
        previous,
        probation,
        transferred_from,
        retried,
    }
}

/// Refuses when the entry changed since the operation looked at it.
pub(super) fn check_seen(id: &str, state: Option<&State>, seen: Seen) -> Result<()> {
    let same = match (seen, state) {
        (Seen::Unchecked, _) => true,
        (Seen::Absent, None) => true,
        (Seen::Generation(g), Some(s)) => s.generation == g,
        _ => false,
    };
    if same {
        return Ok(());
    }
    Err(match state {
        Some(s) => StoreBusy::ChangedMeanwhile {
            id: id.to_string(),
            by: if s.changed_by.is_empty() {
                "an earlier ehr-host".into()
            } else {
                s.changed_by.clone()
            },
            at: s.changed.clone(),
            now: s.current.to_string(),
        },
        None => StoreBusy::ChangedMeanwhile {
            id: id.to_string(),
            by: "a removal".into(),
            at: crate::clock::now_rfc3339(),
            now: "nothing (removed)".into(),
        },
    }
    .into())
}
