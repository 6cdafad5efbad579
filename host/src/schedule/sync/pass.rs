//! One sync pass of one EHR: read the schedule over the horizon (today to today + the
//! practice's horizon, in the practice's time zone), the patients the read did not carry,
//! the providers and staff; run the rules; record the change set against the last state
//! in the outbox. An EHR that cannot be read records a failed pass and changes nothing.

use super::diff;
use super::model::{SyncOutcome, SyncRun, SyncSettings, SyncedAppointment, SyncedPatient, Timing};
use super::outbox::Outbox;
use crate::runtime::bindings::latest::{Appointment, Patient, ScheduleQuery};
use crate::runtime::LoadedAdapter;
use crate::schedule::{self, Practice};
use anyhow::{Context, Result};
use std::collections::BTreeMap;

/// The adapter's declared timing (contract 0.1.0 adapters get the default).
pub async fn timing(adapter: &LoadedAdapter) -> Timing {
    let t = match adapter.describe().await {
        Ok(info) => info.sync_timing,
        Err(_) => crate::contract::DEFAULT_SYNC_TIMING,
    };
    Timing {
        min_poll_seconds: t.min_poll_seconds,
        normal_minutes: t.normal_minutes,
        abnormal_minutes: t.abnormal_minutes,
    }
}

/// Now in the practice's time zone (its setting, else this computer's).
pub fn practice_now(settings: &SyncSettings, now_ms: u64) -> Result<jiff::civil::DateTime> {
    let tz = match settings.policy.time_zone.as_deref() {
        Some(name) => jiff::tz::TimeZone::get(name).with_context(|| {
            format!("`{name}` in the practice's schedule settings is not a time zone (use an IANA name such as America/Chicago)")
        })?,
        None => jiff::tz::TimeZone::system(),
    };
    let ts = jiff::Timestamp::from_millisecond(now_ms as i64)?;
    Ok(ts.to_zoned(tz).datetime())
}

/// Runs one pass of `ehr` through `adapter` at `now_ms`, recording it in `outbox`.
pub async fn run(
    outbox: &Outbox,
    ehr: &str,
    adapter: &LoadedAdapter,
    settings: &SyncSettings,
    now_ms: u64,
) -> Result<SyncRun> {
    let timing = timing(adapter).await;
    let last_good = outbox.run(ehr)?.and_then(|r| r.last_good_ms);
    let mut run = SyncRun {
        ehr: ehr.to_string(),
        at_ms: now_ms,
        last_good_ms: last_good,
        outcome: SyncOutcome::Ok,
        appointments: 0,
        syncing: 0,
        by_reason: BTreeMap::new(),
        changes: 0,
        timing,
    };
    let now = practice_now(settings, now_ms)?;
    let from = now.date();
    let to = from
        .checked_add(jiff::Span::new().days(settings.policy.horizon_days as i64))
        .unwrap_or(from);
    let query = ScheduleQuery {
        from_date: from.to_string(),
        to_date: to.to_string(),
        provider_id: None,
    };
    let mut list = match adapter.read_schedule(query).await {
        Ok(list) => list,
        Err(e) => {
            run.outcome = SyncOutcome::Failed {
                message: crate::untrusted::clean(&adapter.redact(&e.to_string()), 300),
            };
            outbox.record_run(&run)?;
            return Ok(run);
        }
    };
    fill_patients(adapter, &mut list).await;
    neutralise(&mut list);
    let providers = adapter.read_providers().await.ok();
    let staff = adapter.read_staff().await.ok();
    let practice = Practice {
        providers: providers.as_deref(),
        staff: staff.as_deref(),
    };
    let verdicts = schedule::check(&list, practice, &settings.policy, now);
    let current: Vec<SyncedAppointment> = list
        .iter()
        .zip(verdicts)
        .map(|(a, v)| synced(a, v.syncs, v.reasons))
        .collect();
    for a in current.iter().filter(|a| !diff::is_cancelled(&a.status)) {
        run.appointments += 1;
        run.syncing += u32::from(a.syncs);
        for r in &a.reasons {
            *run.by_reason.entry(r.code().to_string()).or_default() += 1;
        }
    }
    let sent = outbox.state(ehr)?;
    let from_day = from.to_string();
    let changes = diff::changes(&sent, &current, &from_day);
    let state = diff::next_state(&sent, &changes, &from_day);
    run.changes = changes.len() as u32;
    run.last_good_ms = Some(now_ms);
    outbox.record(ehr, &changes, &state, &run)?;
    Ok(run)
}

/// Reads, once per patient, the demographics of appointments the read did not carry.
async fn fill_patients(adapter: &LoadedAdapter, list: &mut [Appointment]) {
    let mut read: BTreeMap<String, Option<Patient>> = BTreeMap::new();
    for a in list.iter_mut().filter(|a| a.patient.is_none()) {
        if !read.contains_key(&a.patient_id) {
            let p = adapter.read_patient(a.patient_id.clone()).await.ok();
            read.insert(a.patient_id.clone(), p);
        }
        a.patient = read.get(&a.patient_id).cloned().flatten();
    }
}

/// Bounds and neutralises every EHR text the rules may quote in a reason.
fn neutralise(list: &mut [Appointment]) {
    for a in list.iter_mut() {
        a.id = clean(&a.id);
        a.appointment_type = clean(&a.appointment_type);
        a.provider_id = a.provider_id.as_deref().map(clean);
        if let Some(p) = a.patient.as_mut() {
            p.id = clean(&p.id);
            p.email = p.email.as_deref().map(clean);
        }
    }
}

fn clean(s: &str) -> String {
    crate::untrusted::clean(s, crate::untrusted::LABEL)
}

/// An appointment as synced: every EHR text bounded and neutralised.
fn synced(a: &Appointment, syncs: bool, reasons: Vec<schedule::Reason>) -> SyncedAppointment {
    SyncedAppointment {
        id: clean(&a.id),
        start: clean(&a.start),
        duration_minutes: a.duration_minutes,
        appointment_type: clean(&a.appointment_type),
        provider_id: a.provider_id.as_deref().map(clean),
        status: clean(&a.status),
        patient: a.patient.as_ref().map(|p| SyncedPatient {
            id: clean(&p.id),
            first_name: clean(&p.first_name),
            last_name: clean(&p.last_name),
            date_of_birth: p.date_of_birth.as_deref().map(clean),
            email: p.email.as_deref().map(clean),
        }),
        syncs,
        reasons,
    }
}
