//! `hub ...`: the hub's server (`serve`) and the operator's commands, which act on the
//! hub's store directly (the SQLite files in the hub's home, or `--db` PostgreSQL), so
//! they work whether or not the hub is running.

mod admin;
mod alerts;
mod schedule;
mod serve;
mod users;

use crate::home::Home;
use anyhow::Result;
use std::time::Duration;

/// The hub's commands and the store they act on.
#[derive(clap::Args, Debug)]
pub struct HubArgs {
    /// A PostgreSQL database shared by several hub instances (`host=... dbname=...`);
    /// without it, SQLite files in the hub's home (`--home`).
    #[arg(long, global = true, env = "EHR_HUB_DB")]
    pub db: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: HubCommand,
}

/// Hub commands.
#[derive(clap::Subcommand, Debug)]
pub enum HubCommand {
    /// Run the hub: HTTPS for agents (the link), the scribe platform (intake API) and the operator (admin API); write cloud-EHR jobs with the adapters installed in the hub's home.
    Serve(Box<serve::ServeArgs>),
    /// Practices (tenants): add, list, set.
    #[command(subcommand)]
    Practice(admin::PracticeCommand),
    /// API keys of the scribe platform, per practice: create (shown once), list, revoke.
    #[command(subcommand, name = "api-key")]
    ApiKey(admin::ApiKeyCommand),
    /// Make a one-time pairing code for a practice's agent.
    PairCode(admin::PairCodeArgs),
    /// Paired agents and their state: connected, disconnected, needs update, pairing expired, revoked, never connected.
    Agents(admin::AgentsArgs),
    /// Revoke an agent's pairing: it is refused from its next request on.
    Revoke(admin::RevokeArgs),
    /// Jobs, optionally of one practice or status.
    Jobs(admin::JobsArgs),
    /// Show or change the hub's settings (minimum agent version, intervals, pairing lifetime).
    Settings(admin::SettingsArgs),
    /// A practice's schedule sync: last sync, counts by reason, appointments that did not sync; change its sync settings; ask for a sync now.
    Schedule(schedule::ScheduleArgs),
    /// Alerts, one per incident: list, acknowledge, silence; their thresholds and webhooks.
    #[command(subcommand)]
    Alerts(alerts::AlertsCommand),
    /// Console users: add (operator or one practice's), list.
    #[command(subcommand)]
    User(users::UserCommand),
}

/// Runs a hub command.
pub async fn run(home: &Home, a: HubArgs) -> Result<i32> {
    match a.command {
        HubCommand::Serve(s) => serve::serve(home, a.db.as_deref(), *s).await,
        HubCommand::Alerts(c) => alerts::run(home, a.db.as_deref(), c).await,
        other => admin::run(home, a.db.as_deref(), other).await,
    }
}

/// How long something lasts: a duration, or `never` (until revoked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// It does not expire.
    Never,
    /// It expires after this long.
    For(Duration),
}

impl Lifetime {
    /// In seconds, None for never.
    pub fn seconds(self) -> Option<u64> {
        match self {
            Lifetime::Never => None,
            Lifetime::For(d) => Some(d.as_secs().max(1)),
        }
    }
}

/// A duration, or `never`.
pub fn lifetime(s: &str) -> Result<Lifetime, String> {
    if s == "never" {
        return Ok(Lifetime::Never);
    }
    super::registry::duration(s).map(Lifetime::For)
}
