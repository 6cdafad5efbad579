//! Appointments and patient demographics, read from `dbo.Appointments`, `dbo.Patients`,
//! `dbo.PatientInsurance`, `dbo.Resources` (providers are resources) and `dbo.Exams`, in
//! the column order of the SDK's `schedule_rows` (which keeps absent values absent and
//! unknown providers visible); the doctors among the resources with their `IsActive`
//! flag, and the staff `dbo.Users` with their emails.

use crate::DB;
use ehr_adapter_sdk::prelude::*;
use ehr_adapter_sdk::schedule_rows::{appointment, patient, provider, staff_user};
use ehr_adapter_sdk::sql::Value;

/// Dates are selected as ISO text (`CONVERT` styles 23 and 126): SQL Server returns
/// them identically, and the `iridium_server` emulator cannot send `date`/`datetime2`
/// columns in a form TDS clients read.
const PATIENT_COLUMNS: &str = "p.PatientID, p.FirstName, p.LastName, \
     CONVERT(NVARCHAR(10), p.BirthDate, 23), \
     p.EMail, p.HomePhone, p.Address1, p.City, p.State, p.ZipCode, i.CarrierName, i.PlanName";

/// The primary policy (Priority 1); OfficeMate keeps one row per patient and priority.
const INSURANCE_JOIN: &str =
    "LEFT JOIN dbo.PatientInsurance i ON i.PatientID = p.PatientID AND i.Priority = 1";

/// Reads appointments from `from-date` 00:00 up to (not including) the day after
/// `to-date`, by start time. The bounds are cast to `datetime2` explicitly: compared
/// with a text parameter, the `iridium_server` emulator compares as text, not as time.
pub fn read_schedule(q: &ScheduleQuery) -> Result<Vec<Appointment>, AdapterError> {
    let end = next_day(&q.to_date).ok_or_else(|| {
        AdapterError::NotFound(format!("`{}` is not a date (YYYY-MM-DD)", q.to_date))
    })?;
    let mut sql = format!(
        "SELECT a.AppointmentID, CONVERT(NVARCHAR(19), a.StartTime, 126), a.DurationMinutes, a.AppointmentType, \
         a.ResourceID, r.FirstName, r.LastName, a.Status, e.ExamID, {PATIENT_COLUMNS} \
         FROM dbo.Appointments a JOIN dbo.Patients p ON p.PatientID = a.PatientID {INSURANCE_JOIN} \
         LEFT JOIN dbo.Resources r ON r.ResourceID = a.ResourceID \
         LEFT JOIN dbo.Exams e ON e.AppointmentID = a.AppointmentID \
         WHERE a.StartTime >= CAST(@P1 AS DATETIME2) AND a.StartTime < CAST(@P2 AS DATETIME2)"
    );
    let mut params = vec![
        Value::Datetime(format!("{}T00:00:00", q.from_date.trim())),
        Value::Datetime(format!("{end}T00:00:00")),
    ];
    if let Some(p) = &q.provider_id {
        let id: i64 = p.trim().parse().map_err(|_| {
            AdapterError::NotFound(format!(
                "provider id `{p}` is not an OfficeMate resource number"
            ))
        })?;
        sql.push_str(" AND a.ResourceID = @P3");
        params.push(Value::Int(id));
    }
    sql.push_str(" ORDER BY a.StartTime, a.AppointmentID");
    let rows = sql::query(DB, &sql, &params)?;
    Ok(rows.rows.iter().map(|r| appointment(r)).collect())
}

/// Reads one patient by OfficeMate patient id.
pub fn read_patient(patient_id: &str) -> Result<Patient, AdapterError> {
    let id: i64 = patient_id.trim().parse().map_err(|_| {
        AdapterError::NotFound(format!("`{patient_id}` is not an OfficeMate patient id"))
    })?;
    let rows = sql::query(
        DB,
        &format!(
            "SELECT {PATIENT_COLUMNS} FROM dbo.Patients p {INSURANCE_JOIN} WHERE p.PatientID = @P1"
        ),
        &[Value::Int(id)],
    )?;
    match rows.rows.first() {
        Some(r) => Ok(patient(r)),
        None => Err(AdapterError::NotFound(format!(
            "OfficeMate has no patient {id}"
        ))),
    }
}

/// The doctors among the resources (rooms and equipment are resources too), with
/// OfficeMate's `IsActive` flag.
pub fn read_providers() -> Result<Vec<Provider>, AdapterError> {
    let rows = sql::query(
        DB,
        "SELECT ResourceID, FirstName, LastName, IsActive FROM dbo.Resources \
         WHERE ResourceType = N'Doctor' ORDER BY ResourceID",
        &[],
    )?;
    Ok(rows.rows.iter().map(|r| provider(r)).collect())
}

/// Every staff login, with its email.
pub fn read_staff() -> Result<Vec<StaffUser>, AdapterError> {
    let rows = sql::query(
        DB,
        "SELECT UserID, FirstName, LastName, EMail FROM dbo.Users ORDER BY UserID",
        &[],
    )?;
    Ok(rows.rows.iter().map(|r| staff_user(r)).collect())
}

/// The day after `date` (`YYYY-MM-DD`), so the range ends before it whatever the time
/// column's precision.
fn next_day(date: &str) -> Option<String> {
    let mut parts = date.trim().split('-').map(|p| p.parse::<u32>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d == 0 || d > days_in_month || parts.next().is_some() {
        return None;
    }
    let (y, m, d) = match (d == days_in_month, m == 12) {
        (false, _) => (y, m, d + 1),
        (true, false) => (y, m + 1, 1),
        (true, true) => (y + 1, 1, 1),
    };
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

#[cfg(test)]
mod tests {
    use super::next_day;

    // Month, year and leap-day ends roll over; impossible dates are refused.
    #[test]
    fn next_days() {
        assert_eq!(next_day("2026-11-16").as_deref(), Some("2026-11-17"));
        assert_eq!(next_day("2026-11-30").as_deref(), Some("2026-12-01"));
        assert_eq!(next_day("2026-12-31").as_deref(), Some("2027-01-01"));
        assert_eq!(next_day("2028-02-28").as_deref(), Some("2028-02-29"));
        assert_eq!(next_day("2026-02-29"), None);
        assert_eq!(next_day("16/11/2026"), None);
    }
}
