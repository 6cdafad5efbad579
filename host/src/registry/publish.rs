//! The publisher's side: a registry folder created, filled and re-signed with the
//! registry keys (`ehr-host registry init|publish|yank|rotate`). The folder can then be
//! served by any static web server, object store or shared drive.

use super::index::{Entry, Index};
use super::root::{Root, ROLE as ROOT_ROLE};
use super::signed::Envelope;
use super::{expires_in, index};
use crate::fsutil::write_atomic;
use crate::package::format::{sha256_hex, Package, SignatureBlock};
use crate::package::{Manifest, PublicKey, SecretKey};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A registry folder on the publisher's machine.
#[derive(Debug, Clone)]
pub struct RegistryDir {
    dir: PathBuf,
}

/// What `publish` added.
#[derive(Debug, Clone)]
pub struct Published {
    /// The package's manifest.
    pub manifest: Manifest,
    /// The index entry.
    pub entry: Entry,
    /// The new index version.
    pub index_version: u64,
}

impl RegistryDir {
    /// Creates a registry in `dir` (which must not hold one yet) with `keys` as registry
    /// keys, of which `threshold` must sign; the root expires after `root_expiry`, the
    /// first (empty) index after `index_expiry`.
    pub fn init(
        dir: &Path,
        keys: &[&SecretKey],
        threshold: usize,
        root_expiry: Duration,
        index_expiry: Duration,
    ) -> Result<RegistryDir> {
        if dir.join("root.json").exists() {
            bail!(
                "{} already holds a registry (root.json exists)",
                dir.display()
            );
        }
        if keys.is_empty() || threshold == 0 || threshold > keys.len() {
            bail!(
                "a threshold of {threshold} needs between 1 and {} keys given with --key",
                keys.len()
            );
        }
        let root = Root {
            kind: "root".into(),
            version: 1,
            threshold,
            keys: keys.iter().map(|k| k.public().to_hex()).collect(),
            expires: expires_in(root_expiry),
        };
        let reg = RegistryDir {
            dir: dir.to_path_buf(),
        };
        reg.write_root(&root, keys)?;
        reg.write_index(&Index::empty(1, expires_in(index_expiry)), keys)?;
        Ok(reg)
    }

    /// Opens the registry in `dir`.
    pub fn open(dir: &Path) -> Result<RegistryDir> {
        if !dir.join("root.json").is_file() {
            bail!(
                "{} is not a registry (no root.json); create one with `ehr-host registry init`",
                dir.display()
            );
        }
        Ok(RegistryDir {
            dir: dir.to_path_buf(),
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The current root.
    pub fn root(&self) -> Result<Root> {
        let bytes = std::fs::read(self.dir.join("root.json"))?;
        Ok(Root::from_trusted(&bytes)?)
    }

    /// The current index (as written here; not verified).
    pub fn index(&self) -> Result<Index> {
        let bytes = std::fs::read(self.dir.join("index.json"))?;
        let env = Envelope::parse(&bytes, "index.json")?;
        Ok(Index::parse_payload(&env.payload_unverified()?)?)
    }

    fn write_root(&self, root: &Root, signers: &[&SecretKey]) -> Result<()> {
        let env = Envelope::sign(ROOT_ROLE, &serde_json::to_vec_pretty(root)?, signers);
        let bytes = env.to_bytes();
        write_atomic(
            &self
                .dir
                .join("roots")
                .join(format!("{}.json", root.version)),
            &bytes,
        )?;
        write_atomic(&self.dir.join("root.json"), &bytes)
    }

    /// Checks that `keys` reach the root's threshold.
    fn check_signers(&self, keys: &[&SecretKey]) -> Result<Root> {
        let root = self.root()?;
        let valid = keys
            .iter()
            .filter(|k| root.keys.contains(&k.public().to_hex()))
            .count();
        if valid < root.threshold {
            bail!(
                "the index needs signatures from {} of the registry's {} keys; {valid} of the keys given are registry keys",
                root.threshold,
                root.keys.len()
            );
        }
        Ok(root)
    }

    /// Signs and writes `index` as it is (its version and expiry are the caller's).
    /// Tests use this to build stale or expired indexes.
    pub fn write_index(&self, index: &Index, keys: &[&SecretKey]) -> Result<()> {
        let env = Envelope::sign(index::ROLE, &serde_json::to_vec_pretty(index)?, keys);
        write_atomic(&self.dir.join("index.json"), &env.to_bytes())
    }

    /// Bumps the index version, sets a new expiry and signs it.
    fn commit(&self, mut index: Index, keys: &[&SecretKey], expiry: Duration) -> Result<u64> {
        self.check_signers(keys)?;
        index.version += 1;
        index.expires = expires_in(expiry);
        self.write_index(&index, keys)?;
        Ok(index.version)
    }

    /// Adds a signed package: copies it under `packages/` and lists it in a new index
    /// version. The package must carry a valid publisher signature; a version already
    /// published is refused (publish a new version instead).
    pub fn publish(
        &self,
        package: &[u8],
        keys: &[&SecretKey],
        expiry: Duration,
    ) -> Result<Published> {
        self.check_signers(keys)?;
        let parsed = Package::parse(package).map_err(anyhow::Error::msg)?;
        let manifest = Manifest::parse(&parsed.manifest).map_err(anyhow::Error::msg)?;
        if parsed.signature.is_empty() {
            bail!(
                "{} {} is unsigned; sign it with `ehr-host sign` first",
                manifest.id,
                manifest.version
            );
        }
        let block: SignatureBlock = serde_json::from_slice(&parsed.signature)
            .context("the package's signature block is not valid")?;
        let publisher = PublicKey::from_hex(&block.key)?;
        if !publisher.verify(&parsed.signed_message(), &block.signature) {
            bail!("the package's signature does not match its contents; sign it again");
        }
        let mut index = self.index()?;
        if let Some(named) = index.publishers.get(&manifest.id) {
            if *named != publisher.to_hex() {
                bail!(
                    "this registry names ed25519:{} as the only publisher of `{}`; {} {} is signed by {}: agents would refuse it",
                    named.get(..16).unwrap_or(named),
                    manifest.id,
                    manifest.id,
                    manifest.version,
                    publisher.short()
                );
            }
        }
        let versions = index.adapters.entry(manifest.id.clone()).or_default();
        if let Some(e) = versions.iter().find(|e| e.version == manifest.version) {
            bail!(
                "{} {} is already published (sha256 {}); publish a new version number",
                manifest.id,
                manifest.version,
                &e.sha256[..12]
            );
        }
        let rel = format!("packages/{0}/{0}-{1}.ehrpkg", manifest.id, manifest.version);
        write_atomic(&self.dir.join(&rel), package)?;
        let entry = Entry {
            version: manifest.version.clone(),
            contract: manifest.contract.clone(),
            ehr: manifest.ehr.clone(),
            description: manifest.description.clone(),
            sha256: sha256_hex(package),
            size: package.len() as u64,
            publisher: publisher.to_hex(),
            path: rel,
            yanked: false,
            yank_reason: None,
        };
        versions.push(entry.clone());
        versions.sort_by(|a, b| a.version.cmp(&b.version));
        let index_version = self.commit(index, keys, expiry)?;
        Ok(Published {
            manifest,
            entry,
            index_version,
        })
    }

    /// Marks `id` `version` as yanked: agents will not install it again.
    pub fn yank(
        &self,
        id: &str,
        version: &semver::Version,
        reason: &str,
        keys: &[&SecretKey],
        expiry: Duration,
    ) -> Result<u64> {
        let mut index = self.index()?;
        let entry = index
            .adapters
            .get_mut(id)
            .and_then(|v| v.iter_mut().find(|e| &e.version == version))
            .with_context(|| format!("{id} {version} is not in this registry"))?;
        if entry.yanked {
            bail!("{id} {version} is already yanked");
        }
        entry.yanked = true;
        entry.yank_reason = Some(reason.to_string());
        self.commit(index, keys, expiry)
    }

    /// Names `publisher` as the only key that may publish `id` (in a new index version):
    /// agents refuse versions of `id` signed by any other key, published before or after.
    /// Returns the new index version and the versions already published by other keys.
    pub fn set_publisher(
        &self,
        id: &str,
        publisher: &PublicKey,
        keys: &[&SecretKey],
        expiry: Duration,
    ) -> Result<(u64, Vec<semver::Version>)> {
        let mut index = self.index()?;
        let others = index
            .adapters
            .get(id)
            .into_iter()
            .flatten()
            .filter(|e| e.publisher != publisher.to_hex())
            .map(|e| e.version.clone())
            .collect();
        index.publishers.insert(id.to_string(), publisher.to_hex());
        Ok((self.commit(index, keys, expiry)?, others))
    }

    /// Signs the index again with a new version and expiry, changing nothing else (run it
    /// regularly so agents never see an expired index).
    pub fn refresh(&self, keys: &[&SecretKey], expiry: Duration) -> Result<u64> {
        let index = self.index()?;
        self.commit(index, keys, expiry)
    }

    /// Rotates the registry keys: a new root listing `new_keys` with `threshold`, signed by
    /// a threshold of the current keys (`old_keys`) and of the new ones; the index is then
    /// re-signed with the new keys.
    pub fn rotate(
        &self,
        old_keys: &[&SecretKey],
        new_keys: &[&SecretKey],
        threshold: usize,
        root_expiry: Duration,
        index_expiry: Duration,
    ) -> Result<Root> {
        let current = self.check_signers(old_keys)?;
        if new_keys.is_empty() || threshold == 0 || threshold > new_keys.len() {
            bail!(
                "a threshold of {threshold} needs between 1 and {} new keys",
                new_keys.len()
            );
        }
        let next = Root {
            kind: "root".into(),
            version: current.version + 1,
            threshold,
            keys: new_keys.iter().map(|k| k.public().to_hex()).collect(),
            expires: expires_in(root_expiry),
        };
        let mut signers: Vec<&SecretKey> = old_keys.to_vec();
        signers.extend_from_slice(new_keys);
        self.write_root(&next, &signers)?;
        let index = self.index()?;
        self.commit(index, new_keys, index_expiry)?;
        Ok(next)
    }
}
