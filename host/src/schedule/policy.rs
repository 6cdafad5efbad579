//! A practice's schedule-sync settings: which appointment types and providers are
//! approved, how much lead time an appointment needs, whether insurance is required, and
//! the horizon. On an agent they come from `[schedule]` in config.toml; on the hub they
//! are per-practice settings.

use serde::{Deserialize, Serialize};

/// Appointments further out than this many days wait (the guide's "3 months").
pub const HORIZON_DAYS: u32 = 92;

/// The rules one practice's appointments are checked against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncPolicy {
    /// Approved appointment types, matched exactly.
    #[serde(default)]
    pub approved_types: Vec<String>,
    /// Provider ids enabled for the service; empty: every active provider the EHR lists.
    #[serde(default)]
    pub enabled_providers: Vec<String>,
    /// An appointment must start at least this many minutes after the sync.
    #[serde(default = "default_lead")]
    pub lead_minutes: u32,
    /// Whether the patient must have insurance on file.
    #[serde(default)]
    pub require_insurance: bool,
    /// How many days ahead appointments sync.
    #[serde(default = "default_horizon")]
    pub horizon_days: u32,
    /// The practice's time zone (IANA, `America/Chicago`); default: this computer's.
    #[serde(default)]
    pub time_zone: Option<String>,
}

fn default_lead() -> u32 {
    30
}

fn default_horizon() -> u32 {
    HORIZON_DAYS
}

impl Default for SyncPolicy {
    fn default() -> Self {
        SyncPolicy {
            approved_types: Vec::new(),
            enabled_providers: Vec::new(),
            lead_minutes: default_lead(),
            require_insurance: false,
            horizon_days: default_horizon(),
            time_zone: None,
        }
    }
}
