//! The trust store: publisher keys this host accepts, and keys it has revoked.
//! Revocation wins over trust and applies to installed adapters too: they are verified
//! again every time they are loaded.

use super::keys::PublicKey;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A trusted publisher key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrustedKey {
    /// The public key, hex.
    pub key: String,
    /// Who it belongs to, as the operator named it.
    pub name: String,
    /// When it was added (RFC 3339).
    pub added: String,
}

/// A revoked publisher key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevokedKey {
    /// The public key, hex.
    pub key: String,
    /// Why it was revoked.
    pub reason: String,
    /// When (RFC 3339).
    pub revoked: String,
}

/// The trust store, kept as `trust.json` in the host's home.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct TrustStore {
    /// Keys accepted for packages.
    #[serde(default)]
    pub keys: Vec<TrustedKey>,
    /// Keys refused even if also in `keys`.
    #[serde(default)]
    pub revoked: Vec<RevokedKey>,
    #[serde(skip)]
    path: PathBuf,
}

/// Whether a key may sign packages here.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyStatus {
    /// Trusted, under this name.
    Trusted(String),
    /// Revoked, for this reason.
    Revoked(String),
    /// Not in the store.
    Unknown,
}

impl TrustStore {
    /// Loads the store at `path`; a missing file is an empty store.
    pub fn load(path: &Path) -> Result<TrustStore> {
        let mut store: TrustStore = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("trust store {} is corrupt", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => TrustStore::default(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        store.path = path.to_path_buf();
        Ok(store)
    }

    /// Saves atomically.
    pub fn save(&self) -> Result<()> {
        crate::fsutil::write_atomic(&self.path, &serde_json::to_vec_pretty(self)?)
    }

    /// What the store says about `key`.
    pub fn status(&self, key: &PublicKey) -> KeyStatus {
        let hex = key.to_hex();
        if let Some(r) = self.revoked.iter().find(|r| r.key == hex) {
            return KeyStatus::Revoked(r.reason.clone());
        }
        match self.keys.iter().find(|k| k.key == hex) {
            Some(k) => KeyStatus::Trusted(k.name.clone()),
            None => KeyStatus::Unknown,
        }
    }

    /// Trusts `key` under `name`. Refuses a revoked key: revocation is final.
    pub fn add(&mut self, key: &PublicKey, name: &str) -> Result<()> {
        match self.status(key) {
            KeyStatus::Revoked(reason) => bail!(
                "key {} was revoked ({reason}); a revoked key cannot be trusted again",
                key.short()
            ),
            KeyStatus::Trusted(existing) => {
                bail!("key {} is already trusted as `{existing}`", key.short())
            }
            KeyStatus::Unknown => {}
        }
        self.keys.push(TrustedKey {
            key: key.to_hex(),
            name: name.to_string(),
            added: crate::clock::now_rfc3339(),
        });
        Ok(())
    }

    /// Stops trusting `key` (packages it signed will no longer load).
    pub fn remove(&mut self, key: &PublicKey) -> Result<()> {
        let before = self.keys.len();
        self.keys.retain(|k| k.key != key.to_hex());
        if self.keys.len() == before {
            bail!("key {} is not in the trust store", key.short());
        }
        Ok(())
    }

    /// Revokes `key`: packages it signed are refused, installed or not.
    pub fn revoke(&mut self, key: &PublicKey, reason: &str) -> Result<()> {
        if matches!(self.status(key), KeyStatus::Revoked(_)) {
            bail!("key {} is already revoked", key.short());
        }
        self.revoked.push(RevokedKey {
            key: key.to_hex(),
            reason: reason.to_string(),
            revoked: crate::clock::now_rfc3339(),
        });
        Ok(())
    }
}
