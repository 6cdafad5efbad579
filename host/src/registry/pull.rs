//! Pulling adapters from registries into the store: `install <id>[@range]`, `update`,
//! `outdated`. Every package goes through the same checks as a local install (publisher
//! signature, trust, revocation, contract, compile, self-check) after the registry checks
//! (signed index, hash and size, publisher and version as indexed, not yanked).

use super::client::RegistryClient;
use super::index::Index;
use super::pins::Pins;
use super::resolve::{resolve, Candidate};
use super::RegistryRefusal;
use crate::host::Host;
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

/// Downloads (or takes from the cache), checks against the index, and installs `c`.
pub async fn install_candidate(
    host: &Host,
    client: &RegistryClient,
    c: &Candidate,
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
    let (package, outcome) = host.install(&bytes).await?;
    Ok(Pulled {
        package,
        outcome,
        registry: c.registry.clone(),
    })
}

/// Resolves `id` in `req` and installs it; pins the range when `pin` is set.
pub async fn install_spec(
    host: &Host,
    client: &RegistryClient,
    indexes: &Indexes,
    id: &str,
    req: &VersionReq,
    pin: bool,
) -> Result<Pulled> {
    let c = resolve(&indexes.indexes, id, req)?;
    let pulled = install_candidate(host, client, &c).await?;
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
    /// Why nothing fits, when `wanted` is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Installed adapters compared with the registries (those no registry lists are left out).
pub fn outdated(host: &Host, indexes: &Indexes) -> Result<Vec<(Status, Option<Candidate>)>> {
    let pins = Pins::load(host.home.pins())?;
    let mut out = Vec::new();
    for installed in host.store.list()? {
        let listed = indexes
            .indexes
            .iter()
            .any(|(_, i)| i.adapters.contains_key(&installed.id));
        if !listed {
            continue;
        }
        let req = pins.get(&installed.id);
        let wanted = resolve(&indexes.indexes, &installed.id, &req);
        let latest = resolve(&indexes.indexes, &installed.id, &VersionReq::STAR).ok();
        let (wanted, note) = match wanted {
            Ok(c) => (Some(c), None),
            Err(e) => (None, Some(format!("{e:#}"))),
        };
        out.push((
            Status {
                id: installed.id.clone(),
                installed: installed.version.clone(),
                pin: req.to_string(),
                wanted: wanted.as_ref().map(|c| c.entry.version.clone()),
                latest: latest.map(|c| c.entry.version),
                note,
            },
            wanted,
        ));
    }
    Ok(out)
}

/// What `update` did for one adapter.
#[derive(Debug)]
pub enum Updated {
    /// Already at the newest version its pin allows.
    UpToDate(Version),
    /// A newer version was installed.
    Installed(Box<Pulled>),
    /// The newer version was passed over (the caller's `skip` said so).
    Skipped(Version, String),
}

/// Installs the newest pinned version of every installed adapter a registry lists (or of
/// `only`). A version the store was rolled back from is passed over (a newer one is not);
/// `skip(sha256)` lets the agent pass over versions it refused.
pub async fn update(
    host: &Host,
    client: &RegistryClient,
    indexes: &Indexes,
    only: Option<&str>,
    skip: &(dyn Fn(&str) -> Option<String> + Sync),
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
        let rolled_back_from = host.store.get(&status.id)?.previous_version;
        let result = match wanted {
            None => Err(anyhow::anyhow!(status.note.clone().unwrap_or_default())),
            Some(c) if c.entry.version <= status.installed => Ok(Updated::UpToDate(status.installed.clone())),
            // The operator (or the agent) rolled back from exactly this version: do not
            // bring it back behind their back; a newer one is fine.
            Some(c) if rolled_back_from.as_ref() == Some(&c.entry.version) => Ok(Updated::Skipped(
                c.entry.version.clone(),
                format!(
                    "{} was rolled back from; install it again explicitly with `ehr-host install {}@={}`",
                    c.entry.version, status.id, c.entry.version
                ),
            )),
            Some(c) => match skip(&c.entry.sha256) {
                Some(why) => Ok(Updated::Skipped(c.entry.version.clone(), why)),
                None => install_candidate(host, client, &c)
                    .await
                    .map(|p| Updated::Installed(Box::new(p))),
            },
        };
        out.push((status.id, result));
    }
    Ok(out)
}
