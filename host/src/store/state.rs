//! `state.json`: what one adapter's store entry says, and the history the agent needs to
//! survive a restart (which version is on probation, which versions were rolled back
//! from and why, which new version waits for its self-check).
//!
//! Old state files (only `current`, `previous`, `changed`) read as they are: every field
//! added since has a default.

use crate::fsutil::write_atomic;
use anyhow::{Context, Result};
use semver::Version;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How many rolled-back versions an entry remembers (the oldest are forgotten first).
pub const ROLLED_BACK_KEPT: usize = 20;

/// One adapter's state file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The version calls run on.
    pub current: Version,
    /// The version `rollback` returns to.
    #[serde(default)]
    pub previous: Option<Version>,
    /// When the current version became current (RFC 3339).
    pub changed: String,
    /// Grows by one whenever `current` or `previous` change, so an operation that read
    /// the entry before a slow step (compiling) can tell that another changed it meanwhile.
    #[serde(default)]
    pub generation: u64,
    /// What made the last change, in words (`ehr-host install of misbehaving 0.3.0 (process 42)`).
    #[serde(default)]
    pub changed_by: String,
    /// The publisher key (hex) this id belongs to: the key that first installed it. Only
    /// an explicit transfer changes it. `None` in state files written before binding
    /// existed; the current package's key counts then.
    #[serde(default)]
    pub publisher: Option<String>,
    /// The current version is on probation: the agent watches its first calls and rolls
    /// it back to `previous` when too many fail as adapter bugs.
    #[serde(default)]
    pub probation: Option<Probation>,
    /// A new version whose self-check could not run (the EHR was unreachable); `current`
    /// stays on the version before it until the agent's retry passes.
    #[serde(default)]
    pub waiting: Option<Waiting>,
    /// Versions rolled back from, newest last: never installed again without the
    /// operator asking for another probation.
    #[serde(default)]
    pub rolled_back: Vec<RolledBackRecord>,
}

/// A version on probation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probation {
    /// The version.
    pub version: Version,
    /// SHA-256 of its package.
    pub hash: String,
    /// When it started (RFC 3339).
    pub since: String,
    /// Adapter-bug failures counted so far (kept across agent restarts).
    #[serde(default)]
    pub errors: u32,
}

/// A new version waiting for its self-check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Waiting {
    /// The version.
    pub version: Version,
    /// SHA-256 of its package.
    pub hash: String,
    /// Why its self-check did not pass yet (the EHR's words, made safe).
    pub reason: String,
    /// Since when (RFC 3339).
    pub since: String,
}

/// Who rolled a version back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RolledBackBy {
    /// The agent: failed self-check or probation.
    Agent,
    /// The operator (`ehr-host rollback`).
    Operator,
}

/// A version rolled back from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolledBackRecord {
    /// The version.
    pub version: Version,
    /// SHA-256 of its package: the same version number with other content is another
    /// package and is not refused for this one's faults.
    pub hash: String,
    /// Why, in words (made safe: may quote the adapter).
    pub reason: String,
    /// When (RFC 3339).
    pub at: String,
    /// When, milliseconds since the Unix epoch (for the job queue's give-back).
    pub at_ms: u64,
    /// Who.
    pub by: RolledBackBy,
}

impl State {
    /// A first install of `version` by `publisher`.
    pub fn first(version: Version, publisher: String, by: &str) -> State {
        State {
            current: version,
            previous: None,
            changed: crate::clock::now_rfc3339(),
            generation: 1,
            changed_by: by.to_string(),
            publisher: Some(publisher),
            probation: None,
            waiting: None,
            rolled_back: Vec::new(),
        }
    }

    /// Records a change of `current` / `previous` made by `by`.
    pub fn bump(&mut self, by: &str) {
        self.generation += 1;
        self.changed = crate::clock::now_rfc3339();
        self.changed_by = by.to_string();
    }

    /// The rolled-back record of the package with `hash`, if it was rolled back from.
    pub fn rolled_back(&self, hash: &str) -> Option<&RolledBackRecord> {
        self.rolled_back.iter().rev().find(|r| r.hash == hash)
    }

    /// Remembers that the package `hash` (version `version`) was rolled back from.
    pub fn remember_rollback(
        &mut self,
        version: &Version,
        hash: &str,
        reason: &str,
        by: RolledBackBy,
    ) {
        self.rolled_back.retain(|r| r.hash != hash);
        self.rolled_back.push(RolledBackRecord {
            version: version.clone(),
            hash: hash.to_string(),
            reason: crate::untrusted::clean(reason, crate::untrusted::MESSAGE),
            at: crate::clock::now_rfc3339(),
            at_ms: now_ms(),
            by,
        });
        let excess = self.rolled_back.len().saturating_sub(ROLLED_BACK_KEPT);
        self.rolled_back.drain(..excess);
    }

    /// The versions this state names (their folders must never be deleted).
    pub fn named(&self) -> Vec<&Version> {
        let mut v = vec![&self.current];
        v.extend(self.previous.as_ref());
        v.extend(self.waiting.as_ref().map(|w| &w.version));
        v
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Reads the state file at `path`; `None` when there is none.
pub fn read(path: &Path) -> Result<Option<State>> {
    match std::fs::read(path) {
        Ok(b) => {
            Ok(Some(serde_json::from_slice(&b).with_context(|| {
                format!("{} is corrupt", path.display())
            })?))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Replaces the state file at `path` in one rename.
pub fn write(path: &Path, state: &State) -> Result<()> {
    write_atomic(path, &serde_json::to_vec_pretty(state)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    // A state file written before probation, binding and history existed still reads,
    // with nothing on probation and no publisher recorded.
    #[test]
    fn old_state_files_read() {
        let old =
            br#"{"current": "1.2.0", "previous": "1.1.0", "changed": "2025-01-01T00:00:00Z"}"#;
        let s: State = serde_json::from_slice(old).unwrap();
        assert_eq!(s.current.to_string(), "1.2.0");
        assert_eq!(s.generation, 0);
        assert!(s.publisher.is_none() && s.probation.is_none() && s.rolled_back.is_empty());
    }

    // The rollback history keeps one record per package, newest last, and forgets the
    // oldest beyond its bound; reasons are made safe to show.
    #[test]
    fn rollback_history_is_bounded_and_clean() {
        let mut s = State::first("1.0.0".parse().unwrap(), "k".into(), "test");
        for i in 0..(ROLLED_BACK_KEPT + 5) {
            let v: Version = format!("1.0.{i}").parse().unwrap();
            s.remember_rollback(&v, &format!("h{i}"), "bad\u{1b}[2J", RolledBackBy::Agent);
        }
        s.remember_rollback(
            &"9.9.9".parse().unwrap(),
            "h24",
            "again",
            RolledBackBy::Operator,
        );
        assert_eq!(s.rolled_back.len(), ROLLED_BACK_KEPT);
        assert_eq!(s.rolled_back.last().unwrap().reason, "again");
        assert_eq!(s.rolled_back("h24").unwrap().by, RolledBackBy::Operator);
        assert!(!s.rolled_back[0].reason.contains('\u{1b}'));
        assert!(s.rolled_back("h0").is_none(), "the oldest are forgotten");
    }
}
