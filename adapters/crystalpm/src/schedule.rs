//! Appointments and patient demographics, read from `appts`, `patients`,
//! `patient_insurance`, `providers` and `ehr_file`, in the column order of the SDK's
//! `schedule_rows` (which keeps absent values absent and unknown providers visible); the
//! provider list with its `active` flag, and the staff `users` with their emails.

use crate::DB;
use ehr_adapter_sdk::prelude::*;
use ehr_adapter_sdk::schedule_rows::{appointment, patient, provider, staff_user};
use ehr_adapter_sdk::sql::{Rows, Value};

/// The patient's columns; the primary insurance (priority 1) comes from
/// [`INSURANCE_JOIN`].
const PATIENT_COLUMNS: &str = "p.account_id, p.first_name, p.last_name, p.birth_date, \
     p.email, p.home_phone, p.address1, p.city, p.state, p.zip, ins.carrier, ins.plan_name";

/// At most one row per patient: the primary key is (account_id, priority).
const INSURANCE_JOIN: &str =
    "LEFT JOIN patient_insurance ins ON ins.account_id = p.account_id AND ins.priority = 1";

/// Reads appointments from `from-date` to `to-date` inclusive, by start time.
pub fn read_schedule(q: &ScheduleQuery) -> Result<Vec<Appointment>, AdapterError> {
    let mut sql = format!(
        "SELECT a.appt_id, a.appt_start, a.duration_min, a.appt_type, a.provider_id, \
         pr.first_name, pr.last_name, a.status, \
         (SELECT MIN(f.ehr_id) FROM ehr_file f WHERE f.appt_id = a.appt_id), {PATIENT_COLUMNS} \
         FROM appts a JOIN patients p ON p.account_id = a.account_id {INSURANCE_JOIN} \
         LEFT JOIN providers pr ON pr.provider_id = a.provider_id \
         WHERE a.appt_start >= ? AND a.appt_start < DATE_ADD(?, INTERVAL 1 DAY)"
    );
    let mut params = vec![
        Value::Date(q.from_date.clone()),
        Value::Date(q.to_date.clone()),
    ];
    if let Some(p) = &q.provider_id {
        let id: i64 = p.trim().parse().map_err(|_| {
            AdapterError::NotFound(format!(
                "provider id `{p}` is not a CrystalPM provider number"
            ))
        })?;
        sql.push_str(" AND a.provider_id = ?");
        params.push(Value::Int(id));
    }
    sql.push_str(" ORDER BY a.appt_start, a.appt_id");
    let rows = sql::query(DB, &sql, &params)?;
    Ok(rows.rows.iter().map(|r| appointment(r)).collect())
}

/// Reads one patient by account id.
pub fn read_patient(patient_id: &str) -> Result<Patient, AdapterError> {
    let id: i64 = patient_id.trim().parse().map_err(|_| {
        AdapterError::NotFound(format!("`{patient_id}` is not a CrystalPM account id"))
    })?;
    let rows: Rows = sql::query(
        DB,
        &format!(
            "SELECT {PATIENT_COLUMNS} FROM patients p {INSURANCE_JOIN} WHERE p.account_id = ?"
        ),
        &[Value::Int(id)],
    )?;
    match rows.rows.first() {
        Some(r) => Ok(patient(r)),
        None => Err(AdapterError::NotFound(format!(
            "CrystalPM has no account {id}"
        ))),
    }
}

/// Every provider, with CrystalPM's `active` flag (0 for one who left).
pub fn read_providers() -> Result<Vec<Provider>, AdapterError> {
    let rows = sql::query(
        DB,
        "SELECT provider_id, first_name, last_name, active FROM providers ORDER BY provider_id",
        &[],
    )?;
    Ok(rows.rows.iter().map(|r| provider(r)).collect())
}

/// Every staff login, with its email.
pub fn read_staff() -> Result<Vec<StaffUser>, AdapterError> {
    let rows = sql::query(
        DB,
        "SELECT user_id, first_name, last_name, email FROM users ORDER BY user_id",
        &[],
    )?;
    Ok(rows.rows.iter().map(|r| staff_user(r)).collect())
}
