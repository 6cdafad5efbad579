//! `hub alerts list|ack|silence|settings`: the operator's alert commands, on the hub's
//! database directly (so they work whether or not the hub is running).

use crate::alerts::model::AlertSettings;
use crate::alerts::store::AlertStore;
use crate::alerts::{ops, AnyAlerts};
use crate::home::Home;
use crate::jobs::{Clock, SystemClock};
use anyhow::{Context, Result};

/// The alert commands.
#[derive(clap::Subcommand, Debug)]
pub enum AlertsCommand {
    /// Open alerts, newest first (`--all`: resolved ones too).
    List {
        /// Resolved alerts too.
        #[arg(long)]
        all: bool,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Acknowledge an alert as it is now: it shows again only if it gets worse.
    Ack {
        /// The alert id.
        id: String,
    },
    /// Hide an alert for a while (it shows again earlier if it gets worse).
    Silence {
        /// The alert id.
        id: String,
        /// For how long (`30m`, `4h`).
        #[arg(long = "for", value_parser = humantime::parse_duration)]
        duration: std::time::Duration,
    },
    /// Show the alert settings (webhook secrets redacted), or replace them from a JSON
    /// file (`--file`; the shown form, with the real secrets).
    Settings {
        /// The settings to save.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
}

/// Runs an alert command.
pub async fn run(home: &Home, db: Option<&str>, c: AlertsCommand) -> Result<i32> {
    let store = AnyAlerts::open(home.root(), db).await?;
    let now = SystemClock.now_ms();
    match c {
        AlertsCommand::List { all, json } => {
            let list = ops::list(&store, all, now).await?;
            if json {
                super::super::print_json(&list)?;
                return Ok(0);
            }
            if list.is_empty() {
                println!("no {}alerts", if all { "" } else { "open " });
            }
            for v in list {
                let a = &v.alert;
                let state = match (a.resolved_ms, v.needs_attention) {
                    (Some(_), _) => "resolved",
                    (None, true) => "OPEN",
                    (None, false) => "open (dismissed)",
                };
                println!(
                    "{}  {:<16} {:<8} {:?} ×{}  {}",
                    a.id,
                    state,
                    a.kind.as_str(),
                    a.severity,
                    a.count,
                    crate::untrusted::clean(&a.summary, 300)
                );
            }
        }
        AlertsCommand::Ack { id } => {
            let a = ops::ack(&store, &id, now).await?;
            println!(
                "alert {} acknowledged: it shows again if it gets worse",
                a.id
            );
        }
        AlertsCommand::Silence { id, duration } => {
            let until = now.saturating_add(duration.as_millis() as u64);
            let a = ops::silence(&store, &id, until, now).await?;
            println!(
                "alert {} silenced for {} (it shows again earlier if it gets worse)",
                a.id,
                humantime::format_duration(duration)
            );
        }
        AlertsCommand::Settings { file: None } => {
            super::super::print_json(&ops::redacted(store.settings().await?))?;
        }
        AlertsCommand::Settings { file: Some(path) } => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let s: AlertSettings = serde_json::from_str(&text)
                .with_context(|| format!("{} is not alert settings", path.display()))?;
            s.check().map_err(anyhow::Error::msg)?;
            store.save_settings(&s).await?;
            println!("alert settings saved");
        }
    }
    Ok(0)
}
