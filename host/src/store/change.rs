//! The operator's other changes: `rollback` and `remove`, each under the entry's lock.

use super::refusal::StoreRefusal;
use super::state::{Probation, RolledBackBy};
use super::AdapterStore;
use anyhow::{bail, Context, Result};
use semver::Version;

/// How to roll back.
#[derive(Debug, Clone)]
pub struct RollbackRequest {
    /// The operation, in words.
    pub by: String,
    /// Return to a version that was rolled back from, on probation again.
    pub retry_rolled_back: bool,
}

/// What `rollback` did.
#[derive(Debug, Clone, PartialEq)]
pub struct RollbackOutcome {
    /// The version rolled back from.
    pub from: Version,
    /// The version current now.
    pub to: Version,
    /// `to` is on probation (it had been rolled back from, or never passed its
    /// self-check).
    pub probation: bool,
}

impl AdapterStore {
    /// Makes the previous version current again (and the current one previous); the one
    /// left is remembered as rolled back from by the operator, so it is not pulled again.
    pub fn rollback(&self, id: &str) -> Result<(Version, Version)> {
        let r = self.rollback_with(
            id,
            &RollbackRequest {
                by: format!("ehr-host rollback of {id}"),
                retry_rolled_back: false,
            },
        )?;
        Ok((r.from, r.to))
    }

    /// [`AdapterStore::rollback`] with the operator's choices. A previous version that
    /// was itself rolled back from returns only with `retry_rolled_back`, on probation;
    /// one waiting for its self-check returns on probation.
    pub fn rollback_with(&self, id: &str, req: &RollbackRequest) -> Result<RollbackOutcome> {
        let _lock = self.lock(id, &req.by)?;
        self.repair_and_say(id)?;
        let mut state = self.require_state(id)?;
        let Some(previous) = state.previous.clone() else {
            bail!(
                "adapter `{id}` has no previous version to roll back to (only {} is installed)",
                state.current
            );
        };
        let target = self.package(id, &previous).with_context(|| {
            format!("the previous version {previous} of `{id}` is missing from disk; reinstall it instead")
        })?;
        let target_hash = crate::package::format::sha256_hex(&target);
        let from_hash = crate::package::format::sha256_hex(&self.package(id, &state.current)?);
        let mut probation = state
            .waiting
            .as_ref()
            .is_some_and(|w| w.hash == target_hash);
        if let Some(r) = state.rolled_back(&target_hash).cloned() {
            if !req.retry_rolled_back {
                return Err(StoreRefusal::RolledBack {
                    id: id.to_string(),
                    version: r.version,
                    reason: r.reason,
                    at: r.at,
                }
                .into());
            }
            state.rolled_back.retain(|x| x.hash != target_hash);
            probation = true;
        }
        let from = std::mem::replace(&mut state.current, previous.clone());
        state.previous = Some(from.clone());
        state.waiting = None;
        state.probation = probation.then(|| Probation {
            version: previous.clone(),
            hash: target_hash,
            since: crate::clock::now_rfc3339(),
            errors: 0,
        });
        state.remember_rollback(
            &from,
            &from_hash,
            "rolled back by the operator (`ehr-host rollback`)",
            RolledBackBy::Operator,
        );
        state.bump(&req.by);
        self.write_state(id, &state)?;
        Ok(RollbackOutcome {
            from,
            to: previous,
            probation,
        })
    }

    /// Removes an adapter and all its versions.
    pub fn remove(&self, id: &str) -> Result<Version> {
        let _lock = self.lock(id, &format!("ehr-host remove of {id}"))?;
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
}
