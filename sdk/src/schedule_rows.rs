//! Appointments and patients from SQL rows, for adapters of local EHRs. The adapter's
//! query selects the columns in the order documented on [`patient`] and
//! [`appointment`]; absent values come back as `None`, never as empty strings, so the
//! schedule sync can tell a patient without an email from one with an empty email.

use crate::sql::Value;
use crate::{Appointment, Patient};

/// How many columns [`patient`] reads.
pub const PATIENT_COLUMNS: usize = 10;

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
/// street address, city, state, zip. The address parts are joined into one line
/// ("12 Elm St, Springfield, IL 62701"); no part at all gives no address.
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
        insurance: None,
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
        ]);
        let a = appointment(&row);
        assert_eq!(a.id, "9003");
        assert_eq!(a.provider_id.as_deref(), Some("99"));
        assert_eq!(a.provider_name, None);
        assert_eq!(a.encounter_id.as_deref(), Some("5003"));
        let p = a.patient.unwrap();
        assert_eq!(p.date_of_birth.as_deref(), Some("1979-11-30"));
        assert_eq!((p.email, p.phone, p.address), (None, None, None));
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
        ]);
        assert_eq!(
            with_address.address.as_deref(),
            Some("12 Elm St, Springfield, IL 62701")
        );
    }
}
