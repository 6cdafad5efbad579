//! What an adapter returns, with every piece of text in it passed through one function
//! (the adapter's [`SecretSet::redact`](super::SecretSet::redact)), so a secret an EHR
//! reflected cannot ride out of the host inside a result or an error.

use crate::runtime::bindings::latest::{
    AdapterError, AdapterInfo, Appointment, CheckReport, FieldMapping, FieldResult, FieldStatus,
    FieldWarning, Notice, Patient, Provider, StaffUser, WriteResult,
};

/// A function applied to every string. It takes the string by value, so text with
/// nothing to change passes through without a copy (this runs on every string of every
/// answer).
pub type TextFn<'a> = &'a dyn Fn(String) -> String;

fn opt(v: Option<String>, f: TextFn) -> Option<String> {
    v.map(f)
}

/// A typed adapter error with its text passed through `f`.
pub fn adapter_error(e: AdapterError, f: TextFn) -> AdapterError {
    use AdapterError as E;
    match e {
        E::SessionExpired(m) => E::SessionExpired(f(m)),
        E::NotLoggedIn(m) => E::NotLoggedIn(f(m)),
        E::Unreachable(m) => E::Unreachable(f(m)),
        E::Timeout(m) => E::Timeout(f(m)),
        E::RateLimited(mut r) => {
            r.message = f(r.message);
            E::RateLimited(r)
        }
        E::PermissionDenied(mut p) => {
            p.message = f(p.message);
            p.missing = opt(p.missing, f);
            E::PermissionDenied(p)
        }
        E::Rejected(mut r) => {
            r.message = f(r.message);
            r.code = opt(r.code, f);
            for e in &mut r.field_errors {
                e.field = f(std::mem::take(&mut e.field));
                e.message = f(std::mem::take(&mut e.message));
            }
            E::Rejected(r)
        }
        E::WrongPatient(m) => E::WrongPatient(f(m)),
        E::EncounterLocked(m) => E::EncounterLocked(f(m)),
        E::TemplateMismatch(m) => E::TemplateMismatch(f(m)),
        E::NotFound(m) => E::NotFound(f(m)),
        E::EhrInternal(m) => E::EhrInternal(f(m)),
        E::Misconfigured(m) => E::Misconfigured(f(m)),
        E::AdapterBug(m) => E::AdapterBug(f(m)),
        E::Cancelled(m) => E::Cancelled(f(m)),
    }
}

/// A `describe` answer with its text passed through `f`.
pub fn adapter_info(i: AdapterInfo, f: TextFn) -> AdapterInfo {
    AdapterInfo {
        id: f(i.id),
        ehr: f(i.ehr),
        version: f(i.version),
        description: f(i.description),
        fields: i
            .fields
            .into_iter()
            .map(|m| FieldMapping {
                field: f(m.field),
                target: opt(m.target, f),
                note: f(m.note),
            })
            .collect(),
        http_origins: i.http_origins.into_iter().map(f).collect(),
        databases: i.databases.into_iter().map(f).collect(),
        settings: i.settings.into_iter().map(|(k, v)| (f(k), f(v))).collect(),
        sync_timing: i.sync_timing,
    }
}

/// A `check` answer with its text passed through `f`.
pub fn check_report(r: CheckReport, f: TextFn) -> CheckReport {
    CheckReport {
        ehr_version: opt(r.ehr_version, f),
        details: r.details.into_iter().map(f).collect(),
    }
}

/// A write report with its text passed through `f`.
pub fn write_result(r: WriteResult, f: TextFn) -> WriteResult {
    WriteResult {
        record_id: opt(r.record_id, f),
        replayed: r.replayed,
        fields: field_results(r.fields, f),
        notices: r
            .notices
            .into_iter()
            .map(|n| Notice {
                kind: n.kind,
                message: f(n.message),
            })
            .collect(),
    }
}

/// Field lines (a write report's, or those reported landed) with their text through `f`.
pub fn field_results(fields: Vec<FieldResult>, f: TextFn) -> Vec<FieldResult> {
    fields
        .into_iter()
        .map(|field| FieldResult {
            field: f(field.field),
            status: match field.status {
                FieldStatus::Written => FieldStatus::Written,
                FieldStatus::Skipped((reason, why)) => FieldStatus::Skipped((reason, f(why))),
            },
            target: opt(field.target, f),
            warnings: field
                .warnings
                .into_iter()
                .map(|w| FieldWarning {
                    kind: w.kind,
                    message: f(w.message),
                })
                .collect(),
        })
        .collect()
}

/// A patient record with its text passed through `f`.
pub fn patient(p: Patient, f: TextFn) -> Patient {
    Patient {
        id: f(p.id),
        first_name: f(p.first_name),
        last_name: f(p.last_name),
        date_of_birth: opt(p.date_of_birth, f),
        email: opt(p.email, f),
        phone: opt(p.phone, f),
        address: opt(p.address, f),
        insurance: opt(p.insurance, f),
    }
}

/// Providers with their text passed through `f`.
pub fn providers(list: Vec<Provider>, f: TextFn) -> Vec<Provider> {
    list.into_iter()
        .map(|p| Provider {
            id: f(p.id),
            name: f(p.name),
            active: p.active,
        })
        .collect()
}

/// Staff users with their text passed through `f`.
pub fn staff(list: Vec<StaffUser>, f: TextFn) -> Vec<StaffUser> {
    list.into_iter()
        .map(|s| StaffUser {
            id: f(s.id),
            name: f(s.name),
            email: opt(s.email, f),
        })
        .collect()
}

/// Appointments with their text passed through `f`.
pub fn appointments(list: Vec<Appointment>, f: TextFn) -> Vec<Appointment> {
    list.into_iter()
        .map(|a| Appointment {
            id: f(a.id),
            start: f(a.start),
            duration_minutes: a.duration_minutes,
            appointment_type: f(a.appointment_type),
            provider_id: opt(a.provider_id, f),
            provider_name: opt(a.provider_name, f),
            patient_id: f(a.patient_id),
            patient: a.patient.map(|p| patient(p, f)),
            status: f(a.status),
            encounter_id: opt(a.encounter_id, f),
        })
        .collect()
}
