//! The records the hub store keeps, typed.

use crate::link::protocol::{Heartbeat, Intervals};
use serde::{Deserialize, Serialize};

/// A practice (a tenant): its jobs, agents and API keys belong to it alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Practice {
    /// Short id (`eastside-eye`): letters, digits and dashes.
    pub id: String,
    /// Name for people.
    pub name: String,
    /// Created at (ms).
    pub created_ms: u64,
    /// Its settings.
    pub settings: PracticeSettings,
}

/// Per-practice settings; each unset one takes the hub's default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PracticeSettings {
    /// Pairings of this practice's agents expire this many seconds after pairing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairing_seconds: Option<u64>,
    /// Intake API requests allowed per minute for this practice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_minute: Option<u32>,
    /// Schedule-sync settings (approved types, enabled providers, lead time, insurance,
    /// interval, horizon); unset: the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<crate::schedule::sync::SyncSettings>,
    /// When the operator last asked for a schedule sync now (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_sync_requested_ms: Option<u64>,
}

/// An API key of the scribe platform for one practice. The key itself is shown once,
/// when made; the store keeps its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// The key's public id (the part of the key before the secret).
    pub id: String,
    /// The practice it acts for.
    pub practice_id: String,
    /// What it is for, in words.
    pub label: String,
    /// Created at (ms).
    pub created_ms: u64,
    /// Revoked at (ms), if.
    pub revoked_ms: Option<u64>,
}

/// A one-time pairing code as stored: its hash, never the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairCode {
    /// SHA-256 (hex) of the normalised code.
    pub hash: String,
    /// The practice an agent pairing with it joins.
    pub practice_id: String,
    /// Created at (ms).
    pub created_ms: u64,
    /// Unusable from (ms).
    pub expires_ms: u64,
}

/// An agent about to be paired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAgent {
    /// Its new id.
    pub id: String,
    /// Name for people.
    pub name: String,
    /// Its ed25519 public key (hex).
    pub public_key: String,
    /// The version it reported at pairing.
    pub version: String,
    /// Pairing lifetime in seconds (None: never expires); the store computes the
    /// expiry from the practice's setting when it has one, else from this hub default.
    pub default_pairing_seconds: Option<u64>,
}

/// A paired agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentRecord {
    /// Its id.
    pub id: String,
    /// Its practice.
    pub practice_id: String,
    /// Name for people.
    pub name: String,
    /// Its ed25519 public key (hex).
    pub public_key: String,
    /// Paired at (ms).
    pub paired_ms: u64,
    /// The pairing expires at (ms), if it does.
    pub expires_ms: Option<u64>,
    /// Revoked by the operator at (ms), if.
    pub revoked_ms: Option<u64>,
    /// The version it last reported.
    pub version: String,
    /// Its last heartbeat's time (ms), if any.
    pub last_heartbeat_ms: Option<u64>,
    /// Its last heartbeat.
    pub heartbeat: Option<Heartbeat>,
}

/// The operator's settings, shared by every hub instance on one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubSettings {
    /// The lowest agent version handed jobs.
    pub min_agent_version: semver::Version,
    /// How often agents talk to the hub.
    pub intervals: Intervals,
    /// Pairings expire this many seconds after pairing, unless the practice says
    /// otherwise (None: they do not expire).
    pub pairing_seconds: Option<u64>,
}

impl Default for HubSettings {
    fn default() -> Self {
        HubSettings {
            min_agent_version: semver::Version::new(0, 0, 0),
            intervals: Intervals {
                heartbeat_seconds: 15,
                poll_seconds: 50,
                lease_seconds: 120,
            },
            pairing_seconds: None,
        }
    }
}

impl AgentRecord {
    /// The EHR adapters this agent said it serves in its last heartbeat.
    pub fn served_ehrs(&self) -> Vec<String> {
        self.heartbeat
            .as_ref()
            .map(|h| h.adapters.iter().map(|a| a.id.clone()).collect())
            .unwrap_or_default()
    }
}

/// The expiry of a pairing made at `now_ms` lasting `seconds`.
pub fn pairing_expiry(now_ms: u64, seconds: Option<u64>) -> Option<u64> {
    seconds.map(|s| now_ms.saturating_add(s.saturating_mul(1000)))
}
