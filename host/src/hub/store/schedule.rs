//! Each practice's synced schedule as the hub keeps it: every appointment with its
//! verdict and reasons, each EHR's last sync pass, and per source the last change number
//! applied, so a batch sent twice (a lost answer, an outage) is applied once.

use crate::schedule::sync::{ChangeKind, ScheduleChange, SyncRun, SyncedAppointment};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The SQL tables (the same text runs on SQLite and PostgreSQL).
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS hub_schedule (practice_id TEXT NOT NULL, ehr TEXT NOT NULL,
    appointment_id TEXT NOT NULL, appointment TEXT NOT NULL, updated_ms BIGINT NOT NULL,
    PRIMARY KEY (practice_id, ehr, appointment_id));
CREATE TABLE IF NOT EXISTS hub_schedule_cursors (practice_id TEXT NOT NULL, source TEXT NOT NULL,
    last_seq BIGINT NOT NULL, PRIMARY KEY (practice_id, source));
CREATE TABLE IF NOT EXISTS hub_schedule_runs (practice_id TEXT NOT NULL, ehr TEXT NOT NULL,
    run TEXT NOT NULL, PRIMARY KEY (practice_id, ehr));
CREATE TABLE IF NOT EXISTS hub_schedule_counts (practice_id TEXT NOT NULL, kind TEXT NOT NULL,
    n BIGINT NOT NULL, PRIMARY KEY (practice_id, kind));
";

/// What the hub did with a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleReceipt {
    /// Every change of the source up to this number is applied.
    pub applied_through: u64,
    /// Changes applied now.
    pub applied: u32,
    /// Changes already applied before (sent again), ignored.
    pub duplicates: u32,
}

/// One appointment the hub holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldAppointment {
    /// The EHR it was read from.
    pub ehr: String,
    /// When the hub last changed it (ms).
    pub updated_ms: u64,
    /// The appointment, its verdict and reasons.
    #[serde(flatten)]
    pub appointment: SyncedAppointment,
}

/// A practice's synced schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PracticeSchedule {
    /// The appointments held, by EHR then start.
    pub appointments: Vec<HeldAppointment>,
    /// Each EHR's last pass.
    pub runs: Vec<SyncRun>,
    /// Changes applied so far, by kind (`new`: 12).
    pub received: BTreeMap<String, u64>,
}

/// The stable name of a change kind (`rescheduled`).
pub fn kind_name(k: ChangeKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The changes of `batch` past `last_seq`, in order, and how many were sent before.
pub fn fresh(changes: &[ScheduleChange], last_seq: u64) -> (Vec<&ScheduleChange>, u32) {
    let fresh: Vec<&ScheduleChange> = changes.iter().filter(|c| c.seq > last_seq).collect();
    let duplicates = (changes.len() - fresh.len()) as u32;
    (fresh, duplicates)
}

/// Whether `new` should replace the stored run (`old`, JSON): a newer pass wins.
pub fn newer_run(new: &SyncRun, old: Option<&str>) -> bool {
    old.and_then(|t| serde_json::from_str::<SyncRun>(t).ok())
        .is_none_or(|o| new.at_ms >= o.at_ms)
}

/// Sorts the appointments for people: by EHR, then start, then id.
pub fn sort(list: &mut [HeldAppointment]) {
    list.sort_by(|a, b| {
        (&a.ehr, &a.appointment.start, &a.appointment.id).cmp(&(
            &b.ehr,
            &b.appointment.start,
            &b.appointment.id,
        ))
    });
}

/// A stored value that cannot be read, as a storage error naming it.
pub fn unreadable(what: &str, e: serde_json::Error) -> super::StoreError {
    super::StoreError::Storage(format!(
        "a stored {what} of the synced schedule cannot be read: {e}"
    ))
}
