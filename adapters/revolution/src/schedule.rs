//! Reading the schedule and patient demographics, mapped to the contract's types.
//!
//! The contract says absent values are `none`, never empty strings, so the schedule sync
//! can tell "not recorded" from "recorded as blank": every optional value goes through
//! the SDK's `text::present`.

use crate::api::{Api, AppointmentJson, PatientJson};
use ehr_adapter_sdk::prelude::*;
use ehr_adapter_sdk::text::present;

/// Reads the appointments from `query.from_date` to `query.to_date`, inclusive.
pub fn read_schedule(query: &ScheduleQuery) -> Result<Vec<Appointment>, AdapterError> {
    let api = Api::from_config()?;
    let provider = query
        .provider_id
        .as_deref()
        .filter(|p| !p.trim().is_empty());
    let answer = api.appointments(&query.from_date, &query.to_date, provider)?;
    let mut out = Vec::with_capacity(answer.len());
    for a in answer {
        match to_appointment(a) {
            Ok(appointment) => out.push(appointment),
            // An appointment without a patient cannot be used for anything; leave it out
            // and say so, rather than failing the whole day's schedule.
            Err(id) => log::warn(&format!("appointment {id} has no patient; left out")),
        }
    }
    Ok(out)
}

/// Reads one patient's demographics.
pub fn read_patient(patient_id: &str) -> Result<Patient, AdapterError> {
    let api = Api::from_config()?;
    Ok(to_patient(api.patient(patient_id)?))
}

/// The contract's appointment, or the appointment id when it names no patient.
pub fn to_appointment(a: AppointmentJson) -> Result<Appointment, String> {
    let patient = a.patient.map(to_patient);
    let patient_id = patient
        .as_ref()
        .map(|p| p.id.clone())
        .or_else(|| present(a.patient_id))
        .filter(|id| !id.is_empty())
        .ok_or_else(|| a.id.clone())?;
    Ok(Appointment {
        id: a.id,
        start: a.start,
        duration_minutes: a.duration_minutes,
        appointment_type: a.kind,
        provider_id: present(a.provider_id),
        provider_name: present(a.provider_name),
        patient_id,
        patient,
        status: a.status,
        encounter_id: present(a.encounter_id),
    })
}

/// The contract's patient.
pub fn to_patient(p: PatientJson) -> Patient {
    Patient {
        id: p.id,
        first_name: p.first_name,
        last_name: p.last_name,
        date_of_birth: present(p.date_of_birth),
        email: present(p.email),
        phone: present(p.phone),
        address: p.address.as_ref().and_then(address_line),
        insurance: p.insurance.and_then(insurance_line),
    }
}

/// The insurance in words, payer and plan (`Aetna (PPO)`); no payer is no insurance.
fn insurance_line(i: crate::api::InsuranceJson) -> Option<String> {
    let payer = present(i.payer)?;
    Some(match present(i.plan) {
        Some(plan) => format!("{payer} ({plan})"),
        None => payer,
    })
}

/// The address on one line. The API documents a string; structured answers
/// (`line1`, `line2`, `city`, `state`, `postalCode`) become `12 Cedar Lane, Austin, TX 78701`.
fn address_line(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => present(Some(s.clone())),
        serde_json::Value::Object(o) => {
            let part = |k: &str| {
                o.get(k)
                    .and_then(|v| v.as_str())
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
            };
            let state_zip: Vec<&str> = [part("state"), part("postalCode")]
                .into_iter()
                .flatten()
                .collect();
            let state_zip = state_zip.join(" ");
            let parts: Vec<&str> = [part("line1"), part("line2"), part("city")]
                .into_iter()
                .flatten()
                .chain((!state_zip.is_empty()).then_some(state_zip.as_str()))
                .collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        _ => None,
    }
}
