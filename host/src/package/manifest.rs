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

    /// True when `id` is spelled as an adapter id may be ([`valid_id`]).
    pub fn valid_id(id: &str) -> bool {
        valid_id(id)
    }

    /// Checks every field: the id's spelling, and that each text field is plain (no
    /// control characters, escape sequences or line breaks: it will be shown on terminals,
    /// in logs and on web pages) and within its limit. Applied when a package is signed
    /// and every time one is verified. The message names the field and the limit.
    pub fn check(&self) -> Result<(), String> {
        if !valid_id(&self.id) {
            return Err(format!(
                "manifest id `{}` is not valid: use 1-{MAX_ID} lower-case letters, digits and `-`",
                crate::untrusted::clean(&self.id, crate::untrusted::LABEL)
            ));
        }
        text("version", &self.version.to_string(), 1, MAX_VERSION)?;
        text("contract", &self.contract.to_string(), 1, MAX_VERSION)?;
        // May be empty: `registry::resolve` checks an id with an otherwise blank manifest.
        text("ehr", &self.ehr, 0, MAX_EHR)?;
        text("description", &self.description, 0, MAX_DESCRIPTION)?;
        self.capabilities.check()
    }
}

/// True when `id` is spelled as an adapter id: 1-[`MAX_ID`] lower-case letters, digits
/// and `-`, not starting with `-`.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
}

/// Longest adapter id, characters.
pub const MAX_ID: usize = 64;
/// Longest version string (the adapter's and the contract's), characters.
pub const MAX_VERSION: usize = 64;
/// Longest EHR name, characters.
pub const MAX_EHR: usize = 100;
/// Longest description, characters.
pub const MAX_DESCRIPTION: usize = 1000;
/// Longest origin pattern, characters.
pub const MAX_ORIGIN: usize = 256;
/// Most origin patterns and most database labels one manifest may request.
pub const MAX_REQUESTS: usize = 32;

impl Requested {
    fn check(&self) -> Result<(), String> {
        count("capabilities.http", self.http.len())?;
        count("capabilities.databases", self.databases.len())?;
        for origin in &self.http {
            text("capabilities.http", origin, 1, MAX_ORIGIN)?;
            let shaped = origin.starts_with("http://")
                || origin.starts_with("https://")
                || origin.starts_with("config:");
            if !shaped || origin.contains(char::is_whitespace) {
                return Err(format!(
                    "manifest field `capabilities.http` holds `{origin}`, which is neither an origin (`https://host[:port]`) nor `config:KEY`"
                ));
            }
        }
        for label in &self.databases {
            let ok = !label.is_empty()
                && label.len() <= MAX_ID
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
            if !ok {
                return Err(format!(
                    "manifest field `capabilities.databases` holds `{}`, which is not a database label: use 1-{MAX_ID} lower-case letters, digits, `-` and `_`",
                    crate::untrusted::clean(label, crate::untrusted::LABEL)
                ));
            }
        }
        Ok(())
    }
}

/// `Err` naming `field` when `value` is shorter than `min` or longer than `max`
/// characters, or holds anything that is not plain text.
fn text(field: &str, value: &str, min: usize, max: usize) -> Result<(), String> {
    let len = value.chars().count();
    if len > max {
        return Err(format!(
            "manifest field `{field}` is {len} characters long; the limit is {max}"
        ));
    }
    if len < min {
        return Err(format!("manifest field `{field}` is empty"));
    }
    if !crate::untrusted::is_clean(value) {
        return Err(format!(
            "manifest field `{field}` holds control characters, escape sequences or line breaks (`{}`); it must be plain text of at most {max} characters",
            crate::untrusted::clean(value, crate::untrusted::LABEL)
        ));
    }
    Ok(())
}

fn count(field: &str, n: usize) -> Result<(), String> {
    if n > MAX_REQUESTS {
        return Err(format!(
            "manifest field `{field}` lists {n} entries; the limit is {MAX_REQUESTS}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
