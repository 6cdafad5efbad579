//! Appointments and patients from SQL rows, for adapters of local EHRs. The adapter's
//! query selects the columns in the order documented on [`patient`] and
//! [`appointment`]; absent values come back as `None`, never as empty strings, so the
//! schedule sync can tell a patient without an email from one with an empty email.

use crate::sql::Value;
use crate::{Appointment, Patient, Provider, StaffUser};

/// How many columns [`patient`] reads.
pub const PATIENT_COLUMNS: usize = 12;

/// A cell as trimmed text; `None` when it is NULL or blank. Integers are written out.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::Int(i) => Some(i.to_string()),
        other => other
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    }
}

/// A patient from columns: id, first name, last name, date of birth, email, phone,
/// street address, city, state, zip, insurance carrier, insurance plan. The address parts
/// are joined into one line ("12 Elm St, Springfield, IL 62701"); no part at all gives no
/// address. The insurance is the carrier with its plan ("Blue Cross (PPO)"); no carrier
/// gives no insurance.
pub fn patient(r: &[Value]) -> Patient {
    let address = match (text(&r[6]), text(&r[7]), text(&r[8]), text(&r[9])) {
        (None, None, None, None) => None,
        (street, city, state, zip) => Some(
            [
                street,
                city,
                state.map(|s| match zip {
                    Some(z) => format!("{s} {z}"),
                    None => s,
                }),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", "),
        ),
    };
    Patient {
        id: text(&r[0]).unwrap_or_default(),
        first_name: text(&r[1]).unwrap_or_default(),
        last_name: text(&r[2]).unwrap_or_default(),
        date_of_birth: text(&r[3]),
        email: text(&r[4]),
        phone: text(&r[5]),
        address,
        insurance: text(&r[10]).map(|carrier| match text(&r[11]) {
            Some(plan) => format!("{carrier} ({plan})"),
            None => carrier,
        }),
    }
}

/// A provider from columns: id, first name, last name, active flag (a boolean, or an
/// integer where anything but 0 is active; NULL is active, as EHRs default it).
pub fn provider(r: &[Value]) -> Provider {
    let name = [text(&r[1]), text(&r[2])]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Provider {
        id: text(&r[0]).unwrap_or_default(),
        name,
        active: match &r[3] {
            Value::Boolean(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Null => true,
            other => !matches!(other.as_str().map(str::trim), Some("0" | "false" | "N")),
        },
    }
}

/// A staff user from columns: id, first name, last name, email (absent when NULL or
/// blank).
pub fn staff_user(r: &[Value]) -> StaffUser {
    let name = [text(&r[1]), text(&r[2])]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    StaffUser {
        id: text(&r[0]).unwrap_or_default(),
        name,
        email: text(&r[3]),
    }
}

/// An appointment from columns: id, start, duration in minutes, type, provider id,
/// provider first name, provider last name, status, encounter id, then the
/// [`PATIENT_COLUMNS`] of [`patient`]. A provider missing from the EHR's provider table
/// keeps its id and has no name.
pub fn appointment(r: &[Value]) -> Appointment {
    let provider_name = match (text(&r[5]), text(&r[6])) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        _ => None,
    };
    let p = patient(&r[9..]);
    Appointment {
        id: text(&r[0]).unwrap_or_default(),
        start: text(&r[1]).unwrap_or_default(),
        duration_minutes: r[2].as_i64().unwrap_or(0).clamp(0, u32::MAX as i64) as u32,
        appointment_type: text(&r[3]).unwrap_or_default(),
        provider_id: text(&r[4]),
        provider_name,
        patient_id: p.id.clone(),
        patient: Some(p),
        status: text(&r[7]).unwrap_or_default(),
        encounter_id: text(&r[8]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }

    // A full row reads back whole; an unknown provider keeps its id without a name; a
    // patient with no email, phone or address gets `None`s, not empty strings.
    #[test]
    fn rows_become_appointments() {
        let mut row = vec![
            Value::Int(9003),
            Value::Datetime("2026-11-16T10:00:00".into()),
            Value::Int(20),
            t("Dry Eye Evaluation"),
            Value::Int(99),
            Value::Null,
            Value::Null,
            t("completed"),
            Value::Int(5003),
        ];
        row.extend([
            Value::Int(1003),
            t("Wei"),
            t("Nguyen"),
            Value::Date("1979-11-30".into()),
            t("  "),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ]);
        let a = appointment(&row);
        assert_eq!(a.id, "9003");
        assert_eq!(a.provider_id.as_deref(), Some("99"));
        assert_eq!(a.provider_name, None);
        assert_eq!(a.encounter_id.as_deref(), Some("5003"));
        let p = a.patient.unwrap();
        assert_eq!(p.date_of_birth.as_deref(), Some("1979-11-30"));
        assert_eq!((p.email, p.phone, p.address), (None, None, None));
        assert_eq!(p.insurance, None);
        let with_address = patient(&[
            Value::Int(1),
            t("A"),
            t("B"),
            Value::Null,
            Value::Null,
            Value::Null,
            t("12 Elm St"),
            t("Springfield"),
            t("IL"),
            t("62701"),
            t("Blue Cross"),
            t("PPO"),
        ]);
        assert_eq!(
            with_address.address.as_deref(),
            Some("12 Elm St, Springfield, IL 62701")
        );
        assert_eq!(with_address.insurance.as_deref(), Some("Blue Cross (PPO)"));
    }

    // Providers keep their active flag whatever the driver calls a bit; staff users
    // without an email have none, not an empty one.
    #[test]
    fn rows_become_providers_and_staff() {
        let p = |active| provider(&[Value::Int(5), t("Victor"), t("Hale"), active]);
        assert!(!p(Value::Int(0)).active);
        assert!(!p(Value::Boolean(false)).active);
        assert!(p(Value::Int(1)).active);
        assert!(p(Value::Boolean(true)).active);
        assert_eq!(p(Value::Null).name, "Victor Hale");
        let s = staff_user(&[Value::Int(2), t("Owen"), t("Park"), t(" ")]);
        assert_eq!(
            (s.id.as_str(), s.name.as_str(), s.email),
            ("2", "Owen Park", None)
        );
        let s = staff_user(&[
            Value::Int(1),
            t("Dana"),
            t("Frost"),
            t("frontdesk@x.example"),
        ]);
        assert_eq!(s.email.as_deref(), Some("frontdesk@x.example"));
    }
}
