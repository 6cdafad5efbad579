//! `status`: the agent's health as the tray icon would show it, from what the running
//! agent last wrote (`link-status.json`) and whether it is still running. Exit code 0
//! only when green.

use super::{exit, print_json};
use crate::home::Home;
use crate::jobs::{Clock, SystemClock};
use crate::link::runner::status_path;
use crate::status::agent::{AgentStatus, LinkReport, LinkState, TrayColour};
use anyhow::{Context, Result};

/// A report older than this means the agent stopped writing it (it rewrites it at least
/// every heartbeat, and every 64 s while the hub is unreachable).
const STALE_MS: u64 = 120_000;

/// Arguments of `status`.
#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Prints the status; 0 when green, 1 otherwise.
pub async fn status(home: &Home, a: StatusArgs) -> Result<i32> {
    let now = SystemClock.now_ms();
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
                && now.saturating_sub(r.written_ms)
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
    let status = AgentStatus::new(report, running, now).with_job_store(store);
    if a.json {
        print_json(&status)?;
    } else {
        print!("{}", status.render(now));
        if let Some(page) = agent_page(home).filter(|_| running) {
            println!("Agent page: {page}");
        }
    }
    Ok(if status.tray.colour == TrayColour::Green {
        exit::OK
    } else {
        exit::ERROR
    })
}

/// The pid an unpaired running agent wrote to `agent-status.json`.
fn agent_pid(home: &Home) -> Option<u32> {
    let text = std::fs::read_to_string(home.agent_status()).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("pid")?.as_u64().map(|p| p as u32)
}

/// The running agent's loopback page (its local API's address, from `api.addr`): only
/// an `http://` URL on a loopback address is shown, whatever else the file holds.
fn agent_page(home: &Home) -> Option<String> {
    let text = std::fs::read_to_string(home.api_addr()).ok()?;
    let url = url::Url::parse(text.trim()).ok()?;
    let loopback = match url.host()? {
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
        url::Host::Domain(d) => d == "localhost",
    };
    let (host, port) = (url.host_str()?, url.port()?);
    (url.scheme() == "http" && loopback).then(|| format!("http://{host}:{port}/"))
}

/// Whether process `pid` exists.
fn alive(pid: u32) -> bool {
    crate::platform::process::alive(pid)
}
