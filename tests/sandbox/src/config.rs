//! How a sandbox is set up: which EHR it imitates, which credentials it accepts and how
//! long tokens live.

use std::time::Duration;

/// Which EHR's API a sandbox speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Ehr {
    /// RevolutionEHR-style: exam written section by section (`REVOLUTION-API.md`).
    #[default]
    Revolution,
    /// Eyefinity-style: one clinical document per visit, written whole (`EYEFINITY-API.md`).
    Eyefinity,
}

impl std::str::FromStr for Ehr {
    type Err = String;

    fn from_str(s: &str) -> Result<Ehr, String> {
        match s.to_ascii_lowercase().as_str() {
            "revolution" => Ok(Ehr::Revolution),
            "eyefinity" => Ok(Ehr::Eyefinity),
            other => Err(format!(
                "unknown EHR `{other}`: expected revolution or eyefinity"
            )),
        }
    }
}

/// Dialect, credentials and token lifetime for a [`Sandbox`](crate::Sandbox).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxConfig {
    /// Which EHR's API is served. Defaults to [`Ehr::Revolution`].
    pub ehr: Ehr,
    /// Bearer tokens accepted on `/api/` without going through OAuth, as an EHR's
    /// long-lived API key would be. They never expire by time, only through
    /// [`Sandbox::expire_tokens`](crate::Sandbox::expire_tokens).
    pub static_tokens: Vec<String>,
    /// OAuth2 clients allowed to use the client-credentials grant, as `(client_id, secret)`.
    pub oauth_clients: Vec<(String, String)>,
    /// How long a token issued by `POST /oauth/token` stays valid.
    pub token_ttl: Duration,
}

impl Default for SandboxConfig {
    /// RevolutionEHR, one static token `sandbox-token`, one client `ehr-host` / `sandbox-secret`, one-hour tokens.
    fn default() -> Self {
        SandboxConfig {
            ehr: Ehr::Revolution,
            static_tokens: vec!["sandbox-token".to_string()],
            oauth_clients: vec![("ehr-host".to_string(), "sandbox-secret".to_string())],
            token_ttl: Duration::from_secs(3600),
        }
    }
}
