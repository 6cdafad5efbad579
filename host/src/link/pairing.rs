//! Pairing from the agent's side: the code, the new device key's public half and the
//! hub's answer, kept in `<home>/link.json` (the hub's URL, the pinned fingerprint, who
//! this agent is at the hub, and the intervals). No secret is in that file: the device
//! key is, and it never leaves the computer.

use super::client::{self, CallError};
use super::pin::Fingerprint;
use super::protocol::{normalize_code, Intervals, PairRequest, Paired};
use crate::home::Home;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// This agent's pairing with a hub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pairing {
    /// The hub's URL (`https://hub.example.org:8443`).
    pub hub: String,
    /// The hub certificate's fingerprint, when pinned (a self-signed hub).
    pub fingerprint: Option<Fingerprint>,
    /// This agent's id at the hub.
    pub agent_id: String,
    /// Its practice.
    pub practice_id: String,
    /// The practice's name.
    pub practice_name: String,
    /// When the pairing expires (ms), if it does.
    pub expires_ms: Option<u64>,
    /// The intervals the hub chose at pairing.
    pub intervals: Intervals,
    /// Paired at (ms).
    pub paired_ms: u64,
}

/// The pairing file in `home`.
pub fn path(home: &Home) -> PathBuf {
    home.root().join("link.json")
}

/// The pairing in `home`, if it is paired.
pub fn load(home: &Home) -> Result<Option<Pairing>> {
    let p = path(home);
    match std::fs::read_to_string(&p) {
        Ok(text) => Ok(Some(serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a pairing file; pair again (`ehr-host pair CODE --hub URL`)",
                p.display()
            )
        })?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", p.display())),
    }
}

/// A hub URL as given, checked: HTTPS (the link is encrypted), no path.
pub fn hub_url(given: &str) -> Result<String> {
    let url = url::Url::parse(given.trim())
        .with_context(|| format!("`{given}` is not a URL (like https://hub.example.org:8443)"))?;
    if url.scheme() != "https" {
        bail!("the hub's URL must start with https:// (the link is always encrypted): `{given}`");
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// The name the hub shows for this computer when none is given.
pub fn computer_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "ehr-host agent".into())
}

/// Pairs `home` with the hub at `hub` using `code`: makes the device key (if none),
/// sends its public half, and records the pairing. A refused code says why.
pub async fn pair(
    home: &Home,
    code: &str,
    hub: &str,
    fingerprint: Option<Fingerprint>,
    name: Option<String>,
) -> Result<Pairing> {
    let code = normalize_code(code).map_err(anyhow::Error::msg)?;
    let hub = hub_url(hub)?;
    std::fs::create_dir_all(home.root())?;
    let key = super::device::load_or_create(&super::device::path(home))?;
    let request = PairRequest {
        code,
        public_key: key.public().to_hex(),
        name: name.unwrap_or_else(computer_name),
        version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let http = client::http(fingerprint)?;
    let paired: Paired = match client::pair(&http, &hub, &request).await {
        Ok(p) => p,
        Err(CallError::Refused { error, .. }) => bail!(
            "the hub refused the pairing: {}",
            crate::untrusted::clean(&error.message, 400)
        ),
        Err(CallError::Transport(why)) => bail!("cannot reach the hub at {hub}: {why}"),
    };
    let pairing = Pairing {
        hub,
        fingerprint,
        agent_id: paired.agent_id,
        practice_id: paired.practice_id,
        practice_name: crate::untrusted::clean(&paired.practice_name, 120),
        expires_ms: paired.expires_ms,
        intervals: paired.intervals,
        paired_ms: crate::jobs::Clock::now_ms(&crate::jobs::SystemClock),
    };
    crate::fsutil::write_atomic(
        &path(home),
        serde_json::to_string_pretty(&pairing)?.as_bytes(),
    )?;
    Ok(pairing)
}
