//! The adapter registry: a static folder of signed documents and package files that any
//! web server, object store or local directory can serve, and the agent side that pulls
//! from it.
//!
//! ```text
//! root.json                          registry keys + threshold (signed by them)
//! roots/<N>.json                     every root version, for key rotation
//! index.json                         every adapter version: hash, size, publisher, path,
//!                                    contract, yanked; a growing version and an expiry
//! packages/<id>/<id>-<ver>.ehrpkg    the signed packages themselves
//! ```
//!
//! This is a small home-made protocol rather than The Update Framework; see
//! `host/src/registry/README.md` for why, and for each attack and its defence.
//!
//! - [`signed`]: the envelope (payload + ed25519 signatures, threshold check);
//! - [`root`]: registry keys, threshold and rotation;
//! - [`index`]: the signed list of versions;
//! - [`publish`]: the publisher's side (`registry init|publish|yank|rotate`);
//! - [`serve`]: a development static file server on loopback;
//! - [`fetch`]: reading documents and packages over HTTP or from a folder, size-limited;
//! - [`client`]: the agent's side: registries added, verified refresh, package download;
//! - [`cache`]: downloaded packages by hash, for offline installs;
//! - [`resolve`]: picking a version for a pin, and explaining when none fits;
//! - [`pins`]: the version range the operator pinned for each adapter;
//! - [`pull`]: install, update and outdated: registry versions into the store.

pub mod cache;
pub mod client;
pub mod fetch;
pub mod index;
pub mod pins;
pub mod publish;
pub mod pull;
pub mod resolve;
pub mod root;
pub mod serve;
pub mod signed;

use std::time::{Duration, SystemTime};

/// Why a registry document or a package from a registry was refused. Each message names
/// the attack or fault and what to do; nothing is installed when one is raised.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RegistryRefusal {
    /// The document is not well formed.
    #[error("refused: {0}")]
    Malformed(String),
    /// Too few valid signatures from the registry's keys.
    #[error("refused: {what} carries {have} valid signature(s) from the registry's keys; {need} are required: it was tampered with or signed by keys this agent does not trust for this registry")]
    BadSignatures {
        /// What was being verified.
        what: String,
        /// Valid signatures found.
        have: usize,
        /// Signatures required.
        need: usize,
    },
    /// The root does not list a key the operator pinned.
    #[error("refused: the registry's root does not list the pinned key {0}; check the URL and the key the registry operator gave you")]
    RootKeyMismatch(String),
    /// An expired root or index (a freeze attack, or an unmaintained registry).
    #[error("refused: registry `{registry}` serves an expired {what} (it expired {expired}): a freeze attack or an unmaintained registry; the installed version stays, ask the registry operator to re-sign")]
    Expired {
        /// The registry's name.
        registry: String,
        /// What expired.
        what: String,
        /// When.
        expired: String,
    },
    /// An index older than one already seen (a rollback attack or a stale mirror).
    #[error("refused: registry `{registry}` served index version {got}, older than version {seen} this agent has already seen: a rollback attack or a stale mirror; the installed version stays")]
    Rollback {
        /// The registry's name.
        registry: String,
        /// Highest version seen before.
        seen: u64,
        /// Version served now.
        got: u64,
    },
    /// The same index version with different content.
    #[error("refused: registry `{registry}` served index version {version} with content different from the version {version} seen before; index versions must grow with every change")]
    VersionReused {
        /// The registry's name.
        registry: String,
        /// The version.
        version: u64,
    },
    /// A package whose bytes do not match the index.
    #[error("refused: the package of {id} {version} does not match the signed index (sha256 {got}, index says {expected}): it was tampered with or corrupted; nothing was installed")]
    HashMismatch {
        /// Adapter id.
        id: String,
        /// Adapter version.
        version: String,
        /// SHA-256 the index names (short).
        expected: String,
        /// SHA-256 of what was served (short).
        got: String,
    },
    /// More bytes than allowed (endless data).
    #[error("refused: {what} is larger than {limit} bytes; nothing was installed")]
    TooLarge {
        /// What was being downloaded.
        what: String,
        /// The limit.
        limit: u64,
    },
    /// A yanked version was asked for.
    #[error("refused: {id} {version} was yanked by its publisher ({reason}); pick another version (`ehr-host search {id}`)")]
    Yanked {
        /// Adapter id.
        id: String,
        /// Adapter version.
        version: String,
        /// The publisher's reason.
        reason: String,
    },
    /// The index names another key as the only publisher of the adapter.
    #[error("refused: registry `{registry}` names {named} as the only publisher of `{id}`, but {id} {version} is signed by {got}; nothing was installed")]
    NotThePublisher {
        /// The registry's name.
        registry: String,
        /// Adapter id.
        id: String,
        /// Adapter version.
        version: String,
        /// The key the index names (short).
        named: String,
        /// The key that signed the package (short).
        got: String,
    },
    /// The package is not the one the index describes.
    #[error("refused: the package served for {id} {version} {problem}; nothing was installed")]
    NotAsIndexed {
        /// Adapter id.
        id: String,
        /// Adapter version.
        version: String,
        /// What differs.
        problem: String,
    },
}

/// Largest root document accepted, bytes.
pub const MAX_ROOT_BYTES: u64 = 1 << 20;
/// Largest index document accepted, bytes.
pub const MAX_INDEX_BYTES: u64 = 16 << 20;
/// The longest chain of root rotations followed in one refresh.
pub const MAX_ROTATIONS: u64 = 64;

/// Now plus `d`, as RFC 3339 (seconds).
pub fn expires_in(d: Duration) -> String {
    humantime::format_rfc3339_seconds(SystemTime::now() + d).to_string()
}

/// `Err(expires)` when the instant `expires` (RFC 3339) has passed or cannot be read.
pub fn check_not_expired(expires: &str) -> Result<(), String> {
    match humantime::parse_rfc3339_weak(expires) {
        Ok(t) if t > SystemTime::now() => Ok(()),
        Ok(_) => Err(expires.to_string()),
        Err(_) => Err(format!("`{expires}`, which is not a date")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A future instant is not expired; a past one and junk are.
    #[test]
    fn expiry() {
        assert!(check_not_expired(&expires_in(Duration::from_secs(60))).is_ok());
        assert!(check_not_expired("2001-01-01T00:00:00Z").is_err());
        assert!(check_not_expired("soon")
            .unwrap_err()
            .contains("not a date"));
    }
}
