//! Why the store refused a change, and why it could not make one right now. Each message
//! says what happened and what to do; in every case nothing was changed.
//!
//! The command line exits 3 for a [`StoreRefusal`] (like any refused package) and 7 for
//! [`StoreBusy`] (another operation on the same adapter: look, then run it again).

use semver::Version;

/// A publisher key as messages show it: short form and the name the trust store gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyLabel {
    /// `ed25519:` and the first 16 hex characters.
    pub short: String,
    /// The trust store's name for it, when it has one.
    pub name: Option<String>,
}

impl std::fmt::Display for KeyLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{} ({})", self.short, n),
            None => write!(f, "{}", self.short),
        }
    }
}

/// A change the store refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreRefusal {
    /// The version is installed already, with other content.
    #[error("refused: {id} {version} is already installed with different content (installed sha256 {installed}, new {new}); nothing was changed: the publisher must release a new version number for every change")]
    SameVersionOtherContent {
        /// Adapter id.
        id: String,
        /// The version.
        version: Version,
        /// Installed package hash (short).
        installed: String,
        /// New package hash (short).
        new: String,
    },
    /// The id belongs to another publisher.
    #[error("refused: `{id}` belongs to publisher key {bound}, which installed it first; this package is signed by {got}. Nothing was changed. The grants and credentials under [adapters.{id}] in config.toml were given to {bound}'s code. If the adapter really changed hands, transfer it: `ehr-host install <package> --transfer-from {bound_hex}`")]
    OtherPublisher {
        /// Adapter id.
        id: String,
        /// The key the id belongs to.
        bound: KeyLabel,
        /// Its hex form (what `--transfer-from` takes).
        bound_hex: String,
        /// The key that signed the package.
        got: KeyLabel,
    },
    /// `--transfer-from` named a key the id does not belong to.
    #[error("refused: `{id}` belongs to {bound}, not to the key given with --transfer-from ({named}); nothing was changed")]
    TransferFromWrongKey {
        /// Adapter id.
        id: String,
        /// The key it belongs to.
        bound: KeyLabel,
        /// The key named.
        named: String,
    },
    /// The version was rolled back from.
    #[error("refused: {id} {version} was rolled back on {at}: {reason}. Nothing was changed. A newer version is installed as usual when its publisher releases one; to give {version} another probation anyway (it is rolled back again if it fails), add --retry-rolled-back")]
    RolledBack {
        /// Adapter id.
        id: String,
        /// The version.
        version: Version,
        /// Why it was rolled back.
        reason: String,
        /// When.
        at: String,
    },
}

/// A change the store could not make because of another operation on the same adapter.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreBusy {
    /// Another operation holds the entry's lock.
    #[error("`{id}` is being changed by another operation: {holder}; gave up after waiting {waited_secs}s. Nothing was changed: run this again when it has finished")]
    Locked {
        /// Adapter id.
        id: String,
        /// What the holder said it is doing.
        holder: String,
        /// How long this one waited.
        waited_secs: u64,
    },
    /// Another operation changed the entry while this one prepared its change.
    #[error("`{id}` was changed by another operation while this one ran ({by}, at {at}); it is now on {now}. This operation lost the race and changed nothing: check `ehr-host list`, then run it again if you still want it")]
    ChangedMeanwhile {
        /// Adapter id.
        id: String,
        /// The other operation, as it named itself.
        by: String,
        /// When it made its change.
        at: String,
        /// What the entry is on now.
        now: String,
    },
}
