//! What one adapter may reach: the capabilities its manifest requests, intersected with
//! what the operator's config grants. Enforced on every call; refusals name exactly what
//! was refused and where to grant it.

use super::origin;
use crate::config::AdapterConfig;
use crate::package::Manifest;
use std::collections::BTreeMap;

/// The effective grants of one installed adapter.
#[derive(Debug, Clone)]
pub struct Grants {
    /// The adapter id, for messages.
    pub adapter: String,
    requested_http: Vec<String>,
    granted_http: Vec<String>,
    requested_db: Vec<String>,
    granted_db: Vec<String>,
    /// Operator settings, readable by the adapter.
    pub settings: BTreeMap<String, String>,
}

impl Grants {
    /// Intersects `manifest` with the operator's `config`. `config:KEY` patterns in the
    /// manifest resolve to the origin of setting `KEY`.
    pub fn new(manifest: &Manifest, config: &AdapterConfig) -> Grants {
        let requested_http = manifest
            .capabilities
            .http
            .iter()
            .filter_map(|p| match p.strip_prefix("config:") {
                Some(key) => config
                    .settings
                    .get(key)
                    .and_then(|u| origin::of_url(u).ok()),
                None => Some(p.clone()),
            })
            .collect();
        Grants {
            adapter: manifest.id.clone(),
            requested_http,
            granted_http: config.http.clone(),
            requested_db: manifest.capabilities.databases.clone(),
            granted_db: config.databases.clone(),
            settings: config.settings.clone(),
        }
    }

    /// `Ok` with the normalised origin when `parsed` may be requested (`url` is its text
    /// as the adapter gave it, for the messages).
    pub fn check_url(&self, parsed: &url::Url, url: &str) -> Result<String, String> {
        let o = origin::of_parsed(parsed, url)?;
        let requested = self.requested_http.iter().any(|p| origin::matches(p, &o));
        let granted = self.granted_http.iter().any(|p| origin::matches(p, &o));
        match (requested, granted) {
            (true, true) => Ok(o),
            (false, _) => Err(format!(
                "origin {o} is not requested by adapter `{}` (its package asks for: {})",
                self.adapter,
                list(&self.requested_http)
            )),
            (true, false) => Err(format!(
                "origin {o} is not granted to adapter `{}`: add it to `http` under [adapters.{}] in the host config (granted now: {})",
                self.adapter,
                self.adapter,
                list(&self.granted_http)
            )),
        }
    }

    /// `Ok` when database `label` may be used.
    pub fn check_database(&self, label: &str) -> Result<(), String> {
        if !self.requested_db.iter().any(|d| d == label) {
            return Err(format!(
                "database `{label}` is not requested by adapter `{}` (its package asks for: {})",
                self.adapter,
                list(&self.requested_db)
            ));
        }
        if !self.granted_db.iter().any(|d| d == label) {
            return Err(format!(
                "database `{label}` is not granted to adapter `{}`: add it to `databases` under [adapters.{}] in the host config",
                self.adapter, self.adapter
            ));
        }
        Ok(())
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".to_string()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::manifest::Requested;

    fn grants(requested: &[&str], granted: &[&str]) -> Grants {
        let manifest = Manifest {
            id: "rev".into(),
            version: "1.0.0".parse().unwrap(),
            ehr: "Rev".into(),
            contract: "0.1.0".parse().unwrap(),
            description: String::new(),
            capabilities: Requested {
                http: requested.iter().map(|s| s.to_string()).collect(),
                databases: vec!["ehr".into()],
            },
        };
        let mut config = AdapterConfig {
            http: granted.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        config
            .settings
            .insert("base_url".into(), "http://127.0.0.1:7000/api".into());
        Grants::new(&manifest, &config)
    }

    fn check(g: &Grants, url: &str) -> Result<String, String> {
        g.check_url(&origin::parse(url)?, url)
    }

    // Only the intersection is reachable: requested-but-not-granted and
    // granted-but-not-requested are both refused, each with its own message.
    #[test]
    fn intersection_is_enforced() {
        let g = grants(
            &["https://*.rev.com", "config:base_url"],
            &["http://127.0.0.1:7000", "https://evil.com"],
        );
        assert_eq!(
            check(&g, "http://127.0.0.1:7000/x").unwrap(),
            "http://127.0.0.1:7000"
        );
        let e = check(&g, "https://evil.com/").unwrap_err();
        assert!(e.contains("not requested by adapter `rev`"), "{e}");
        let e = check(&g, "https://a.rev.com/").unwrap_err();
        assert!(
            e.contains("not granted") && e.contains("[adapters.rev]"),
            "{e}"
        );
    }

    // Database labels follow the same rule.
    #[test]
    fn databases() {
        let g = grants(&[], &[]);
        assert!(g.check_database("ehr").unwrap_err().contains("not granted"));
        assert!(g
            .check_database("billing")
            .unwrap_err()
            .contains("not requested"));
    }
}
