//! The package manifest: who the adapter is and what it asks for.

use serde::{Deserialize, Serialize};

/// What a package says about its adapter. Signed together with the component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Adapter id (`revolution`): lower-case letters, digits and `-`.
    pub id: String,
    /// The adapter's semver version.
    pub version: semver::Version,
    /// The EHR it talks to (`RevolutionEHR`).
    pub ehr: String,
    /// The contract version the component was built against (`0.1.0`).
    pub contract: semver::Version,
    /// One-line description.
    #[serde(default)]
    pub description: String,
    /// What the adapter asks the host for.
    #[serde(default)]
    pub capabilities: Requested,
}

/// Capabilities a package asks for; the operator's config grants a subset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requested {
    /// HTTP origins: literal (`https://api.example.com`), with a wildcard host label or
    /// port (`https://*.example.com`, `http://127.0.0.1:*`), or `config:KEY` for the
    /// origin of the operator's setting `KEY`.
    #[serde(default)]
    pub http: Vec<String>,
    /// Database labels (`ehr`).
    #[serde(default)]
    pub databases: Vec<String>,
}

impl Manifest {
    /// Parses and checks the manifest JSON.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, String> {
        let m: Manifest =
            serde_json::from_slice(bytes).map_err(|e| format!("manifest is not valid: {e}"))?;
        m.check()?;
        Ok(m)
    }

    /// True when the adapter reaches an EHR database on the practice network (it asks
    /// for a database) rather than a cloud EHR over HTTP.
    pub fn is_local(&self) -> bool {
        !self.capabilities.databases.is_empty()
    }

    /// True when `id` is spelled as an adapter id may be: 1-64 lower-case letters,
    /// digits and `-`, not starting with `-`.
    pub fn valid_id(id: &str) -> bool {
        !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !id.starts_with('-')
    }

    /// Checks the id's spelling.
    pub fn check(&self) -> Result<(), String> {
        if !Manifest::valid_id(&self.id) {
            return Err(format!(
                "manifest id `{}` is not valid: use 1-64 lower-case letters, digits and `-`",
                self.id
            ));
        }
        Ok(())
    }
}
