//! Watching the adapter store for changes made outside the agent (`ehr-host install`,
//! `ehr-host rollback`, `ehr-host remove`, or the agent's own registry pulls).
//!
//! Each adapter's `state.json` is small and replaced atomically on every change, so the
//! watcher simply compares its bytes with what it saw last time: no inotify, and no
//! missed change because two writes fell within one mtime tick.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// What changed in the store since the last look.
#[derive(Debug, Default, PartialEq)]
pub struct Changes {
    /// Adapters whose `state.json` is new or different.
    pub changed: BTreeSet<String>,
    /// Adapters that are gone.
    pub removed: BTreeSet<String>,
}

/// Remembers the last `state.json` of every adapter in a store folder.
#[derive(Debug)]
pub struct StoreWatcher {
    dir: PathBuf,
    seen: BTreeMap<String, Vec<u8>>,
}

impl StoreWatcher {
    /// A watcher of the store in `dir` that has seen nothing yet.
    pub fn new(dir: impl Into<PathBuf>) -> StoreWatcher {
        StoreWatcher {
            dir: dir.into(),
            seen: BTreeMap::new(),
        }
    }

    /// Looks at the store and reports what changed since the last call.
    pub fn poll(&mut self) -> Changes {
        let mut now = BTreeMap::new();
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().to_string();
                if name.starts_with('.') {
                    continue;
                }
                if let Ok(bytes) = std::fs::read(entry.path().join("state.json")) {
                    now.insert(name, bytes);
                }
            }
        }
        let mut changes = Changes::default();
        for (id, bytes) in &now {
            if self.seen.get(id) != Some(bytes) {
                changes.changed.insert(id.clone());
            }
        }
        for id in self.seen.keys() {
            if !now.contains_key(id) {
                changes.removed.insert(id.clone());
            }
        }
        self.seen = now;
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A new adapter, a changed state and a removed adapter are each reported once.
    #[test]
    fn reports_each_change_once() {
        let dir = std::env::temp_dir().join(format!("ehr-watch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("a")).unwrap();
        std::fs::write(dir.join("a/state.json"), b"1").unwrap();
        let mut w = StoreWatcher::new(&dir);
        assert_eq!(w.poll().changed, BTreeSet::from(["a".to_string()]));
        assert_eq!(w.poll(), Changes::default());
        std::fs::write(dir.join("a/state.json"), b"2").unwrap();
        assert_eq!(w.poll().changed, BTreeSet::from(["a".to_string()]));
        std::fs::remove_dir_all(dir.join("a")).unwrap();
        assert_eq!(w.poll().removed, BTreeSet::from(["a".to_string()]));
        let _ = std::fs::remove_dir_all(dir);
    }
}
