//! What a schedule sync sends: each appointment as the hub keeps it (with its verdict and
//! typed reasons), the changes since the last state sent, each with a sequence number,
//! and a summary of each sync pass. Shared by the agent, the link and the hub store.

use crate::schedule::{Reason, SyncPolicy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The default interval between two schedule reads, seconds (the guide's "every 5 minutes").
pub const DEFAULT_INTERVAL_SECONDS: u32 = 300;

/// A practice's sync settings, held by the hub and pushed to its agents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSettings {
    /// The rules' settings: approved types, enabled providers, lead time, insurance,
    /// horizon, time zone.
    #[serde(default)]
    pub policy: SyncPolicy,
    /// Seconds between two reads; never shorter than the adapter's `min-poll-seconds`.
    #[serde(default = "default_interval")]
    pub interval_seconds: u32,
    /// The cloud EHRs (adapters installed in the hub's home) whose schedule the hub
    /// reads itself for this practice; local EHRs are read by the practice's agent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hub_ehrs: Vec<String>,
}

fn default_interval() -> u32 {
    DEFAULT_INTERVAL_SECONDS
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings {
            policy: SyncPolicy::default(),
            interval_seconds: DEFAULT_INTERVAL_SECONDS,
            hub_ehrs: Vec::new(),
        }
    }
}

/// The patient of an appointment, as synced (bounded, neutralised text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncedPatient {
    /// The EHR's patient id.
    pub id: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// `YYYY-MM-DD`, when recorded.
    pub date_of_birth: Option<String>,
    /// Email, when recorded (patients log into their visit with it).
    pub email: Option<String>,
}

/// One appointment as the hub keeps it: what the EHR says, and whether it syncs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncedAppointment {
    /// The EHR's appointment id.
    pub id: String,
    /// Start, `YYYY-MM-DDTHH:MM:SS` (practice time).
    pub start: String,
    /// Length in minutes.
    pub duration_minutes: u32,
    /// The EHR's appointment type.
    pub appointment_type: String,
    /// Provider id, when assigned.
    pub provider_id: Option<String>,
    /// The EHR's status (`scheduled`, `checked-in`, ...).
    pub status: String,
    /// The patient, when the EHR returned demographics.
    pub patient: Option<SyncedPatient>,
    /// True when it syncs (notes may remain).
    pub syncs: bool,
    /// Every reason it does not sync, or notes on how it syncs.
    pub reasons: Vec<Reason>,
}

impl SyncedAppointment {
    /// True when the time or the length moved.
    pub fn moved_from(&self, before: &SyncedAppointment) -> bool {
        self.start != before.start || self.duration_minutes != before.duration_minutes
    }

    /// True when the verdict (syncs, reasons) differs.
    pub fn verdict_differs(&self, before: &SyncedAppointment) -> bool {
        self.syncs != before.syncs || self.reasons != before.reasons
    }
}

/// What happened to an appointment since the last state sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Not sent before.
    New,
    /// Its start or length changed.
    Rescheduled,
    /// Cancelled in the EHR, or gone from it.
    Cancelled,
    /// Only its verdict changed (demographics fixed, a setting changed, time passed).
    VerdictChanged,
    /// Other details changed (type, provider, patient) without a new verdict.
    Updated,
}

/// One change, numbered in the order it was recorded at its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleChange {
    /// Increases by one per change at the source; the hub applies each number once.
    pub seq: u64,
    /// The adapter (EHR) it comes from.
    pub ehr: String,
    /// What happened.
    pub kind: ChangeKind,
    /// The appointment's id.
    pub appointment_id: String,
    /// The appointment now (absent for a cancellation).
    pub appointment: Option<SyncedAppointment>,
}

/// How a sync pass ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SyncOutcome {
    /// The schedule was read and checked.
    Ok,
    /// The EHR could not be read; nothing changed.
    Failed {
        /// Why, in the adapter's (bounded, neutralised) words.
        message: String,
    },
}

/// The adapter's declared timing, as the hub judges a practice's sync by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    /// Shortest interval between reads the EHR tolerates, seconds.
    pub min_poll_seconds: u32,
    /// A sync normally shows a change within this many minutes.
    pub normal_minutes: u32,
    /// After this many minutes without a good sync, the sync is abnormal.
    pub abnormal_minutes: u32,
}

/// One sync pass of one EHR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRun {
    /// The adapter (EHR).
    pub ehr: String,
    /// When it ran (ms since the epoch).
    pub at_ms: u64,
    /// The last pass that read the schedule (ms), this one or an earlier one.
    pub last_good_ms: Option<u64>,
    /// How it ended.
    pub outcome: SyncOutcome,
    /// Appointments read.
    pub appointments: u32,
    /// Of those, how many sync.
    pub syncing: u32,
    /// Appointments per reason code (`no_email`: 3).
    pub by_reason: BTreeMap<String, u32>,
    /// Changes recorded by this pass.
    pub changes: u32,
    /// The adapter's declared timing.
    pub timing: Timing,
}
