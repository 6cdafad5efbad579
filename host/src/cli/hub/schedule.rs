//! `hub schedule --practice P`: the practice's schedule sync — each EHR's last pass and
//! whether it is late, counts by reason, and the appointments that did not sync with
//! the guide's advice; with setting flags, changes the sync settings its agents follow;
//! `--sync-now` asks its agents to read at once.

use super::super::{exit, print_json};
use crate::hub::schedule::{self, ScheduleView, SyncHealth};
use crate::hub::store::HubStore;
use crate::jobs::{Clock, SystemClock};
use crate::schedule::sync::SyncSettings;
use anyhow::Result;
use std::time::Duration;

/// Arguments of `hub schedule`.
#[derive(clap::Args, Debug)]
pub struct ScheduleArgs {
    /// The practice.
    #[arg(long)]
    pub practice: String,
    /// Approved appointment types, comma-separated, matched exactly (`Telehealth Visit,Follow Up`).
    #[arg(long, value_delimiter = ',')]
    pub approved_types: Option<Vec<String>>,
    /// Provider ids enabled for the service, comma-separated (`none`: every active provider).
    #[arg(long, value_delimiter = ',')]
    pub enabled_providers: Option<Vec<String>>,
    /// How long before its start an appointment must be synced (`30m`).
    #[arg(long, value_parser = crate::cli::registry::duration)]
    pub lead_time: Option<Duration>,
    /// Whether patients need insurance on file (`yes` or `no`).
    #[arg(long, value_parser = yes_no)]
    pub insurance_required: Option<bool>,
    /// How often the schedule is read (`5m`; never more often than the EHR allows).
    #[arg(long, value_parser = crate::cli::registry::duration)]
    pub interval: Option<Duration>,
    /// How many days ahead appointments sync (92: three months).
    #[arg(long)]
    pub horizon_days: Option<u32>,
    /// The practice's time zone (IANA, `America/Chicago`).
    #[arg(long)]
    pub time_zone: Option<String>,
    /// Cloud EHRs (adapters installed in the hub's home) whose schedule the hub reads
    /// itself for this practice, comma-separated (`none`: only the agents' local EHRs).
    #[arg(long, value_delimiter = ',')]
    pub hub_ehrs: Option<Vec<String>>,
    /// Ask the practice's agents to read the schedule at once.
    #[arg(long)]
    pub sync_now: bool,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

fn yes_no(s: &str) -> Result<bool, String> {
    match s {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(format!("`{s}`: say yes or no")),
    }
}

impl ScheduleArgs {
    fn changes_settings(&self) -> bool {
        self.approved_types.is_some()
            || self.enabled_providers.is_some()
            || self.lead_time.is_some()
            || self.insurance_required.is_some()
            || self.interval.is_some()
            || self.horizon_days.is_some()
            || self.time_zone.is_some()
            || self.hub_ehrs.is_some()
    }

    fn apply(&self, s: &mut SyncSettings) {
        let list = |v: &Vec<String>| -> Vec<String> {
            v.iter()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty() && t != "none")
                .collect()
        };
        if let Some(v) = &self.approved_types {
            s.policy.approved_types = list(v);
        }
        if let Some(v) = &self.enabled_providers {
            s.policy.enabled_providers = list(v);
        }
        if let Some(d) = self.lead_time {
            s.policy.lead_minutes = (d.as_secs() / 60) as u32;
        }
        if let Some(b) = self.insurance_required {
            s.policy.require_insurance = b;
        }
        if let Some(d) = self.interval {
            s.interval_seconds = d.as_secs().clamp(1, u32::MAX.into()) as u32;
        }
        if let Some(h) = self.horizon_days {
            s.policy.horizon_days = h;
        }
        if let Some(v) = &self.hub_ehrs {
            s.hub_ehrs = list(v);
        }
        if let Some(tz) = &self.time_zone {
            s.policy.time_zone = Some(tz.clone());
        }
    }
}

/// Runs `hub schedule` on the store.
pub async fn run<S: HubStore>(s: &S, a: ScheduleArgs) -> Result<i32> {
    if let Some(tz) = &a.time_zone {
        anyhow::ensure!(
            jiff::tz::TimeZone::get(tz).is_ok(),
            "`{tz}` is not a time zone: use an IANA name such as America/Chicago"
        );
    }
    let now = SystemClock.now_ms();
    if a.changes_settings() || a.sync_now {
        schedule::update(
            s,
            &a.practice,
            |set| a.apply(set),
            a.sync_now.then_some(now),
        )
        .await?;
        if !a.json {
            println!(
                "schedule settings of {} saved; its agents follow them from their next heartbeat{}",
                a.practice,
                if a.sync_now {
                    ", and read the schedule at once"
                } else {
                    ""
                }
            );
        }
    }
    let v = schedule::load(s, &a.practice, now).await?;
    if a.json {
        print_json(&v)?;
    } else {
        print(&v);
    }
    Ok(exit::OK)
}

fn print(v: &ScheduleView) {
    let s = &v.settings;
    println!(
        "Practice {}: every {}s, {} days ahead, lead time {} min, insurance {}, approved types: {}",
        v.practice,
        s.interval_seconds,
        s.policy.horizon_days,
        s.policy.lead_minutes,
        if s.policy.require_insurance {
            "required"
        } else {
            "not required"
        },
        if s.policy.approved_types.is_empty() {
            "none yet (set --approved-types)".to_string()
        } else {
            s.policy.approved_types.join(", ")
        }
    );
    if v.ehrs.is_empty() {
        println!(
            "No sync yet: the practice's agent reads its schedule once it is paired and connected."
        );
    }
    for e in &v.ehrs {
        let r = &e.last_run;
        let state = match e.health {
            SyncHealth::Ok => "on time".to_string(),
            SyncHealth::Late => format!(
                "LATE: no good sync for {} minutes (abnormal after {}); check the agent and the EHR",
                e.minutes_since_good.unwrap_or_default(),
                r.timing.abnormal_minutes
            ),
            SyncHealth::NeverSynced => "never synced: the EHR could not be read yet".into(),
        };
        let outcome = match &r.outcome {
            crate::schedule::sync::SyncOutcome::Ok => "read".to_string(),
            crate::schedule::sync::SyncOutcome::Failed { message } => format!("failed: {message}"),
        };
        println!(
            "{}: last sync {} ({outcome}), {} of {} appointments sync, {} changes; {state}",
            e.ehr,
            humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + Duration::from_millis(r.at_ms)
            ),
            r.syncing,
            r.appointments,
            r.changes
        );
    }
    println!("{} of {} appointments held sync", v.syncing, v.appointments);
    for (code, n) in &v.by_reason {
        println!("  {n:>4}  {code}");
    }
    for a in &v.not_synced {
        println!(
            "✘ {}  {}  {}  ({})",
            a.start, a.id, a.appointment_type, a.ehr
        );
        for r in &a.reasons {
            println!("    [{}]: {}", r.code, r.advice);
        }
    }
}
