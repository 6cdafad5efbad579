//! Repairing an entry found inconsistent: a state file naming a version whose package is
//! missing or unreadable (left by a crash, by hand, or by versions of ehr-host that did
//! not lock), or a folder of versions without a readable state file. The entry goes back
//! to its last complete version: the current one if it is whole, else the previous one,
//! else the newest whole version on disk.

use super::state::State;
use super::{signer, AdapterStore};
use crate::package::format::Package;
use crate::package::Manifest;
use anyhow::Result;
use semver::Version;

impl AdapterStore {
    /// Repairs every entry; one line per entry repaired, saying what was done.
    pub fn repair_all(&self) -> Result<Vec<String>> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Ok(Vec::new());
        };
        let mut lines = Vec::new();
        for entry in entries.flatten() {
            let id = entry.file_name().to_string_lossy().to_string();
            if id.starts_with('.') || !entry.path().is_dir() {
                continue;
            }
            let _lock = self.lock(&id, "repairing the store at agent start")?;
            if let Some(line) = self.repair_locked(&id)? {
                lines.push(line);
            }
        }
        Ok(lines)
    }

    /// Repairs the entry `id` before a change (the caller holds its lock), logging the
    /// one line that says what was done.
    pub(super) fn repair_and_say(&self, id: &str) -> Result<()> {
        if let Some(line) = self.repair_locked(id)? {
            tracing::warn!("{line}");
        }
        Ok(())
    }

    /// Repairs the entry `id`; the caller holds its lock. Returns what was done, if
    /// anything.
    pub(super) fn repair_locked(&self, id: &str) -> Result<Option<String>> {
        let state = self.state(id);
        if let Ok(Some(s)) = &state {
            if self.complete(id, &s.current) {
                return Ok(self.drop_missing(id, s.clone()));
            }
        }
        if let Ok(None) = state {
            return Ok(None);
        }
        let broken = match &state {
            Ok(Some(s)) => format!("its current version {} is missing or unreadable", s.current),
            _ => "its state.json is unreadable".to_string(),
        };
        let old = state.ok().flatten();
        let target = old
            .as_ref()
            .and_then(|s| s.previous.clone())
            .filter(|v| self.complete(id, v))
            .or_else(|| self.newest_complete(id));
        let Some(target) = target else {
            let dir = self.dir.join(id);
            let trash = self
                .dir
                .join(format!(".broken-{id}-{}", std::process::id()));
            std::fs::rename(&dir, &trash)?;
            let _ = std::fs::remove_dir_all(&trash);
            return Ok(Some(format!(
                "store: removed `{id}`: {broken} and no complete version is left; install it again"
            )));
        };
        let publisher = old
            .as_ref()
            .and_then(|s| s.publisher.clone())
            .or_else(|| self.signer_of(id, &target));
        let mut new = State::first(target.clone(), publisher.unwrap_or_default(), "");
        if let Some(old) = old {
            new.rolled_back = old.rolled_back;
            new.rolled_back.retain(|r| r.version != target);
            new.generation = old.generation;
        }
        new.bump("repair of an inconsistent store entry");
        self.write_state(id, &new)?;
        self.prune(id, &new);
        Ok(Some(format!(
            "store: repaired `{id}`: {broken}; back on its last complete version {target}"
        )))
    }

    /// Forgets a previous or waiting version whose package is gone (the current one is
    /// whole).
    fn drop_missing(&self, id: &str, mut s: State) -> Option<String> {
        let mut gone = Vec::new();
        if let Some(p) = s.previous.clone().filter(|p| !self.complete(id, p)) {
            s.previous = None;
            gone.push(format!("previous version {p}"));
        }
        if let Some(w) = s.waiting.clone().filter(|w| !self.complete(id, &w.version)) {
            s.waiting = None;
            gone.push(format!("waiting version {}", w.version));
        }
        if gone.is_empty() {
            return None;
        }
        if let Err(e) = self.write_state(id, &s) {
            return Some(format!("store: cannot repair `{id}`: {e:#}"));
        }
        Some(format!(
            "store: repaired `{id}`: its {} is missing from disk and was forgotten; {} stays current",
            gone.join(" and "),
            s.current
        ))
    }

    /// True when the package of `id` at `version` is on disk and holds that adapter
    /// version.
    fn complete(&self, id: &str, version: &Version) -> bool {
        let Ok(bytes) = self.package(id, version) else {
            return false;
        };
        let Ok(p) = Package::parse(&bytes) else {
            return false;
        };
        Manifest::parse(&p.manifest).is_ok_and(|m| m.id == id && &m.version == version)
    }

    fn newest_complete(&self, id: &str) -> Option<Version> {
        let entries = std::fs::read_dir(self.dir.join(id)).ok()?;
        entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<Version>().ok())
            .filter(|v| self.complete(id, v))
            .max()
    }

    fn signer_of(&self, id: &str, version: &Version) -> Option<String> {
        let bytes = self.package(id, version).ok()?;
        signer(&Package::parse(&bytes).ok()?)
    }
}
