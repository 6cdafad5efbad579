//! `status`: the agent's health as the tray icon would show it, from what the running
//! agent last wrote (`link-status.json`) and whether it is still running. Exit code 0
//! only when green.

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
}

/// Prints the status; 0 when green, 1 otherwise.
pub async fn status(home: &Home, a: StatusArgs) -> Result<i32> {
    let now = SystemClock.now_ms();
    let status = crate::status::local::read(home, now)?;
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
