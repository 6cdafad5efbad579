//! What the running agent records in the store, under the entry's lock, so that a
//! restarted agent (and `ehr-host list`) knows what the last one decided: probation
//! errors, a passed probation, a rollback, and a new version whose self-check has to wait
//! for the EHR.
//!
//! Each change names the package by hash and is skipped when the store moved on
//! meanwhile (an operator installed something else): the agent never undoes a change it
//! did not see.

use super::state::{Probation, RolledBackBy, State, Waiting};
use super::AdapterStore;
use crate::package::format::sha256_hex;
use anyhow::Result;
use semver::Version;

/// A change of the current version the agent made: from one version to another.
#[derive(Debug, Clone, PartialEq)]
pub struct RolledBackTo {
    /// The version left.
    pub from: Version,
    /// The version current now.
    pub to: Version,
}

const AGENT: &str = "the agent";

impl AdapterStore {
    /// Runs `change` on the state of `id` under its lock, when the current package's
    /// hash is `hash`; writes the state when `change` returns true.
    fn agent_change<T>(
        &self,
        id: &str,
        hash: &str,
        what: &str,
        change: impl FnOnce(&mut State) -> Option<T>,
    ) -> Result<Option<T>> {
        let _lock = self.lock(id, &format!("{AGENT} ({what})"))?;
        let Some(mut state) = self.state(id)? else {
            return Ok(None);
        };
        let current = self.package(id, &state.current).map(|b| sha256_hex(&b));
        if current.ok().as_deref() != Some(hash) {
            return Ok(None);
        }
        let out = change(&mut state);
        if out.is_some() {
            self.write_state(id, &state)?;
        }
        Ok(out)
    }

    /// Records that the version on probation (package `hash`) has failed `errors` calls
    /// as adapter bugs so far.
    pub fn probation_errors(&self, id: &str, hash: &str, errors: u32) -> Result<()> {
        self.agent_change(id, hash, "probation error", |s| {
            let p = s.probation.as_mut().filter(|p| p.hash == hash)?;
            p.errors = p.errors.max(errors);
            Some(())
        })?;
        Ok(())
    }

    /// Records that the version on probation (package `hash`) passed it.
    pub fn probation_passed(&self, id: &str, hash: &str) -> Result<bool> {
        let done = self.agent_change(id, hash, "probation passed", |s| {
            s.probation.take_if(|p| p.hash == hash).map(|_| ())
        })?;
        Ok(done.is_some())
    }

    /// Rolls `id` back from its current package `hash` to the previous version, which
    /// the agent serves again, and remembers why. When the store moved on meanwhile,
    /// only remembers the package as rolled back from (so it is not pulled again).
    pub fn roll_back_from(
        &self,
        id: &str,
        hash: &str,
        version: &Version,
        reason: &str,
    ) -> Result<Option<RolledBackTo>> {
        let done = self.agent_change(id, hash, "rollback after a failed probation", |s| {
            let to = s.previous.clone()?;
            // Serving again, it is no longer a version rolled back from.
            s.rolled_back.retain(|r| r.version != to);
            s.remember_rollback(version, hash, reason, RolledBackBy::Agent);
            let from = std::mem::replace(&mut s.current, to.clone());
            s.previous = Some(from.clone());
            s.probation = None;
            s.bump(&format!(
                "{AGENT} (rolled back from {from}: failed its probation)"
            ));
            Some(RolledBackTo { from, to })
        })?;
        if done.is_none() {
            self.remember_refused(id, hash, version, reason)?;
        }
        Ok(done)
    }

    /// Remembers the package `hash` of `id` as rolled back from (a version whose
    /// self-check failed as an adapter fault), whatever is current.
    pub fn remember_refused(
        &self,
        id: &str,
        hash: &str,
        version: &Version,
        reason: &str,
    ) -> Result<()> {
        let _lock = self.lock(id, &format!("{AGENT} (refusing {version})"))?;
        let Some(mut state) = self.state(id)? else {
            return Ok(());
        };
        if state.waiting.as_ref().is_some_and(|w| w.hash == hash) {
            state.waiting = None;
        }
        state.remember_rollback(version, hash, reason, RolledBackBy::Agent);
        self.write_state(id, &state)
    }

    /// Puts the current package `hash` of `id` back behind the previous version until
    /// its self-check can run (the EHR was unreachable): the previous version is current
    /// again, this one waits. False when there is no previous version to serve instead.
    pub fn defer(&self, id: &str, hash: &str, reason: &str) -> Result<Option<RolledBackTo>> {
        self.agent_change(id, hash, "self-check deferred", |s| {
            let to = s.previous.clone()?;
            // Serving again, it is no longer a version rolled back from.
            s.rolled_back.retain(|r| r.version != to);
            let from = std::mem::replace(&mut s.current, to.clone());
            s.waiting = Some(Waiting {
                version: from.clone(),
                hash: hash.to_string(),
                reason: crate::untrusted::clean(reason, crate::untrusted::MESSAGE),
                since: crate::clock::now_rfc3339(),
            });
            s.previous = Some(from.clone());
            s.probation = None;
            s.bump(&format!("{AGENT} (self-check of {from} deferred)"));
            Some(RolledBackTo { from, to })
        })
    }

    /// Makes the waiting version current, on probation, now that its self-check passed.
    /// `current_hash` is the package serving meanwhile.
    pub fn promote_waiting(
        &self,
        id: &str,
        current_hash: &str,
        waiting_hash: &str,
    ) -> Result<Option<RolledBackTo>> {
        self.agent_change(id, current_hash, "self-check passed", |s| {
            let w = s.waiting.take_if(|w| w.hash == waiting_hash)?;
            if s.previous.as_ref() != Some(&w.version) {
                return None;
            }
            let from = std::mem::replace(&mut s.current, w.version.clone());
            s.previous = Some(from.clone());
            s.probation = Some(Probation {
                version: w.version.clone(),
                hash: w.hash,
                since: crate::clock::now_rfc3339(),
                errors: 0,
            });
            s.bump(&format!("{AGENT} (self-check of {} passed)", w.version));
            Some(RolledBackTo {
                from,
                to: w.version,
            })
        })
    }
}
