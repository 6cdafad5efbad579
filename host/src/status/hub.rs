//! An agent as the hub shows it: its state (connected; disconnected after 3 missed
//! heartbeats; needs update; pairing expired; revoked; never connected), its last
//! heartbeat, version and EHRs. `hub agents`, the intake API's agent list and the admin
//! API all serve this view.

use crate::hub::store::{AgentRecord, HubSettings};
use crate::link::protocol::{AdapterHealth, QueueCounts};
use serde::Serialize;
use std::fmt::Write as _;

/// Heartbeats an agent may miss before it shows as disconnected.
pub const MISSED_HEARTBEATS: u64 = 3;

/// An agent's state at the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Heartbeats arrive.
    Connected,
    /// No heartbeat for 3 intervals.
    Disconnected,
    /// Below the hub's minimum version: handed no job.
    NeedsUpdate,
    /// Its pairing expired: it must be paired again.
    PairingExpired,
    /// The operator revoked it.
    Revoked,
    /// Paired, but no heartbeat yet.
    NeverConnected,
}

impl AgentState {
    /// In words (`pairing expired`).
    pub fn words(self) -> &'static str {
        match self {
            AgentState::Connected => "connected",
            AgentState::Disconnected => "disconnected",
            AgentState::NeedsUpdate => "needs update",
            AgentState::PairingExpired => "pairing expired",
            AgentState::Revoked => "revoked",
            AgentState::NeverConnected => "never connected",
        }
    }
}

/// One agent with its state.
#[derive(Debug, Clone, Serialize)]
pub struct AgentView {
    /// Agent id.
    pub id: String,
    /// Its practice.
    pub practice_id: String,
    /// Its name.
    pub name: String,
    /// Its state now.
    pub state: AgentState,
    /// Since when it is in that state (ms), where the hub knows.
    pub since_ms: Option<u64>,
    /// Why, in the guide's words.
    pub reason: String,
    /// The version it last reported.
    pub version: String,
    /// Its last heartbeat (ms).
    pub last_heartbeat_ms: Option<u64>,
    /// Its adapters and their EHRs, from the last heartbeat.
    pub adapters: Vec<AdapterHealth>,
    /// Its local queue, from the last heartbeat.
    pub queue: Option<QueueCounts>,
    /// Paired at (ms).
    pub paired_ms: u64,
    /// The pairing expires at (ms), if it does.
    pub expires_ms: Option<u64>,
}

/// Whether `version` is below `min` (an unreadable version is below any minimum).
pub fn below_minimum(version: &str, min: &semver::Version) -> bool {
    match semver::Version::parse(version) {
        Ok(v) => &v < min,
        Err(_) => true,
    }
}

/// The state of `agent` at `now_ms` under `settings`, with since when and why.
pub fn state(
    agent: &AgentRecord,
    settings: &HubSettings,
    now_ms: u64,
) -> (AgentState, Option<u64>, String) {
    if let Some(at) = agent.revoked_ms {
        return (
            AgentState::Revoked,
            Some(at),
            "the operator revoked this device: pair it again with a new code".into(),
        );
    }
    if let Some(at) = agent.expires_ms.filter(|e| *e <= now_ms) {
        return (
            AgentState::PairingExpired,
            Some(at),
            "pairing expired: enter a new pairing code on the agent".into(),
        );
    }
    if below_minimum(&agent.version, &settings.min_agent_version) {
        return (
            AgentState::NeedsUpdate,
            agent.last_heartbeat_ms,
            format!(
                "agent {} is older than the minimum {}: it is handed no jobs until it is updated",
                agent.version, settings.min_agent_version
            ),
        );
    }
    let Some(last) = agent.last_heartbeat_ms else {
        return (
            AgentState::NeverConnected,
            Some(agent.paired_ms),
            "paired, but it has not connected yet: is the agent running?".into(),
        );
    };
    let allowed = MISSED_HEARTBEATS * u64::from(settings.intervals.heartbeat_seconds.max(1)) * 1000;
    if now_ms.saturating_sub(last) > allowed {
        return (
            AgentState::Disconnected,
            Some(last),
            format!("no heartbeat for {MISSED_HEARTBEATS} intervals: the agent is not running or lost its connection"),
        );
    }
    (
        AgentState::Connected,
        agent.last_heartbeat_ms,
        "heartbeats arrive".into(),
    )
}

impl AgentView {
    /// The view of `agent` at `now_ms`.
    pub fn new(agent: AgentRecord, settings: &HubSettings, now_ms: u64) -> AgentView {
        let (state, since_ms, reason) = state(&agent, settings, now_ms);
        let (adapters, queue) = match agent.heartbeat {
            Some(h) => (h.adapters, Some(h.queue)),
            None => (vec![], None),
        };
        AgentView {
            id: agent.id,
            practice_id: agent.practice_id,
            name: agent.name,
            state,
            since_ms,
            reason,
            version: agent.version,
            last_heartbeat_ms: agent.last_heartbeat_ms,
            adapters,
            queue,
            paired_ms: agent.paired_ms,
            expires_ms: agent.expires_ms,
        }
    }

    /// One line for `hub agents`, with the EHRs after it.
    pub fn render(&self, now_ms: u64) -> String {
        let ago = |t: Option<u64>| match t {
            Some(t) => format!("{} ago", crate::status::agent::ago(now_ms, t)),
            None => "never".into(),
        };
        let mut s = format!(
            "{:22} {:16} {:18} {:16} v{:8} last heartbeat {}\n",
            self.id,
            self.practice_id,
            crate::untrusted::clean(&self.name, 18),
            self.state.words(),
            self.version,
            ago(self.last_heartbeat_ms)
        );
        if self.state != AgentState::Connected {
            let _ = writeln!(s, "    {}", self.reason);
        }
        for a in &self.adapters {
            let _ = writeln!(
                s,
                "    {} {}: EHR {}",
                a.id,
                a.version,
                crate::status::agent::ehr_words(&a.ehr)
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::protocol::Heartbeat;

    fn agent() -> AgentRecord {
        AgentRecord {
            id: "a".into(),
            practice_id: "p".into(),
            name: "desk".into(),
            public_key: String::new(),
            paired_ms: 1_000,
            expires_ms: Some(100_000),
            revoked_ms: None,
            version: "0.2.0".into(),
            last_heartbeat_ms: None,
            heartbeat: None,
        }
    }

    // Every state, in the order that decides between them.
    #[test]
    fn states() {
        let mut settings = HubSettings::default();
        settings.intervals.heartbeat_seconds = 10;
        let mut a = agent();
        assert_eq!(state(&a, &settings, 2_000).0, AgentState::NeverConnected);
        a.last_heartbeat_ms = Some(2_000);
        a.heartbeat = Some(Heartbeat {
            version: "0.2.0".into(),
            adapters: vec![],
            queue: QueueCounts::default(),
        });
        assert_eq!(state(&a, &settings, 32_000).0, AgentState::Connected);
        let (s, since, _) = state(&a, &settings, 32_001);
        assert_eq!((s, since), (AgentState::Disconnected, Some(2_000)));
        settings.min_agent_version = semver::Version::new(0, 3, 0);
        assert_eq!(state(&a, &settings, 3_000).0, AgentState::NeedsUpdate);
        assert_eq!(state(&a, &settings, 100_000).0, AgentState::PairingExpired);
        a.revoked_ms = Some(5);
        assert_eq!(state(&a, &settings, 100_000).0, AgentState::Revoked);
        assert!(below_minimum("garbage", &semver::Version::new(0, 0, 0)));
    }
}
