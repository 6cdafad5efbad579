//! The agent's side of a registry: registries added, a verified refresh of each one's root
//! and index, and package downloads checked against the index.
//!
//! ```text
//! <home>/registries/list.json          [{"name": "acme", "url": "https://…"}]
//! <home>/registries/<name>/root.json   the trusted root (updated only by verified rotation)
//! <home>/registries/<name>/index.json  the last verified index: its version is the highest
//!                                      seen, and it serves offline installs
//! ```
//!
//! A new root replaces the trusted one only after the whole rotation chain verified and
//! the newest root passed every check (signatures, version, expiry): a refused root is
//! never saved. What the index says in words (EHR names, descriptions, yank reasons,
//! publisher keys) is the registry's text, made safe to show before anyone sees it, and
//! entries under an id no adapter could have are left out.

use super::cache::PackageCache;
use super::fetch::{fetch, FetchError, Location};
use super::index::Index;
use super::resolve::Candidate;
use super::root::Root;
use super::signed::Envelope;
use super::{RegistryRefusal, MAX_INDEX_BYTES, MAX_ROOT_BYTES, MAX_ROTATIONS};
use crate::fsutil::write_atomic;
use crate::home::Home;
use crate::package::format::{sha256_hex, MAX_PACKAGE_BYTES};
use crate::package::PublicKey;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A registry this host pulls from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistryRef {
    /// Short name (`acme`), used in messages and folder names.
    pub name: String,
    /// Its address: `http(s)://…`, `file://…` or a folder.
    pub url: String,
}

/// A verified index, fresh or (when the registry is unreachable) the last one verified.
#[derive(Debug, Clone)]
pub struct Refreshed {
    /// The registry's name.
    pub name: String,
    /// The index.
    pub index: Index,
    /// Why the cached index was used, when the registry could not be reached.
    pub offline: Option<String>,
}

/// Registries of one host home.
pub struct RegistryClient {
    home: Home,
    http: reqwest::Client,
    cache: PackageCache,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && !name.starts_with('.')
}

/// `index` with its words made safe to show (one line each, bounded), and without the
/// entries under an id no adapter could have (a manifest would refuse it).
fn shown(mut index: Index, registry: &str) -> Index {
    use crate::untrusted::{clean, LABEL, MESSAGE};
    index.adapters.retain(|id, _| {
        let valid = crate::package::manifest::valid_id(id);
        if !valid {
            tracing::warn!(registry, id = %clean(id, LABEL), "index lists an adapter id that is not valid; its entries are ignored");
        }
        valid
    });
    for entry in index.adapters.values_mut().flatten() {
        entry.ehr = clean(&entry.ehr, LABEL);
        entry.description = clean(&entry.description, MESSAGE);
        entry.publisher = clean(&entry.publisher, LABEL);
        entry.yank_reason = entry.yank_reason.as_deref().map(|r| clean(r, MESSAGE));
    }
    index
}

impl RegistryClient {
    /// The registries of `home`.
    pub fn new(home: &Home) -> Result<RegistryClient> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("ehr-host/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the HTTP client")?;
        Ok(RegistryClient {
            home: home.clone(),
            http,
            cache: PackageCache::new(home.packages()),
        })
    }

    fn list_path(&self) -> PathBuf {
        self.home.registries().join("list.json")
    }

    fn dir(&self, name: &str) -> PathBuf {
        self.home.registries().join(name)
    }

    /// The registries added, in the order they were added.
    pub fn list(&self) -> Result<Vec<RegistryRef>> {
        match std::fs::read(self.list_path()) {
            Ok(b) => serde_json::from_slice(&b)
                .with_context(|| format!("{} is corrupt", self.list_path().display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    /// Saved owner-only: a registry URL may carry a user name and password for a
    /// registry behind basic authentication.
    fn save_list(&self, list: &[RegistryRef]) -> Result<()> {
        crate::fsutil::write_atomic_private(&self.list_path(), &serde_json::to_vec_pretty(list)?)
    }

    /// Adds the registry at `url`: fetches its root, verifies it is signed by a threshold
    /// of its own keys and lists every `pinned` key (trust on first use when none is
    /// pinned), then fetches and verifies its index.
    pub async fn add(
        &self,
        url: &str,
        name: Option<&str>,
        pinned: &[PublicKey],
    ) -> Result<(RegistryRef, Root, Refreshed)> {
        let loc = Location::parse(url)?;
        let name = match name {
            Some(n) => n.to_string(),
            None => match &loc {
                Location::Http(u) => u.host_str().unwrap_or("registry").to_string(),
                Location::Dir(d) => d
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_else(|| "registry".into()),
            },
        };
        if !valid_name(&name) {
            bail!(
                "`{name}` cannot name a registry: use letters, digits, `-`, `_` and `.` (--name)"
            );
        }
        let mut list = self.list()?;
        if list.iter().any(|r| r.name == name) {
            bail!("a registry named `{name}` is already added; pick another --name or `ehr-host registry remove {name}`");
        }
        let bytes = fetch(&self.http, &loc, "root.json", MAX_ROOT_BYTES)
            .await
            .with_context(|| format!("cannot add registry `{url}`"))?;
        let root = Root::verify_initial(&bytes, pinned)?;
        root.check_expiry(&name)?;
        write_atomic(&self.dir(&name).join("root.json"), &bytes)?;
        let reg = RegistryRef {
            name: name.clone(),
            url: url.to_string(),
        };
        let refreshed = match self.refresh(&reg).await {
            Ok(r) => r,
            Err(e) => {
                let _ = std::fs::remove_dir_all(self.dir(&name));
                return Err(e);
            }
        };
        list.push(reg.clone());
        self.save_list(&list)?;
        let root = self.trusted_root(&name)?;
        Ok((reg, root, refreshed))
    }

    /// Forgets a registry (installed adapters stay).
    pub fn remove(&self, name: &str) -> Result<()> {
        let mut list = self.list()?;
        let before = list.len();
        list.retain(|r| r.name != name);
        if list.len() == before {
            bail!("no registry named `{name}` (see `ehr-host registry list`)");
        }
        self.save_list(&list)?;
        let _ = std::fs::remove_dir_all(self.dir(name));
        Ok(())
    }

    fn trusted_root(&self, name: &str) -> Result<Root> {
        let path = self.dir(name).join("root.json");
        let bytes = std::fs::read(&path).with_context(|| {
            format!(
                "registry `{name}` has no trusted root ({}); remove it and add it again",
                path.display()
            )
        })?;
        Ok(Root::from_trusted(&bytes)?)
    }

    /// The last verified index of `name`, and its envelope payload, if any.
    fn seen_index(&self, name: &str) -> Result<Option<(Index, Vec<u8>)>> {
        match std::fs::read(self.dir(name).join("index.json")) {
            Ok(b) => {
                let payload = Envelope::parse(&b, "index.json")?.payload_unverified()?;
                Ok(Some((Index::parse_payload(&payload)?, payload)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn offline(&self, reg: &RegistryRef, why: String) -> Result<Refreshed> {
        match self.seen_index(&reg.name)? {
            Some((index, _)) => {
                index.check_expiry(&reg.name)?;
                Ok(Refreshed {
                    name: reg.name.clone(),
                    index: shown(index, &reg.name),
                    offline: Some(why),
                })
            }
            None => bail!(
                "registry `{}` is unreachable ({why}) and nothing from it is cached",
                reg.name
            ),
        }
    }

    /// Fetches and verifies `reg`'s root rotations and index. Refuses (with a
    /// [`RegistryRefusal`]) a badly signed, expired, rolled-back or reused-version index;
    /// when the registry cannot be reached, falls back to the last verified index while it
    /// has not expired.
    pub async fn refresh(&self, reg: &RegistryRef) -> Result<Refreshed> {
        let loc = Location::parse(&reg.url)?;
        let trusted = self.trusted_root(&reg.name)?;
        // Follow the rotation chain in memory; `rotated` holds the newest root's bytes.
        let mut root = trusted.clone();
        let mut rotated: Option<Vec<u8>> = None;
        for _ in 0..MAX_ROTATIONS {
            let rel = format!("roots/{}.json", root.version + 1);
            match fetch(&self.http, &loc, &rel, MAX_ROOT_BYTES).await {
                Ok(bytes) => {
                    root = root.verify_next(&bytes)?;
                    rotated = Some(bytes);
                }
                Err(FetchError::NotFound(_)) => break,
                Err(FetchError::Unreachable(why)) => return self.offline(reg, why),
                Err(FetchError::Refused(r)) => return Err(r.into()),
            }
        }
        // Only a root that passed every check, expiry included, becomes the trusted one.
        root.check_expiry(&reg.name)?;
        if let Some(bytes) = rotated {
            write_atomic(&self.dir(&reg.name).join("root.json"), &bytes)?;
            tracing::info!(registry = %reg.name, from = trusted.version, to = root.version, "registry keys rotated");
        }
        let bytes = match fetch(&self.http, &loc, "index.json", MAX_INDEX_BYTES).await {
            Ok(b) => b,
            Err(FetchError::Refused(r)) => return Err(r.into()),
            Err(e) => return self.offline(reg, e.to_string()),
        };
        let index = Index::verify(&bytes, &root.public_keys()?, root.threshold)?;
        if let Some((seen, seen_payload)) = self.seen_index(&reg.name)? {
            if index.version < seen.version {
                return Err(RegistryRefusal::Rollback {
                    registry: reg.name.clone(),
                    seen: seen.version,
                    got: index.version,
                }
                .into());
            }
            let payload = Envelope::parse(&bytes, "index.json")?.payload_unverified()?;
            if index.version == seen.version && payload != seen_payload {
                return Err(RegistryRefusal::VersionReused {
                    registry: reg.name.clone(),
                    version: index.version,
                }
                .into());
            }
        }
        index.check_expiry(&reg.name)?;
        write_atomic(&self.dir(&reg.name).join("index.json"), &bytes)?;
        Ok(Refreshed {
            name: reg.name.clone(),
            index: shown(index, &reg.name),
            offline: None,
        })
    }

    /// Refreshes every registry; each result on its own.
    pub async fn refresh_all(&self) -> Result<Vec<(RegistryRef, Result<Refreshed>)>> {
        let mut out = Vec::new();
        for reg in self.list()? {
            let r = self.refresh(&reg).await;
            out.push((reg, r));
        }
        Ok(out)
    }

    /// The package of `c`: from the cache when present, else downloaded from its registry.
    /// Refuses a package larger than the index says or whose SHA-256 differs.
    pub async fn download(&self, c: &Candidate) -> Result<Vec<u8>> {
        if let Some(bytes) = self.cache.get(&c.entry.sha256) {
            return Ok(bytes);
        }
        let reg = self
            .list()?
            .into_iter()
            .find(|r| r.name == c.registry)
            .with_context(|| format!("registry `{}` is no longer added", c.registry))?;
        let loc = Location::parse(&reg.url)?;
        let limit = c.entry.size.min(MAX_PACKAGE_BYTES as u64);
        let bytes = fetch(&self.http, &loc, &c.entry.path, limit)
            .await
            .map_err(|e| match e {
                FetchError::Refused(r) => anyhow::Error::from(r),
                other => anyhow::anyhow!(
                    "cannot download {} {} from `{}` and it is not in the package cache: {other}",
                    c.id,
                    c.entry.version,
                    reg.name
                ),
            })?;
        let got = sha256_hex(&bytes);
        if got != c.entry.sha256 || bytes.len() as u64 != c.entry.size {
            return Err(RegistryRefusal::HashMismatch {
                id: c.id.clone(),
                version: c.entry.version.to_string(),
                expected: c.entry.sha256.chars().take(12).collect(),
                got: got[..12].to_string(),
            }
            .into());
        }
        self.cache.put(&bytes)?;
        Ok(bytes)
    }
}
