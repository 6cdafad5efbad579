//! The agent's health as its user sees it: what the running agent reports about its link
//! ([`LinkReport`], written to `<home>/link-status.json`), and what `ehr-host status`
//! makes of it ([`AgentStatus`]): Status Connected / Disconnected, EHR Connected /
//! Unreachable per adapter, the last heartbeat, and the colour the tray icon would show
//! with its reason. The advice is the troubleshooting guide's.

use crate::link::protocol::{AdapterHealth, EhrConnectivity, QueueCounts};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// A disconnected link turns the tray red after this long (the guide: "if it does not
/// reconnect within 30 seconds, check your internet connection").
pub const RED_AFTER_DISCONNECTED_MS: u64 = 60_000;

/// The link's state, as the running agent knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LinkState {
    /// This agent is not paired with a hub.
    NotPaired,
    /// Starting: no answer from the hub yet.
    Connecting {
        /// Since (ms).
        since_ms: u64,
    },
    /// The hub answers.
    Connected {
        /// Since (ms).
        since_ms: u64,
    },
    /// The hub cannot be reached; the agent retries with backoff.
    Disconnected {
        /// Since (ms).
        since_ms: u64,
        /// The last error, in words.
        why: String,
    },
    /// The hub refuses this device: its pairing expired or was revoked.
    PairingExpired {
        /// Since (ms).
        since_ms: u64,
        /// What the hub said.
        why: String,
    },
    /// The hub hands no jobs to this version.
    NeedsUpdate {
        /// Since (ms).
        since_ms: u64,
        /// The lowest version the hub accepts.
        min_version: String,
    },
}

/// What the running agent writes about its link for `ehr-host status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkReport {
    /// The agent's process id.
    pub pid: u32,
    /// When this was written (ms); rewritten at least every heartbeat interval.
    pub written_ms: u64,
    /// The heartbeat interval in force (s).
    pub heartbeat_seconds: u32,
    /// The agent's version.
    pub version: String,
    /// The hub's URL.
    pub hub: String,
    /// This agent's id at the hub.
    pub agent_id: String,
    /// Its practice.
    pub practice_id: String,
    /// The practice's name.
    pub practice_name: String,
    /// The link.
    pub link: LinkState,
    /// The last heartbeat the hub acknowledged (ms).
    pub last_heartbeat_ms: Option<u64>,
    /// Adapters served and their EHRs.
    pub adapters: Vec<AdapterHealth>,
    /// The local queue.
    pub queue: QueueCounts,
}

/// The tray icon's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrayColour {
    /// All well.
    Green,
    /// Working, with something to look at.
    Yellow,
    /// Not working.
    Red,
}

/// The colour and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tray {
    /// The colour.
    pub colour: TrayColour,
    /// Why, with what to do.
    pub reason: String,
}

/// Everything `ehr-host status` shows.
#[derive(Debug, Clone, Serialize)]
pub struct AgentStatus {
    /// Whether the agent process is running.
    pub running: bool,
    /// `Connected`, `Disconnected`, `Pairing expired`, `Agent needs update`, `Not paired`,
    /// `Agent not running`.
    pub status: String,
    /// Since when (ms), where known.
    pub since_ms: Option<u64>,
    /// Why, when not connected.
    pub why: Option<String>,
    /// What the running agent last reported (absent when it never ran paired).
    pub report: Option<LinkReport>,
    /// The job store's state as the running agent last wrote it.
    pub job_store: Option<crate::jobs::StoreState>,
    /// The tray icon.
    pub tray: Tray,
}

const NOT_RUNNING: &str = "Agent not running: the agent is not started or has crashed. Start it (`ehr-host run`, or the service); if it crashes immediately, restart the computer and try again.";
const NOT_PAIRED: &str = "Not paired: enter the pairing code from the Doctora dashboard (Settings > Integrations > Windows Agent) with `ehr-host pair CODE --hub URL`.";
const PAIRING_EXPIRED: &str = "Pairing expired: the link between this agent and your Doctora account has expired. Go to Settings > Devices in the Doctora web app, click Pair Device, and enter the new pairing code here (`ehr-host pair CODE --hub URL`). Once paired, retry the failed job.";
const NEEDS_UPDATE: &str = "Agent needs update: an outdated agent may not support recent sync protocol changes. Check for updates, install if available, and restart the agent.";
const DISCONNECTED: &str = "Disconnected: the agent lost its connection to the Doctora cloud, usually after a network interruption. It reconnects by itself; if it does not within 30 seconds, check the internet connection (the agent needs outbound HTTPS to the hub).";
const EHR_UNREACHABLE: &str = "Local EHR server unreachable: the agent is connected but cannot reach the EHR. Confirm the EHR software is running on the server machine (CrystalPM: the server application and database service; OfficeMate: the OfficeMate Server). If the server was recently restarted, give it a minute to initialize.";

/// How long ago `then_ms` was at `now_ms`, in words (`12s`, `3m`, `2h`).
pub fn ago(now_ms: u64, then_ms: u64) -> String {
    let s = now_ms.saturating_sub(then_ms) / 1000;
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        _ => format!("{}h", s / 3600),
    }
}

/// An EHR's connectivity in words.
pub fn ehr_words(ehr: &EhrConnectivity) -> String {
    match ehr {
        EhrConnectivity::Connected { .. } => "Connected".into(),
        EhrConnectivity::Unreachable { title, .. } => {
            format!("Unreachable ({})", crate::untrusted::clean(title, 120))
        }
        EhrConnectivity::Unknown => "not checked yet".into(),
    }
}

fn colour(colour: TrayColour, reason: impl Into<String>) -> Tray {
    Tray {
        colour,
        reason: reason.into(),
    }
}

/// The tray for an agent whose last report is `report`, running or not, at `now_ms`.
pub fn tray(report: Option<&LinkReport>, running: bool, now_ms: u64) -> Tray {
    if !running {
        return colour(TrayColour::Red, NOT_RUNNING);
    }
    let Some(r) = report else {
        return colour(TrayColour::Red, NOT_PAIRED);
    };
    match &r.link {
        LinkState::NotPaired => colour(TrayColour::Red, NOT_PAIRED),
        LinkState::PairingExpired { .. } => colour(TrayColour::Red, PAIRING_EXPIRED),
        LinkState::NeedsUpdate { min_version, .. } => colour(
            TrayColour::Red,
            format!(
                "{NEEDS_UPDATE} (this agent is {}; the hub needs {min_version} or newer)",
                r.version
            ),
        ),
        LinkState::Disconnected { since_ms, .. }
            if now_ms.saturating_sub(*since_ms) > RED_AFTER_DISCONNECTED_MS =>
        {
            colour(TrayColour::Red, DISCONNECTED)
        }
        LinkState::Disconnected { .. } => {
            colour(TrayColour::Yellow, format!("Reconnecting. {DISCONNECTED}"))
        }
        LinkState::Connecting { .. } => colour(TrayColour::Yellow, "Connecting to the hub"),
        LinkState::Connected { .. } => connected_tray(r, now_ms),
    }
}

fn connected_tray(r: &LinkReport, now_ms: u64) -> Tray {
    let stale = 3 * u64::from(r.heartbeat_seconds.max(1)) * 1000;
    match r.last_heartbeat_ms {
        Some(t) if now_ms.saturating_sub(t) <= stale => {}
        _ => {
            return colour(
                TrayColour::Yellow,
                "Connected, but no heartbeat was acknowledged recently",
            )
        }
    }
    if r.adapters.is_empty() {
        return colour(
            TrayColour::Yellow,
            "Connected, but no EHR adapter is installed: install the adapter for your EHR",
        );
    }
    if let Some(a) = r
        .adapters
        .iter()
        .find(|a| matches!(a.ehr, EhrConnectivity::Unreachable { .. }))
    {
        return colour(
            TrayColour::Yellow,
            format!("{} ({}). {EHR_UNREACHABLE}", ehr_words(&a.ehr), a.id),
        );
    }
    if let Some(a) = r
        .adapters
        .iter()
        .find(|a| a.ehr == EhrConnectivity::Unknown)
    {
        return colour(
            TrayColour::Yellow,
            format!("Connected; checking the EHR of {}", a.id),
        );
    }
    if r.queue.failed > 0 {
        return colour(
            TrayColour::Yellow,
            format!("{} failed job(s) wait for a person: see the pending jobs banner in Doctora (or `ehr-host jobs list --status failed`), fix the cause and retry", r.queue.failed),
        );
    }
    colour(
        TrayColour::Green,
        "Status: Connected, EHR: Connected, with a recent heartbeat",
    )
}

impl AgentStatus {
    /// The status from the agent's last report, whether it is running, at `now_ms`.
    pub fn new(report: Option<LinkReport>, running: bool, now_ms: u64) -> AgentStatus {
        let tray = tray(report.as_ref(), running, now_ms);
        let (status, since_ms, why) = match (running, report.as_ref().map(|r| &r.link)) {
            (false, _) => ("Agent not running", None, None),
            (true, None | Some(LinkState::NotPaired)) => ("Not paired", None, None),
            (true, Some(LinkState::Connecting { since_ms })) => {
                ("Connecting", Some(*since_ms), None)
            }
            (true, Some(LinkState::Connected { since_ms })) => ("Connected", Some(*since_ms), None),
            (true, Some(LinkState::Disconnected { since_ms, why })) => {
                ("Disconnected", Some(*since_ms), Some(why.clone()))
            }
            (true, Some(LinkState::PairingExpired { since_ms, why })) => {
                ("Pairing expired", Some(*since_ms), Some(why.clone()))
            }
            (
                true,
                Some(LinkState::NeedsUpdate {
                    since_ms,
                    min_version,
                }),
            ) => (
                "Agent needs update",
                Some(*since_ms),
                Some(format!("the hub needs version {min_version} or newer")),
            ),
        };
        AgentStatus {
            running,
            status: status.into(),
            since_ms,
            why,
            report,
            job_store: None,
            tray,
        }
    }

    /// This status with the job store's state: an unavailable store turns the tray red
    /// (jobs wait, nothing is lost, but nothing is written either).
    pub fn with_job_store(mut self, state: Option<crate::jobs::StoreState>) -> AgentStatus {
        if let Some(crate::jobs::StoreState::Unavailable { since, error }) = &state {
            if self.running {
                self.tray = colour(
                    TrayColour::Red,
                    format!(
                        "The job store is unavailable since {since} ({}): jobs wait and nothing is lost, but nothing is written until it is back. Check the disk (full or read-only?) or the database server.",
                        crate::untrusted::clean(error, 200)
                    ),
                );
            }
        }
        self.job_store = state;
        self
    }

    /// The status as a person reads it.
    pub fn render(&self, now_ms: u64) -> String {
        let mut s = format!("Status: {}", self.status);
        if let Some(since) = self.since_ms {
            let _ = write!(s, " (for {})", ago(now_ms, since));
        }
        s.push('\n');
        if let Some(why) = &self.why {
            let _ = writeln!(s, "  why: {why}");
        }
        if let Some(r) = self
            .report
            .as_ref()
            .filter(|r| r.link != LinkState::NotPaired)
        {
            for a in &r.adapters {
                let _ = writeln!(s, "EHR: {} ({} {})", ehr_words(&a.ehr), a.id, a.version);
            }
            let hb = r
                .last_heartbeat_ms
                .map_or("never".into(), |t| format!("{} ago", ago(now_ms, t)));
            let _ = writeln!(s, "Last heartbeat: {hb}");
            let _ = writeln!(
                s,
                "Practice: {} ({})",
                crate::untrusted::clean(&r.practice_name, 80),
                r.practice_id
            );
            let _ = writeln!(
                s,
                "Hub: {} (agent {}, version {})",
                r.hub, r.agent_id, r.version
            );
            let _ = writeln!(
                s,
                "Jobs: {} pending, {} being written, {} failed, {} results not yet reported",
                r.queue.pending, r.queue.claimed, r.queue.failed, r.queue.unreported
            );
        }
        match &self.job_store {
            Some(crate::jobs::StoreState::Available) => {
                let _ = writeln!(s, "Job store: available");
            }
            Some(crate::jobs::StoreState::Unavailable { since, error }) => {
                let _ = writeln!(
                    s,
                    "Job store: UNAVAILABLE since {since}: {}",
                    crate::untrusted::clean(error, 200)
                );
            }
            None => {}
        }
        let colour = match self.tray.colour {
            TrayColour::Green => "green",
            TrayColour::Yellow => "yellow",
            TrayColour::Red => "red",
        };
        let _ = writeln!(s, "Tray: {colour}: {}", self.tray.reason);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(link: LinkState) -> LinkReport {
        LinkReport {
            pid: 1,
            written_ms: 100_000,
            heartbeat_seconds: 15,
            version: "0.1.0".into(),
            hub: "https://hub".into(),
            agent_id: "agt".into(),
            practice_id: "p".into(),
            practice_name: "P".into(),
            link,
            last_heartbeat_ms: Some(99_000),
            adapters: vec![AdapterHealth {
                id: "crystalpm".into(),
                version: "1.0.0".into(),
                ehr: EhrConnectivity::Connected { checked_ms: 99_000 },
            }],
            queue: QueueCounts::default(),
        }
    }

    // Green only when connected, every EHR connected, a recent heartbeat and no failed
    // job; each other case says why, in the guide's words.
    #[test]
    fn tray_colours() {
        let now = 100_000;
        let ok = report(LinkState::Connected { since_ms: 1 });
        assert_eq!(tray(Some(&ok), true, now).colour, TrayColour::Green);
        assert!(tray(Some(&ok), false, now)
            .reason
            .starts_with("Agent not running"));
        assert!(tray(None, true, now).reason.starts_with("Not paired"));
        let mut r = ok.clone();
        r.adapters[0].ehr = EhrConnectivity::Unreachable {
            checked_ms: 1,
            kind: "unreachable".into(),
            title: "Local EHR server unreachable".into(),
        };
        let t = tray(Some(&r), true, now);
        assert_eq!(t.colour, TrayColour::Yellow);
        assert!(
            t.reason.contains("Confirm the EHR software is running"),
            "{}",
            t.reason
        );
        let mut r = ok.clone();
        r.queue.failed = 2;
        assert_eq!(tray(Some(&r), true, now).colour, TrayColour::Yellow);
        let mut r = ok.clone();
        r.last_heartbeat_ms = Some(1);
        assert_eq!(tray(Some(&r), true, now).colour, TrayColour::Yellow);
        let d = report(LinkState::Disconnected {
            since_ms: now - 5_000,
            why: "refused".into(),
        });
        assert_eq!(tray(Some(&d), true, now).colour, TrayColour::Yellow);
        assert_eq!(
            tray(Some(&d), true, now + RED_AFTER_DISCONNECTED_MS).colour,
            TrayColour::Red
        );
        let e = report(LinkState::PairingExpired {
            since_ms: 1,
            why: "revoked".into(),
        });
        assert!(tray(Some(&e), true, now)
            .reason
            .contains("Settings > Devices"));
        let u = report(LinkState::NeedsUpdate {
            since_ms: 1,
            min_version: "9.0.0".into(),
        });
        let t = tray(Some(&u), true, now);
        assert_eq!(t.colour, TrayColour::Red);
        assert!(t.reason.contains("needs 9.0.0"), "{}", t.reason);
        assert_eq!(
            AgentStatus::new(Some(u), true, now).status,
            "Agent needs update"
        );
    }
}
