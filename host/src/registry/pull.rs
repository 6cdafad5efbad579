//! Pulling adapters from registries into the store: `install <id>[@range]`, `update`,
//! `outdated`. Every package goes through the same checks as a local install (publisher
//! signature, trust, revocation, contract, compile, self-check) after the registry checks
//! (signed index, hash and size, publisher and version as indexed, not yanked).

use super::client::RegistryClient;
use super::index::{Entry, Index};
use super::pins::Pins;
use super::resolve::{resolve, Candidate};
use super::RegistryRefusal;
use crate::host::{Host, InstallOptions};
use crate::package::format::{Package, SignatureBlock};
use crate::package::{Manifest, VerifiedPackage};
use crate::store::InstallOutcome;
use anyhow::Result;
use semver::{Version, VersionReq};

/// The verified indexes of every registry, and what went wrong with the others.
pub struct Indexes {
    /// (registry name, verified index).
    pub indexes: Vec<(String, Index)>,
    /// Registries whose index could not be used, with why (refusals included).
    pub problems: Vec<(String, anyhow::Error)>,
    /// Registries served from the last verified index because they were unreachable.
    pub offline: Vec<(String, String)>,
}

impl Indexes {
    /// The first refusal among the problems, if any: an attack signal the caller should
    /// not ignore.
    pub fn refusal(&self) -> Option<&anyhow::Error> {
        self.problems
            .iter()
            .map(|(_, e)| e)
            .find(|e| e.downcast_ref::<RegistryRefusal>().is_some())
    }
}

/// Refreshes and verifies every registry's index.
pub async fn indexes(client: &RegistryClient) -> Result<Indexes> {
    let mut out = Indexes {
        indexes: Vec::new(),
        problems: Vec::new(),
        offline: Vec::new(),
    };
    for (reg, r) in client.refresh_all().await? {
        match r {
            Ok(r) => {
                if let Some(why) = r.offline {
                    out.offline.push((reg.name.clone(), why));
                }
                out.indexes.push((r.name, r.index));
            }
            Err(e) => out.problems.push((reg.name, e)),
        }
    }
    Ok(out)
}

/// What installing from a registry did.
#[derive(Debug)]
pub struct Pulled {
    /// The package installed.
    pub package: VerifiedPackage,
    /// What the store did.
    pub outcome: InstallOutcome,
    /// The registry it came from.
    pub registry: String,
}

/// Downloads (or takes from the cache), checks against the index, and installs `c` with
/// the operator's `options`.
pub async fn install_candidate(
    host: &Host,
    client: &RegistryClient,
    c: &Candidate,
    options: &InstallOptions,
) -> Result<Pulled> {
    let bytes = client.download(c).await?;
    let not_as_indexed = |problem: String| RegistryRefusal::NotAsIndexed {
        id: c.id.clone(),
        version: c.entry.version.to_string(),
        problem,
    };
    let parsed =
        Package::parse(&bytes).map_err(|e| not_as_indexed(format!("is not a package: {e}")))?;
    let manifest = Manifest::parse(&parsed.manifest).map_err(|e| not_as_indexed(e.to_string()))?;
    if manifest.id != c.id || manifest.version != c.entry.version {
        return Err(not_as_indexed(format!("holds {} {}", manifest.id, manifest.version)).into());
    }
    let key = serde_json::from_slice::<SignatureBlock>(&parsed.signature)
        .map(|b| b.key)
        .unwrap_or_default();
    if key != c.entry.publisher {
        return Err(not_as_indexed(format!(
            "is signed by ed25519:{}, not by the publisher the index names (ed25519:{})",
            key.get(..16).unwrap_or("none"),
            c.entry.publisher.get(..16).unwrap_or("?")
        ))
        .into());
    }
    // Resolution already passed over other keys; checked again where the bytes are.
    if let Some(named) = c.named_publisher.as_ref().filter(|n| **n != key) {
        return Err(RegistryRefusal::NotThePublisher {
            registry: c.registry.clone(),
            id: c.id.clone(),
            version: c.entry.version.to_string(),
            named: short(named),
            got: short(&key),
        }
        .into());
    }
    let (package, outcome) = host.install_with(&bytes, options).await?;
    Ok(Pulled {
        package,
        outcome,
        registry: c.registry.clone(),
    })
}

fn short(hex: &str) -> String {
    format!("ed25519:{}", hex.get(..16).unwrap_or(hex))
}

/// Resolves `id` in `req` and installs it; pins the range when `pin` is set.
pub async fn install_spec(
    host: &Host,
    client: &RegistryClient,
    indexes: &Indexes,
    spec: (&str, &VersionReq, bool),
    options: &InstallOptions,
) -> Result<Pulled> {
    let (id, req, pin) = spec;
    let c = resolve(&indexes.indexes, id, req)?;
    let pulled = install_candidate(host, client, &c, options).await?;
    let mut pins = Pins::load(host.home.pins())?;
    if pin || !pins.pins.contains_key(id) {
        pins.set(id, req)?;
    }
    Ok(pulled)
}

/// One adapter's line in `update` and `outdated`.
#[derive(Debug, serde::Serialize)]
pub struct Status {
    /// Adapter id.
    pub id: String,
    /// Installed version.
    pub installed: Version,
    /// The pinned range.
    pub pin: String,
    /// The newest version within the pin that this host can install, if any.
    pub wanted: Option<Version>,
    /// The newest version this host could install ignoring the pin.
    pub latest: Option<Version>,
    /// A newer version that only the pin keeps out (not rolled back from, not waiting).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_back: Option<Version>,
    /// The publisher's reason, when the installed version was yanked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yanked: Option<String>,
    /// Why nothing fits, when `wanted` is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Installed adapters compared with the registries (those no registry lists are left out).
pub fn outdated(host: &Host, indexes: &Indexes) -> Result<Vec<(Status, Option<Candidate>)>> {
    let pins = Pins::load(host.home.pins())?;
    let mut out = Vec::new();
    for installed in host.store.list()? {
        let id = &installed.id;
        let entries: Vec<&Entry> = indexes
            .indexes
            .iter()
            .filter_map(|(_, i)| i.adapters.get(id))
            .flatten()
            .collect();
        if entries.is_empty() {
            continue;
        }
        let req = pins.get(id);
        let (wanted, note) = match resolve(&indexes.indexes, id, &req) {
            Ok(c) => (Some(c), None),
            Err(e) => (None, Some(format!("{e:#}"))),
        };
        let latest = resolve(&indexes.indexes, id, &VersionReq::STAR).ok();
        let passed_over = |c: &Candidate| {
            installed
                .rolled_back
                .iter()
                .any(|r| r.hash == c.entry.sha256)
                || installed
                    .waiting
                    .as_ref()
                    .is_some_and(|w| w.hash == c.entry.sha256)
        };
        let floor = wanted.as_ref().map_or(&installed.version, |w| {
            std::cmp::max(&w.entry.version, &installed.version)
        });
        let held_back = latest
            .as_ref()
            .filter(|l| &l.entry.version > floor && !passed_over(l))
            .map(|l| l.entry.version.clone());
        let yanked = entries
            .iter()
            .find(|e| e.sha256 == installed.hash && e.yanked)
            .map(|e| {
                let reason = e.yank_reason.as_deref().unwrap_or("no reason given");
                crate::untrusted::clean(reason, crate::untrusted::MESSAGE)
            });
        let status = Status {
            id: id.clone(),
            installed: installed.version.clone(),
            pin: req.to_string(),
            wanted: wanted.as_ref().map(|c| c.entry.version.clone()),
            latest: latest.map(|c| c.entry.version),
            held_back,
            yanked,
            note,
        };
        out.push((status, wanted));
    }
    Ok(out)
}

/// What `update` did for one adapter.
#[derive(Debug)]
pub enum Updated {
    /// Already at the newest version its pin allows.
    UpToDate(Version),
    /// A newer version was installed (or, leaving a yanked version, an older one).
    Installed(Box<Pulled>),
    /// The newer version was passed over, with why.
    Skipped(Version, String),
}

/// Installs the newest pinned version of every installed adapter a registry lists (or of
/// `only`), as `by` (words for the store's lock). A version rolled back from, or waiting
/// for its self-check, is passed over (a newer one is not); an installed version that was
/// yanked is left for the newest the pin allows, even an older one.
pub async fn update(
    host: &Host,
    client: &RegistryClient,
    indexes: &Indexes,
    only: Option<&str>,
    by: &str,
) -> Result<Vec<(String, Result<Updated>)>> {
    let mut out = Vec::new();
    let statuses = outdated(host, indexes)?;
    if let Some(id) = only {
        if !statuses.iter().any(|(s, _)| s.id == id) {
            host.store.get(id)?;
            anyhow::bail!("no registry lists the installed adapter `{id}`");
        }
    }
    for (status, wanted) in statuses {
        if only.is_some_and(|id| id != status.id) {
            continue;
        }
        let result = update_one(host, client, &status, wanted, by).await;
        out.push((status.id, result));
    }
    Ok(out)
}

async fn update_one(
    host: &Host,
    client: &RegistryClient,
    status: &Status,
    wanted: Option<Candidate>,
    by: &str,
) -> Result<Updated> {
    let id = &status.id;
    let Some(c) = wanted else {
        let note = status.note.clone().unwrap_or_default();
        return Err(match &status.yanked {
            Some(reason) => anyhow::anyhow!("{id} {} was yanked by its publisher ({reason}), and no other version can replace it: {note}", status.installed),
            None => anyhow::anyhow!(note),
        });
    };
    let v = &c.entry.version;
    if v == &status.installed || (v < &status.installed && status.yanked.is_none()) {
        return Ok(Updated::UpToDate(status.installed.clone()));
    }
    let installed = host.store.get(id)?;
    if let Some(r) = installed
        .rolled_back
        .iter()
        .find(|r| r.hash == c.entry.sha256)
    {
        let why = format!(
            "{v} was rolled back from ({}); a newer version is installed when one is released; to give {v} another probation, install it again with --retry-rolled-back",
            r.reason
        );
        return Ok(Updated::Skipped(v.clone(), why));
    }
    if let Some(w) = installed
        .waiting
        .as_ref()
        .filter(|w| w.hash == c.entry.sha256)
    {
        let why = format!(
            "{v} is installed and waits for its self-check ({})",
            w.reason
        );
        return Ok(Updated::Skipped(v.clone(), why));
    }
    let options = InstallOptions {
        by: Some(format!("{by}: {id} {v}")),
        ..InstallOptions::default()
    };
    let pulled = install_candidate(host, client, &c, &options).await?;
    Ok(Updated::Installed(Box::new(pulled)))
}
