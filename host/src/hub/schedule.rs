//! Each practice's schedule sync as the operator sees it (`ehr-host hub schedule`): the
//! settings pushed to its agents, each EHR's last pass and whether the sync is late
//! (its last good pass older than the adapter's abnormal sync time), counts by reason,
//! and every appointment that does not sync with its reasons and the guide's advice.

use super::store::{HubStore, PracticeSchedule, PracticeSettings, StoreError};
use crate::link::protocol::ScheduleDirective;
use crate::schedule::sync::{SyncOutcome, SyncRun, SyncSettings};
use crate::schedule::Effect;
use serde::Serialize;
use std::collections::BTreeMap;

/// What the agents of a practice are told: its settings (or the defaults) and the last
/// sync-now request.
pub fn directive(settings: &PracticeSettings) -> ScheduleDirective {
    ScheduleDirective {
        settings: settings.schedule.clone().unwrap_or_default(),
        sync_requested_ms: settings.schedule_sync_requested_ms,
    }
}

/// Where one EHR's sync stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncHealth {
    /// The last good pass is within the abnormal sync time.
    Ok,
    /// No good pass within the abnormal sync time: changes are not reaching the hub.
    Late,
    /// No pass has read the schedule yet.
    NeverSynced,
}

/// One EHR's sync.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EhrSync {
    /// The adapter.
    pub ehr: String,
    /// Ok, late or never synced.
    pub health: SyncHealth,
    /// Minutes since the last good pass.
    pub minutes_since_good: Option<u64>,
    /// The last pass.
    pub last_run: SyncRun,
}

/// A reason as shown: code, whether it blocks, the advice in the guide's words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShownReason {
    /// Stable machine code.
    pub code: &'static str,
    /// Blocks the sync, or a note.
    pub effect: Effect,
    /// What to do.
    pub advice: String,
}

/// An appointment that does not sync.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotSynced {
    /// The EHR.
    pub ehr: String,
    /// The appointment id.
    pub id: String,
    /// Start (practice time).
    pub start: String,
    /// Appointment type.
    pub appointment_type: String,
    /// Every reason.
    pub reasons: Vec<ShownReason>,
}

/// A practice's schedule sync.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduleView {
    /// The practice.
    pub practice: String,
    /// Its settings.
    pub settings: SyncSettings,
    /// When a sync now was last asked for (ms).
    pub sync_requested_ms: Option<u64>,
    /// True when any EHR's sync is late or never happened.
    pub abnormal: bool,
    /// Each EHR's sync.
    pub ehrs: Vec<EhrSync>,
    /// Appointments held.
    pub appointments: u32,
    /// Of those, how many sync.
    pub syncing: u32,
    /// Appointments per reason code.
    pub by_reason: BTreeMap<String, u32>,
    /// Changes received so far, by kind.
    pub received: BTreeMap<String, u64>,
    /// The appointments that do not sync, with reasons.
    pub not_synced: Vec<NotSynced>,
}

/// Judges one EHR's last pass at `now_ms`.
pub fn health(run: &SyncRun, now_ms: u64) -> (SyncHealth, Option<u64>) {
    let good = match (&run.outcome, run.last_good_ms) {
        (SyncOutcome::Ok, _) => Some(run.at_ms),
        (_, g) => g,
    };
    let Some(good) = good else {
        return (SyncHealth::NeverSynced, None);
    };
    let minutes = now_ms.saturating_sub(good) / 60_000;
    let late = now_ms.saturating_sub(good) > u64::from(run.timing.abnormal_minutes) * 60_000;
    (
        if late {
            SyncHealth::Late
        } else {
            SyncHealth::Ok
        },
        Some(minutes),
    )
}

/// The view of `schedule` for `practice` with `settings`, at `now_ms`.
pub fn view(
    practice: &str,
    settings: &PracticeSettings,
    schedule: PracticeSchedule,
    now_ms: u64,
) -> ScheduleView {
    let ehrs: Vec<EhrSync> = schedule
        .runs
        .into_iter()
        .map(|r| {
            let (health, minutes) = health(&r, now_ms);
            EhrSync {
                ehr: r.ehr.clone(),
                health,
                minutes_since_good: minutes,
                last_run: r,
            }
        })
        .collect();
    let mut by_reason = BTreeMap::new();
    let mut not_synced = Vec::new();
    let mut syncing = 0;
    for h in &schedule.appointments {
        let a = &h.appointment;
        syncing += u32::from(a.syncs);
        for r in &a.reasons {
            *by_reason.entry(r.code().to_string()).or_default() += 1;
        }
        if !a.syncs {
            not_synced.push(NotSynced {
                ehr: h.ehr.clone(),
                id: a.id.clone(),
                start: a.start.clone(),
                appointment_type: a.appointment_type.clone(),
                reasons: a
                    .reasons
                    .iter()
                    .map(|r| ShownReason {
                        code: r.code(),
                        effect: r.effect(),
                        advice: r.advice(),
                    })
                    .collect(),
            });
        }
    }
    ScheduleView {
        practice: practice.to_string(),
        settings: settings.schedule.clone().unwrap_or_default(),
        sync_requested_ms: settings.schedule_sync_requested_ms,
        abnormal: ehrs.is_empty() || ehrs.iter().any(|e| e.health != SyncHealth::Ok),
        ehrs,
        appointments: schedule.appointments.len() as u32,
        syncing,
        by_reason,
        received: schedule.received,
        not_synced,
    }
}

/// Reads `practice`'s schedule sync from the store.
pub async fn load<S: HubStore>(
    store: &S,
    practice: &str,
    now_ms: u64,
) -> Result<ScheduleView, StoreError> {
    let p = store.practice(practice).await?;
    let schedule = store.schedule(practice).await?;
    Ok(view(practice, &p.settings, schedule, now_ms))
}

/// Changes `practice`'s sync settings with `change`, and/or asks its agents for a sync
/// now (they read at their next heartbeat). Returns the settings in force.
pub async fn update<S: HubStore>(
    store: &S,
    practice: &str,
    change: impl FnOnce(&mut SyncSettings),
    sync_now_ms: Option<u64>,
) -> Result<SyncSettings, StoreError> {
    let mut settings = store.practice(practice).await?.settings;
    let mut sync = settings.schedule.clone().unwrap_or_default();
    change(&mut sync);
    settings.schedule = Some(sync.clone());
    if sync_now_ms.is_some() {
        settings.schedule_sync_requested_ms = sync_now_ms;
    }
    store.set_practice_settings(practice, &settings).await?;
    Ok(sync)
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;

/// Tells the metrics and alerts about the passes in a batch the hub applied for
/// `practice` (`receipt`: what applying it did): each pass by how it ended, its
/// appointments by reason, and when the next good pass is due (the adapter's abnormal
/// time), after which an alert opens. A batch sent again (every change in it applied
/// before) was observed the first time, and is not counted twice.
pub fn observe(
    practice: &str,
    batch: &crate::link::protocol::ScheduleBatch,
    receipt: &super::store::ScheduleReceipt,
) {
    use crate::schedule::sync::SyncOutcome;
    if receipt.applied == 0 && receipt.duplicates > 0 {
        return;
    }
    for run in &batch.runs {
        crate::metrics::global().schedule_pass(
            practice,
            &run.ehr,
            !matches!(run.outcome, SyncOutcome::Ok),
            run.syncing,
            &run.by_reason,
            u64::from(run.timing.abnormal_minutes) * 60_000,
        );
    }
}
