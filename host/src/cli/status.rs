//! `status`: the agent's health as the tray icon would show it, from what the running
//! agent last wrote (`link-status.json`) and whether it is still running. Exit code 0
//! only when green. `--wait` keeps looking until it is green or the time is up: the
//! install script's "verify green" step, so a script needs no sleep loop of its own.

use super::{exit, print_json};
use crate::home::Home;
use crate::jobs::{Clock, SystemClock};
use crate::status::agent::TrayColour;
use anyhow::Result;

/// Arguments of `status`.
#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
    /// Wait up to this long (e.g. 60s) for the status to turn green, then print it; the
    /// exit code is still 0 only when green.
    #[arg(long, value_parser = super::registry::duration)]
    pub wait: Option<std::time::Duration>,
}

/// How often `--wait` looks again.
const WAIT_STEP: std::time::Duration = std::time::Duration::from_millis(500);

/// Prints the status; 0 when green, 1 otherwise.
pub async fn status(home: &Home, a: StatusArgs) -> Result<i32> {
    let deadline = a.wait.map(|w| std::time::Instant::now() + w);
    let (now, status) = loop {
        let now = SystemClock.now_ms();
        let status = crate::status::local::read(home, now)?;
        match deadline {
            Some(d) if status.tray.colour != TrayColour::Green && std::time::Instant::now() < d => {
                tokio::time::sleep(WAIT_STEP).await
            }
            _ => break (now, status),
        }
    };
    if a.json {
        print_json(&status)?;
    } else {
        print!("{}", status.render(now));
        if let Some(url) = crate::status::local::page_url(home).filter(|_| status.running) {
            println!("Details: open {url} (on this computer)");
        }
    }
    Ok(if status.tray.colour == TrayColour::Green {
        exit::OK
    } else {
        exit::ERROR
    })
}
