//! The version range the operator pinned for each adapter installed from a registry
//! (`ehr-host install revolution@^1.2`), kept in `<home>/pins.json`. `update` and the
//! agent's polling never leave the pinned range.

use crate::fsutil::write_atomic;
use anyhow::{Context, Result};
use semver::VersionReq;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Pins by adapter id.
#[derive(Debug, Clone)]
pub struct Pins {
    path: PathBuf,
    /// The range per adapter id (`*` when installed without one).
    pub pins: BTreeMap<String, String>,
}

impl Pins {
    /// Loads `path`; a missing file means no pins.
    pub fn load(path: impl Into<PathBuf>) -> Result<Pins> {
        let path = path.into();
        let pins = match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b)
                .with_context(|| format!("{} is corrupt", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Ok(Pins { path, pins })
    }

    /// The range pinned for `id` (`*` when none).
    pub fn get(&self, id: &str) -> VersionReq {
        self.pins
            .get(id)
            .and_then(|r| r.parse().ok())
            .unwrap_or(VersionReq::STAR)
    }

    /// Pins `id` to `range` and saves.
    pub fn set(&mut self, id: &str, range: &VersionReq) -> Result<()> {
        self.pins.insert(id.to_string(), range.to_string());
        write_atomic(&self.path, &serde_json::to_vec_pretty(&self.pins)?)
    }
}
