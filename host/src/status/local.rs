//! The agent's status read from its home, as `ehr-host status` and the agent's own
//! status page both show it: what the running agent last wrote (`link-status.json`,
//! `store-status.json`) and whether it is still running.

use super::agent::{AgentStatus, LinkReport, LinkState};
use crate::home::Home;
use crate::link::runner::status_path;
use anyhow::{Context, Result};

/// A report older than this means the agent stopped writing it (it rewrites it at least
/// every heartbeat, and every 64 s while the hub is unreachable).
const STALE_MS: u64 = 120_000;

/// The agent's status in `home` at `now_ms`.
pub fn read(home: &Home, now_ms: u64) -> Result<AgentStatus> {
    let paired = crate::link::pairing::load(home)?.is_some();
    let report: Option<LinkReport> = match std::fs::read_to_string(status_path(home)) {
        Ok(text) => Some(
            serde_json::from_str(&text)
                .with_context(|| format!("{} cannot be read", status_path(home).display()))?,
        ),
        Err(_) => None,
    };
    let running = match &report {
        Some(r) => {
            alive(r.pid)
                && now_ms.saturating_sub(r.written_ms)
                    <= STALE_MS.max(3_000 * u64::from(r.heartbeat_seconds))
        }
        None => agent_pid(home).is_some_and(alive),
    };
    // A report written before the home was paired (or of an earlier pairing) says
    // nothing about the pairing there is now.
    let report = report.filter(|r| paired == (r.link != LinkState::NotPaired));
    let store = std::fs::read(home.root().join("store-status.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| serde_json::from_value(v["health"].clone()).ok())
        .filter(|_| running);
    Ok(AgentStatus::new(report, running, now_ms).with_job_store(store))
}

/// The address of the running agent's local page (`http://127.0.0.1:PORT/`), when it
/// wrote one.
pub fn page_url(home: &Home) -> Option<String> {
    let url = std::fs::read_to_string(home.api_addr()).ok()?;
    let url = url.trim();
    (!url.is_empty()).then(|| format!("{}/", url.trim_end_matches('/')))
}

/// The pid an unpaired running agent wrote to `agent-status.json`.
fn agent_pid(home: &Home) -> Option<u32> {
    let text = std::fs::read_to_string(home.agent_status()).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("pid")?.as_u64().map(|p| p as u32)
}

/// Whether process `pid` exists.
fn alive(pid: u32) -> bool {
    crate::platform::process::alive(pid)
}
