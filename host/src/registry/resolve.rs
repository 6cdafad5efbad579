//! Choosing a version: the newest one that matches the operator's pin, is not yanked and
//! needs a contract this host supports; when none fits, say why for every candidate.

use super::index::{Entry, Index};
use super::RegistryRefusal;
use crate::contract;
use anyhow::{bail, Result};
use semver::VersionReq;

/// `id` or `id@range` as typed by the operator.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// Adapter id.
    pub id: String,
    /// Version range (`*` when none was given).
    pub req: VersionReq,
    /// True when a range was given.
    pub pinned: bool,
}

impl Spec {
    /// Parses `id[@range]` (`revolution`, `revolution@^1.2`, `revolution@=1.2.3`).
    pub fn parse(text: &str) -> Result<Spec> {
        let (id, req, pinned) = match text.split_once('@') {
            Some((id, range)) => {
                let req: VersionReq = range.parse().map_err(|e| {
                    anyhow::anyhow!(
                        "`{range}` is not a semver range (like ^1.2, ~1.2.3, =1.2.3): {e}"
                    )
                })?;
                (id, req, true)
            }
            None => (text, VersionReq::STAR, false),
        };
        let m = crate::package::Manifest {
            id: id.to_string(),
            version: semver::Version::new(0, 0, 0),
            ehr: String::new(),
            contract: semver::Version::new(0, 0, 0),
            description: String::new(),
            capabilities: Default::default(),
        };
        m.check().map_err(anyhow::Error::msg)?;
        Ok(Spec {
            id: id.to_string(),
            req,
            pinned,
        })
    }
}

/// A version chosen for installation.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The registry offering it.
    pub registry: String,
    /// Adapter id.
    pub id: String,
    /// Its index entry.
    pub entry: Entry,
}

/// Picks the newest usable version of `id` in `req` across `indexes` (registry name,
/// verified index). Errors explain every version that was passed over, and a range that
/// only yanked versions match is a [`RegistryRefusal::Yanked`].
pub fn resolve(indexes: &[(String, Index)], id: &str, req: &VersionReq) -> Result<Candidate> {
    let mut all: Vec<(&str, &Entry)> = indexes
        .iter()
        .flat_map(|(name, idx)| {
            idx.adapters
                .get(id)
                .into_iter()
                .flatten()
                .map(move |e| (name.as_str(), e))
        })
        .collect();
    if all.is_empty() {
        let names: Vec<&str> = indexes.iter().map(|(n, _)| n.as_str()).collect();
        bail!(
            "no registry lists an adapter `{id}` (searched: {}); see `ehr-host search`",
            if names.is_empty() {
                "none added; `ehr-host registry add <url>`".to_string()
            } else {
                names.join(", ")
            }
        );
    }
    all.sort_by(|a, b| b.1.version.cmp(&a.1.version));
    if let Some((reg, e)) = all
        .iter()
        .find(|(_, e)| req.matches(&e.version) && !e.yanked && contract::supports(&e.contract))
    {
        return Ok(Candidate {
            registry: reg.to_string(),
            id: id.to_string(),
            entry: (*e).clone(),
        });
    }
    let matching: Vec<&(&str, &Entry)> = all
        .iter()
        .filter(|(_, e)| req.matches(&e.version))
        .collect();
    if let Some((_, e)) = matching
        .iter()
        .find(|(_, e)| e.yanked && contract::supports(&e.contract))
    {
        return Err(RegistryRefusal::Yanked {
            id: id.to_string(),
            version: e.version.to_string(),
            reason: e
                .yank_reason
                .clone()
                .unwrap_or_else(|| "no reason given".into()),
        }
        .into());
    }
    let why: Vec<String> = all
        .iter()
        .map(|(_, e)| {
            let reason = if !req.matches(&e.version) {
                format!("outside {req}")
            } else if e.yanked {
                "yanked".to_string()
            } else {
                format!(
                    "needs host contract {}; update the agent (this host supports {})",
                    e.contract,
                    contract::supported_description()
                )
            };
            format!("{} ({reason})", e.version)
        })
        .collect();
    bail!(
        "no version of `{id}` can be installed for `{req}`: {}",
        why.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(v: &str, contract: &str, yanked: bool) -> Entry {
        Entry {
            version: v.parse().unwrap(),
            contract: contract.parse().unwrap(),
            ehr: String::new(),
            description: String::new(),
            sha256: "0".repeat(64),
            size: 1,
            publisher: String::new(),
            path: "p".into(),
            yanked,
            yank_reason: yanked.then(|| "broken mapping".into()),
        }
    }

    fn indexes(entries: Vec<Entry>) -> Vec<(String, Index)> {
        let mut i = Index::empty(1, String::new());
        i.adapters.insert("a".into(), entries);
        vec![("main".into(), i)]
    }

    // The newest version in range, not yanked, with a supported contract wins.
    #[test]
    fn newest_usable_in_range() {
        let idx = indexes(vec![
            entry("1.0.0", "0.1.0", false),
            entry("1.1.0", "0.1.0", false),
            entry("1.2.0", "0.1.0", true),
            entry("1.3.0", "0.3.0", false),
            entry("2.0.0", "0.1.0", false),
        ]);
        let pick = |r: &str| {
            resolve(&idx, "a", &r.parse().unwrap())
                .unwrap()
                .entry
                .version
                .to_string()
        };
        assert_eq!(pick("^1"), "1.1.0");
        assert_eq!(pick("*"), "2.0.0");
        assert_eq!(pick("=1.0.0"), "1.0.0");
    }

    // When nothing fits, the error names each version and why it was passed over; a pin
    // that only a yanked version matches is refused as yanked.
    #[test]
    fn explains_when_nothing_matches() {
        let idx = indexes(vec![
            entry("1.2.0", "0.1.0", true),
            entry("1.3.0", "0.3.0", false),
        ]);
        let err = resolve(&idx, "a", &"=1.2.0".parse().unwrap()).unwrap_err();
        let refusal = err.downcast_ref::<RegistryRefusal>().unwrap();
        assert!(matches!(refusal, RegistryRefusal::Yanked { .. }), "{err}");
        assert!(err
            .to_string()
            .contains("a 1.2.0 was yanked by its publisher (broken mapping)"));
        let err = resolve(&idx, "a", &"^1.3".parse().unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("1.3.0 (needs host contract 0.3.0; update the agent"),
            "{err}"
        );
        assert!(err.contains("1.2.0 (outside ^1.3)"), "{err}");
        let err = resolve(&idx, "zzz", &VersionReq::STAR)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no registry lists an adapter `zzz`"), "{err}");
    }

    // `id@range` parses; a bad id or range is refused with the reason.
    #[test]
    fn specs() {
        let s = Spec::parse("revolution@^1.2").unwrap();
        assert_eq!((s.id.as_str(), s.pinned), ("revolution", true));
        assert!(!Spec::parse("revolution").unwrap().pinned);
        assert!(Spec::parse("revolution@banana")
            .unwrap_err()
            .to_string()
            .contains("not a semver range"));
        assert!(Spec::parse("Bad_Id").is_err());
    }
}
