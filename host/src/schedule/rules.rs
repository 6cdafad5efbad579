//! The practice guide's rules as pure functions: every appointment of a schedule read is
//! checked against the practice's [`SyncPolicy`] at a given time, and gets a verdict —
//! syncs, or not, with every reason.

use super::policy::SyncPolicy;
use super::reason::{Effect, Reason};
use crate::runtime::bindings::latest::{Appointment, Provider, StaffUser};
use jiff::civil::{Date, DateTime, Weekday};
use serde::Serialize;
use std::collections::BTreeMap;

/// The verdict on one appointment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The EHR's appointment id.
    pub appointment_id: String,
    /// True when it syncs (no reason blocks it; notes may remain).
    pub syncs: bool,
    /// Every rule it fails, or notes on how it syncs.
    pub reasons: Vec<Reason>,
}

/// What the EHR says about the practice besides the appointments (each `None` when the
/// adapter cannot say: a rule that needs it is then not applied).
#[derive(Debug, Clone, Copy, Default)]
pub struct Practice<'a> {
    /// The providers, with whether each is active.
    pub providers: Option<&'a [Provider]>,
    /// The staff users, with their emails.
    pub staff: Option<&'a [StaffUser]>,
}

/// The verdicts on `appointments` at `now` (the practice's local time).
pub fn check(
    appointments: &[Appointment],
    practice: Practice<'_>,
    policy: &SyncPolicy,
    now: DateTime,
) -> Vec<Verdict> {
    let emails = emails_by_patient(appointments);
    appointments
        .iter()
        .map(|a| {
            let reasons = if is_cancelled(a) {
                Vec::new()
            } else {
                reasons(a, practice, policy, now, &emails)
            };
            Verdict {
                appointment_id: a.id.clone(),
                syncs: reasons.iter().all(|r| r.effect() == Effect::Note),
                reasons,
            }
        })
        .collect()
}

fn is_cancelled(a: &Appointment) -> bool {
    a.status.to_ascii_lowercase().contains("cancel")
}

fn reasons(
    a: &Appointment,
    practice: Practice<'_>,
    policy: &SyncPolicy,
    now: DateTime,
    emails: &BTreeMap<String, Vec<String>>,
) -> Vec<Reason> {
    let mut out = Vec::new();
    if !policy
        .approved_types
        .iter()
        .any(|t| t == &a.appointment_type)
    {
        out.push(Reason::TypeNotApproved {
            appointment_type: a.appointment_type.clone(),
            resembles: resembling(&a.appointment_type, &policy.approved_types),
        });
    }
    out.extend(patient_reasons(a, practice, policy, emails));
    match a.start.parse::<DateTime>() {
        Ok(start) => out.extend(time_reasons(start, policy, now)),
        Err(_) => out.push(Reason::InThePast),
    }
    if let Some(r) = provider_reason(a, practice, policy) {
        out.push(r);
    }
    out
}

fn patient_reasons(
    a: &Appointment,
    practice: Practice<'_>,
    policy: &SyncPolicy,
    emails: &BTreeMap<String, Vec<String>>,
) -> Vec<Reason> {
    let Some(p) = &a.patient else {
        return vec![Reason::DemographicsIncomplete {
            missing: vec!["the patient's demographics (the EHR returned none)".into()],
        }];
    };
    let mut out = Vec::new();
    match p.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => out.push(Reason::NoEmail),
        Some(e) if !valid_email(e) => out.push(Reason::InvalidEmail {
            email: e.to_string(),
        }),
        Some(e) => {
            let key = e.to_ascii_lowercase();
            let others: Vec<String> = emails
                .get(&key)
                .map(|ids| ids.iter().filter(|id| **id != p.id).cloned().collect())
                .unwrap_or_default();
            if !others.is_empty() {
                out.push(Reason::EmailShared {
                    other_patients: others,
                });
            }
            let staff = practice.staff.unwrap_or_default();
            if staff.iter().any(|s| {
                s.email
                    .as_deref()
                    .is_some_and(|s| s.trim().eq_ignore_ascii_case(e))
            }) {
                out.push(Reason::StaffEmail);
            }
        }
    }
    let blank = |v: Option<&str>| v.is_none_or(|s| s.trim().is_empty());
    let mut missing = Vec::new();
    for (what, value) in [
        ("first name", Some(p.first_name.as_str())),
        ("last name", Some(p.last_name.as_str())),
        ("date of birth", p.date_of_birth.as_deref()),
        ("address", p.address.as_deref()),
    ] {
        if blank(value) {
            missing.push(what.to_string());
        }
    }
    if policy.require_insurance && blank(p.insurance.as_deref()) {
        missing.push("insurance".into());
    }
    if !missing.is_empty() {
        out.push(Reason::DemographicsIncomplete { missing });
    }
    out
}

fn time_reasons(start: DateTime, policy: &SyncPolicy, now: DateTime) -> Vec<Reason> {
    if start < now {
        return vec![Reason::InThePast];
    }
    let lead = jiff::Span::new().minutes(policy.lead_minutes as i64);
    if now.checked_add(lead).is_ok_and(|earliest| start < earliest) {
        return vec![Reason::TooClose {
            lead_minutes: policy.lead_minutes,
        }];
    }
    let (today, day) = (now.date(), start.date());
    let horizon = jiff::Span::new().days(policy.horizon_days as i64);
    if today.checked_add(horizon).is_ok_and(|last| day > last) {
        let syncs_on = day
            .checked_sub(horizon)
            .map(|d| d.to_string())
            .unwrap_or_default();
        return vec![Reason::BeyondHorizon { syncs_on }];
    }
    if business_days_between(today, day) > 7 {
        return vec![Reason::BeyondSevenBusinessDays];
    }
    Vec::new()
}

/// Monday-to-Friday days after `from` up to and including `to`.
fn business_days_between(from: Date, to: Date) -> u32 {
    let mut n = 0;
    let mut d = from;
    while d < to {
        d = d.tomorrow().expect("dates in range");
        if !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
            n += 1;
        }
    }
    n
}

fn provider_reason(a: &Appointment, practice: Practice<'_>, policy: &SyncPolicy) -> Option<Reason> {
    let not_enabled = |p: &str| {
        Some(Reason::ProviderNotEnabled {
            provider: p.to_string(),
        })
    };
    let Some(id) = a.provider_id.as_deref() else {
        return not_enabled("none");
    };
    if !policy.enabled_providers.is_empty() {
        return if policy.enabled_providers.iter().any(|p| p == id) {
            None
        } else {
            not_enabled(id)
        };
    }
    let providers = practice.providers?;
    match providers.iter().find(|p| p.id == id) {
        Some(p) if p.active => None,
        _ => not_enabled(id),
    }
}

/// Patient ids by lower-cased email, across the whole read.
fn emails_by_patient(appointments: &[Appointment]) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in appointments.iter().filter_map(|a| a.patient.as_ref()) {
        if let Some(e) = p.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            let ids = map.entry(e.to_ascii_lowercase()).or_default();
            if !ids.contains(&p.id) {
                ids.push(p.id.clone());
            }
        }
    }
    map
}

/// A plausible email address: one `@`, a local part, a domain of dotted labels ending in
/// a top-level domain of letters; no spaces.
pub fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    !local.is_empty()
        && local.len() <= 64
        && !local.contains(char::is_whitespace)
        && !domain.contains('@')
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()))
}

/// The approved type that `t` nearly matches: equal ignoring case, spacing and
/// punctuation, or within two letters' edit.
fn resembling(t: &str, approved: &[String]) -> Option<String> {
    let fold = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let mine = fold(t);
    approved
        .iter()
        .map(|a| (edit_distance(&mine, &fold(a)), a))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a.clone())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests;
