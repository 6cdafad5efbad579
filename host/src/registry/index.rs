//! The signed index: every adapter version the registry offers.
//!
//! The index names, for each version, the SHA-256 and size of its package file, the
//! publisher key that signed the package, the contract it needs, where to download it and
//! whether it was yanked. Its `version` only grows and it `expires`; both are checked by
//! agents (see [`super::client`]).

use super::signed::Envelope;
use super::{check_not_expired, RegistryRefusal};
use crate::package::PublicKey;
use semver::Version;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The envelope role of index documents.
pub const ROLE: &str = "index";

/// The index document (the envelope payload).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// Always `index`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Grows with every change; agents refuse a lower one than they have seen.
    pub version: u64,
    /// After this instant (RFC 3339) agents refuse the index.
    pub expires: String,
    /// Versions by adapter id.
    #[serde(default)]
    pub adapters: BTreeMap<String, Vec<Entry>>,
    /// The only publisher key (hex) allowed to publish an adapter id, for the ids the
    /// registry operator bound; agents refuse versions of them signed by any other key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub publishers: BTreeMap<String, String>,
}

/// One published adapter version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The adapter version.
    pub version: Version,
    /// The host contract it needs.
    pub contract: Version,
    /// The EHR it talks to.
    #[serde(default)]
    pub ehr: String,
    /// One-line description.
    #[serde(default)]
    pub description: String,
    /// SHA-256 of the package file, hex.
    pub sha256: String,
    /// Size of the package file, bytes.
    pub size: u64,
    /// The publisher key that signed the package, hex.
    pub publisher: String,
    /// The package file, relative to the registry root.
    pub path: String,
    /// Withdrawn by the publisher: never installed again.
    #[serde(default)]
    pub yanked: bool,
    /// Why it was yanked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yank_reason: Option<String>,
}

impl Index {
    /// An empty index.
    pub fn empty(version: u64, expires: String) -> Index {
        Index {
            kind: "index".into(),
            version,
            expires,
            adapters: BTreeMap::new(),
            publishers: BTreeMap::new(),
        }
    }

    /// Opens and parses an index envelope signed by a threshold of `keys`.
    pub fn verify(
        bytes: &[u8],
        keys: &[PublicKey],
        threshold: usize,
    ) -> Result<Index, RegistryRefusal> {
        let env = Envelope::parse(bytes, "index.json")?;
        let payload = env.open(ROLE, keys, threshold, "the index")?;
        Self::parse_payload(&payload)
    }

    /// Parses an index payload (already verified, or from the publisher's own folder).
    pub fn parse_payload(payload: &[u8]) -> Result<Index, RegistryRefusal> {
        let index: Index = serde_json::from_slice(payload)
            .map_err(|e| RegistryRefusal::Malformed(format!("index is not valid: {e}")))?;
        if index.kind != "index" {
            return Err(RegistryRefusal::Malformed(format!(
                "a `{}` document was served where the index belongs",
                index.kind
            )));
        }
        for (id, key) in &index.publishers {
            PublicKey::from_hex(key).map_err(|e| {
                RegistryRefusal::Malformed(format!("the publisher named for `{id}`: {e}"))
            })?;
        }
        for (id, entries) in &index.adapters {
            for e in entries {
                check_path(&e.path)
                    .map_err(|m| RegistryRefusal::Malformed(format!("{id} {}: {m}", e.version)))?;
            }
        }
        Ok(index)
    }

    /// Refuses an expired index.
    pub fn check_expiry(&self, registry: &str) -> Result<(), RegistryRefusal> {
        check_not_expired(&self.expires).map_err(|expired| RegistryRefusal::Expired {
            registry: registry.to_string(),
            what: format!("index version {}", self.version),
            expired,
        })
    }

    /// The entry for `id` at exactly `version`.
    pub fn entry(&self, id: &str, version: &Version) -> Option<&Entry> {
        self.adapters
            .get(id)?
            .iter()
            .find(|e| &e.version == version)
    }
}

/// A download path must stay inside the registry: relative, no `..`, no backslashes.
pub fn check_path(path: &str) -> Result<(), String> {
    let ok = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains(':')
        && path
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..");
    if ok {
        Ok(())
    } else {
        Err(format!("download path `{path}` leaves the registry"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Download paths must be plain relative paths inside the registry.
    #[test]
    fn paths_stay_inside() {
        assert!(check_path("packages/a/a-1.0.0.ehrpkg").is_ok());
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "c:\\x",
            "http://evil/x",
        ] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }
}
