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
    /// The only publisher key (hex) the registry allows for this id, if it names one.
    pub named_publisher: Option<String>,
}

/// One version offered, with where and under which publisher rule.
struct Offer<'a> {
    registry: &'a str,
    entry: &'a Entry,
    named: Option<&'a String>,
}

impl Offer<'_> {
    fn publisher_ok(&self) -> bool {
        self.named.is_none_or(|n| *n == self.entry.publisher)
    }
}

/// Picks the newest usable version of `id` in `req` across `indexes` (registry name,
/// verified index): not yanked, a contract this host supports, and signed by the
/// publisher the registry names for the id, if it names one. Errors explain every
/// version that was passed over; a range that only yanked versions match is a
/// [`RegistryRefusal::Yanked`], one that only another publisher's versions match a
/// [`RegistryRefusal::NotThePublisher`].
pub fn resolve(indexes: &[(String, Index)], id: &str, req: &VersionReq) -> Result<Candidate> {
    let mut all: Vec<Offer> = indexes
        .iter()
        .flat_map(|(name, idx)| {
            let named = idx.publishers.get(id);
            idx.adapters
                .get(id)
                .into_iter()
                .flatten()
                .map(move |e| Offer {
                    registry: name.as_str(),
                    entry: e,
                    named,
                })
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
    all.sort_by(|a, b| b.entry.version.cmp(&a.entry.version));
    let usable = |o: &&Offer| {
        req.matches(&o.entry.version) && !o.entry.yanked && contract::supports(&o.entry.contract)
    };
    if let Some(o) = all.iter().filter(usable).find(|o| o.publisher_ok()) {
        return Ok(Candidate {
            registry: o.registry.to_string(),
            id: id.to_string(),
            entry: o.entry.clone(),
            named_publisher: o.named.cloned(),
        });
    }
    if let Some(o) = all.iter().find(usable) {
        return Err(RegistryRefusal::NotThePublisher {
            registry: o.registry.to_string(),
            id: id.to_string(),
            version: o.entry.version.to_string(),
            named: short(o.named.map(String::as_str).unwrap_or_default()),
            got: short(&o.entry.publisher),
        }
        .into());
    }
    let mut matching = all.iter().filter(|o| req.matches(&o.entry.version));
    if let Some(o) = matching.find(|o| o.entry.yanked && contract::supports(&o.entry.contract)) {
        return Err(RegistryRefusal::Yanked {
            id: id.to_string(),
            version: o.entry.version.to_string(),
            reason: crate::untrusted::clean(
                o.entry.yank_reason.as_deref().unwrap_or("no reason given"),
                crate::untrusted::MESSAGE,
            ),
        }
        .into());
    }
    let why: Vec<String> = all
        .iter()
        .map(|o| {
            let e = o.entry;
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

fn short(hex: &str) -> String {
    format!("ed25519:{}", hex.get(..16).unwrap_or(hex))
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

    // A registry naming the publisher of an id passes over other keys' versions; when
    // only theirs match, the refusal names both keys.
    #[test]
    fn named_publisher_only() {
        let mut idx = indexes(vec![
            entry("1.0.0", "0.1.0", false),
            entry("1.1.0", "0.1.0", false),
        ]);
        let (good, bad) = ("a".repeat(64), "b".repeat(64));
        let entries = idx[0].1.adapters.get_mut("a").unwrap();
        entries[0].publisher = good.clone();
        entries[1].publisher = bad;
        idx[0].1.publishers.insert("a".into(), good);
        let c = resolve(&idx, "a", &VersionReq::STAR).unwrap();
        assert_eq!(c.entry.version.to_string(), "1.0.0");
        let err = resolve(&idx, "a", &"=1.1.0".parse().unwrap()).unwrap_err();
        let refusal = err.downcast_ref::<RegistryRefusal>().unwrap();
        assert!(
            matches!(refusal, RegistryRefusal::NotThePublisher { .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("ed25519:aaaa") && err.to_string().contains("ed25519:bbbb"),
            "{err}"
        );
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
