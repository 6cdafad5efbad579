//! Reading the schedule (one day per request, as Eyefinity serves it) and patient
//! demographics, mapped to the contract's types. Absent values are `none`, never empty
//! strings.

use crate::api::{Api, PatientJson, SlotJson};
use ehr_adapter_sdk::prelude::*;
use ehr_adapter_sdk::text::present;

/// The most days one schedule read may span: the EHR is asked once per day.
pub const MAX_DAYS: usize = 62;

/// Reads the appointments from `query.from_date` to `query.to_date`, inclusive.
pub fn read_schedule(query: &ScheduleQuery) -> Result<Vec<Appointment>, AdapterError> {
    let api = Api::from_config()?;
    let provider = query
        .provider_id
        .as_deref()
        .filter(|p| !p.trim().is_empty());
    let mut out = Vec::new();
    for day in days(&query.from_date, &query.to_date)? {
        for slot in api.schedule(&day, provider)?.slots {
            match to_appointment(&day, slot) {
                Ok(a) => out.push(a),
                Err(id) => log::warn(&format!("slot {id} has no patient; left out")),
            }
        }
    }
    Ok(out)
}

/// Reads one patient's demographics.
pub fn read_patient(patient_id: &str) -> Result<Patient, AdapterError> {
    Ok(to_patient(Api::from_config()?.patient(patient_id)?))
}

/// The contract's appointment for a slot on `day`, or the slot id when it has no patient.
pub fn to_appointment(day: &str, s: SlotJson) -> Result<Appointment, String> {
    let patient = s.patient.map(to_patient).ok_or_else(|| s.slot_id.clone())?;
    Ok(Appointment {
        id: s.slot_id,
        start: format!("{day}T{}:00", s.time),
        duration_minutes: s.minutes,
        appointment_type: s.reason,
        provider_id: s
            .provider
            .as_ref()
            .and_then(|p| present(Some(p.id.clone()))),
        provider_name: s.provider.and_then(|p| present(p.name)),
        patient_id: patient.id.clone(),
        patient: Some(patient),
        status: s.state,
        encounter_id: present(s.visit_id),
    })
}

/// The contract's patient.
pub fn to_patient(p: PatientJson) -> Patient {
    Patient {
        id: p.patient_id,
        first_name: p.name.given,
        last_name: p.name.family,
        date_of_birth: present(p.birth_date),
        email: present(p.contact.email),
        phone: present(p.contact.phone),
        address: present(p.address),
        insurance: primary_coverage(p.coverage),
    }
}

/// The primary coverage in words, carrier and plan (`VSP (Choice)`): the one with the
/// lowest priority that names a carrier; none without any.
fn primary_coverage(mut list: Vec<crate::api::CoverageJson>) -> Option<String> {
    list.sort_by_key(|c| c.priority);
    list.into_iter().find_map(|c| {
        let carrier = present(c.carrier)?;
        Some(match present(c.plan) {
            Some(plan) => format!("{carrier} ({plan})"),
            None => carrier,
        })
    })
}

/// Every date from `from` to `to`, inclusive, at most [`MAX_DAYS`].
pub fn days(from: &str, to: &str) -> Result<Vec<String>, AdapterError> {
    let refuse = |message: String| {
        AdapterError::Rejected(Rejection {
            code: None,
            message,
            field_errors: Vec::new(),
        })
    };
    let (mut day, end) = match (parse(from), parse(to)) {
        (Some(a), Some(b)) => (a, b),
        _ => {
            return Err(refuse(format!(
                "`{from}`..`{to}` is not a date range YYYY-MM-DD"
            )))
        }
    };
    let mut out = Vec::new();
    while day <= end {
        if out.len() == MAX_DAYS {
            return Err(refuse(format!(
                "a schedule read may span at most {MAX_DAYS} days"
            )));
        }
        out.push(format!("{:04}-{:02}-{:02}", day.0, day.1, day.2));
        day = next(day);
    }
    Ok(out)
}

fn parse(s: &str) -> Option<(u32, u32, u32)> {
    let mut it = s.trim().splitn(3, '-').map(|p| p.parse::<u32>().ok());
    let (y, m, d) = (it.next()??, it.next()??, it.next()??);
    ((1..=12).contains(&m) && (1..=month_len(y, m)).contains(&d)).then_some((y, m, d))
}

fn month_len(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn next((y, m, d): (u32, u32, u32)) -> (u32, u32, u32) {
    if d < month_len(y, m) {
        (y, m, d + 1)
    } else if m < 12 {
        (y, m + 1, 1)
    } else {
        (y + 1, 1, 1)
    }
}
