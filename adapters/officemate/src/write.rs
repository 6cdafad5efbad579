//! The write flow, all inside one transaction on the `officemate` database:
//!
//! 1. read the exam row with an update lock and check it belongs to the job's patient
//!    (patient id, last and first name, date of birth) and is not signed; otherwise
//!    nothing is written and the error says why — unless the job is already in
//!    `dbo.DoctoraJobs` for this exam (it landed before the exam was signed or moved):
//!    that is a replay, not a refusal;
//! 2. look the job id up in `dbo.DoctoraJobs`: a job already written is reported as
//!    `replayed` and nothing is written again;
//! 3. write each table's planned values (one-row-per-exam tables: update the planned
//!    columns of the existing row or insert one; findings and the diagnosis list are
//!    replaced; a note is appended);
//! 4. record the job id, and commit.
//!
//! The order and the transaction are the SDK's `Ledger::write`; this module supplies
//! the guard and the statements.
//!
//! Rows-affected counts are never used to decide anything: some servers (and the
//! `iridium_server` emulator) report 0 for inserts. Whether a row exists is read instead,
//! under the exam's lock. Dates are read as ISO text (`CONVERT(NVARCHAR(10), d, 23)`),
//! which SQL Server and the emulator both return correctly. Any failure before the commit rolls everything back (the SDK's
//! `transaction`, and the host when the call traps or times out).

use crate::mapping::{self, DIAGNOSES, EXAM, FINDINGS, IOP, NOTES, VA};
use crate::DB;
use ehr_adapter_sdk::identity::{self, EhrEncounter, EhrPatient};
use ehr_adapter_sdk::ledger::Ledger;
use ehr_adapter_sdk::mapping::{Line, MappedValue};
use ehr_adapter_sdk::prelude::*;
use ehr_adapter_sdk::sql::Value;
use ehr_adapter_sdk::Diagnosis;

/// `@P1, @P2, ...` from `first`, for `n` parameters.
fn placeholders(first: usize, n: usize) -> Vec<String> {
    (first..first + n).map(|i| format!("@P{i}")).collect()
}

/// The adapter's job ledger (`dbo.DoctoraJobs`).
pub const LEDGER: Ledger = Ledger {
    database: DB,
    lookup: "SELECT ExamID FROM dbo.DoctoraJobs WHERE JobID = @P1",
    insert: "INSERT INTO dbo.DoctoraJobs (JobID, ExamID, TransactionID) VALUES (@P1, @P2, @P3)",
    record: "exam",
};

/// Writes one encounter; see the module documentation for the steps.
pub fn write_encounter(s: &EncounterSnapshot) -> Result<WriteResult, AdapterError> {
    let exam_id: i64 = s.encounter_id.trim().parse().map_err(|_| {
        AdapterError::NotFound(format!(
            "encounter id `{}` is not an OfficeMate exam number",
            s.encounter_id
        ))
    })?;
    let mut plan = mapping::mapping().apply(s);
    plan.shape_diagnoses(DIAGNOSES, &mapping::DIAGNOSIS_RULES);
    LEDGER.write(
        &s.job_id,
        exam_id,
        plan,
        || verify_patient(exam_id, s),
        |section, lines| write_section(exam_id, section, lines),
    )
}

/// The wrong-patient guard (the SDK's identity check: patient id, last and first name,
/// date of birth) and the signature check, on the exam row, which stays update-locked
/// until the transaction ends.
pub fn verify_patient(exam_id: i64, s: &EncounterSnapshot) -> Result<(), AdapterError> {
    let rows = sql::query(
        DB,
        "SELECT e.PatientID, e.IsSigned, p.LastName, CONVERT(NVARCHAR(10), p.BirthDate, 23), \
         p.FirstName, CONVERT(NVARCHAR(10), e.ExamDate, 23) \
         FROM dbo.Exams e WITH (UPDLOCK, ROWLOCK) \
         JOIN dbo.Patients p ON p.PatientID = e.PatientID \
         WHERE e.ExamID = @P1",
        &[Value::Int(exam_id)],
    )?;
    let Some(row) = rows.rows.first() else {
        return Err(AdapterError::NotFound(format!(
            "OfficeMate has no exam {exam_id}"
        )));
    };
    let owner = row[0].as_i64().unwrap_or_default().to_string();
    let cell = |i: usize| row.get(i).and_then(Value::as_str);
    let ehr = EhrEncounter {
        id: &s.encounter_id,
        patient: EhrPatient {
            id: &owner,
            first_name: cell(4),
            last_name: cell(2),
            date_of_birth: cell(3),
        },
        locked: matches!(row[1], Value::Boolean(true)) || row[1].as_i64().unwrap_or_default() != 0,
        date: cell(5),
        template_id: None,
    };
    let notices = identity::check(s, &ehr)?;
    identity::log_notices(&s.job_id, &s.encounter_id, &notices);
    Ok(())
}

fn write_section(exam_id: i64, section: &str, lines: &[&Line]) -> Result<(), AdapterError> {
    let exam = ("ExamID", Value::Int(exam_id));
    match section {
        EXAM => {
            let sets: Vec<String> = lines
                .iter()
                .zip(placeholders(1, lines.len()))
                .map(|(l, p)| format!("{} = {p}", l.name))
                .collect();
            let mut params: Vec<Value> =
                lines.iter().map(|l| Value::from_mapped(&l.value)).collect();
            params.push(Value::Int(exam_id));
            let sql = format!(
                "UPDATE dbo.Exams SET {} WHERE ExamID = @P{}",
                sets.join(", "),
                params.len()
            );
            sql::execute(DB, &sql, &params)?;
        }
        VA | IOP => upsert(section, &[exam], lines)?,
        mapping::RX_OD | mapping::RX_OS | mapping::K_OD | mapping::K_OS => {
            let (table, eye) = section.split_once('.').unwrap_or((section, ""));
            let mut key = vec![exam, ("Eye", Value::Text(eye.into()))];
            if table == "ExamRefraction" {
                key.push(("RxType", Value::Text("Manifest".into())));
            }
            upsert(table, &key, lines)?;
        }
        FINDINGS => {
            for l in lines {
                let code = Value::Text(l.name.clone());
                sql::execute(
                    DB,
                    "DELETE FROM dbo.ExamFindings WHERE ExamID = @P1 AND FindingCode = @P2",
                    &[Value::Int(exam_id), code.clone()],
                )?;
                sql::execute(
                    DB,
                    "INSERT INTO dbo.ExamFindings (ExamID, FindingCode, FindingText) VALUES (@P1, @P2, @P3)",
                    &[Value::Int(exam_id), code, Value::from_mapped(&l.value)],
                )?;
            }
        }
        DIAGNOSES => {
            for l in lines {
                if let MappedValue::Raw(FieldValue::Diagnoses(list)) = &l.value {
                    write_diagnoses(exam_id, list)?;
                }
            }
        }
        NOTES => {
            for l in lines {
                sql::execute(
                    DB,
                    "INSERT INTO dbo.ExamNotes (ExamID, NoteText) VALUES (@P1, @P2)",
                    &[Value::Int(exam_id), Value::from_mapped(&l.value)],
                )?;
            }
        }
        other => {
            return Err(AdapterError::AdapterBug(format!(
                "the mapping names section `{other}`, which the write flow does not know"
            )))
        }
    }
    Ok(())
}

/// Updates the planned columns of the row with `key`, or inserts it when there is none
/// (read first, under the exam's lock: inserts' rows-affected counts are not trusted).
fn upsert(table: &str, key: &[(&str, Value)], lines: &[&Line]) -> Result<(), AdapterError> {
    let key_params: Vec<Value> = key.iter().map(|(_, v)| v.clone()).collect();
    let key_match: Vec<String> = key
        .iter()
        .zip(placeholders(1, key.len()))
        .map(|((c, _), p)| format!("{c} = {p}"))
        .collect();
    let exists = sql::query(
        DB,
        &format!(
            "SELECT COUNT(*) FROM dbo.{table} WHERE {}",
            key_match.join(" AND ")
        ),
        &key_params,
    )?
    .rows
    .first()
    .and_then(|r| r.first())
    .and_then(|v| v.as_i64())
        != Some(0);
    let values: Vec<Value> = lines.iter().map(|l| Value::from_mapped(&l.value)).collect();
    if exists {
        let sets: Vec<String> = lines
            .iter()
            .zip(placeholders(key.len() + 1, lines.len()))
            .map(|(l, p)| format!("{} = {p}", l.name))
            .collect();
        let sql = format!(
            "UPDATE dbo.{table} SET {} WHERE {}",
            sets.join(", "),
            key_match.join(" AND ")
        );
        sql::execute(DB, &sql, &[key_params, values].concat())?;
    } else {
        let mut columns: Vec<&str> = key.iter().map(|(c, _)| *c).collect();
        columns.extend(lines.iter().map(|l| l.name.as_str()));
        let sql = format!(
            "INSERT INTO dbo.{table} ({}) VALUES ({})",
            columns.join(", "),
            placeholders(1, columns.len()).join(", ")
        );
        sql::execute(DB, &sql, &[key_params, values].concat())?;
    }
    Ok(())
}

/// Replaces the exam's diagnosis list with the planned one (shaped by the SDK:
/// canonical codes, duplicates merged, descriptions fitted), in order.
fn write_diagnoses(exam_id: i64, list: &[Diagnosis]) -> Result<(), AdapterError> {
    sql::execute(
        DB,
        "DELETE FROM dbo.ExamDiagnoses WHERE ExamID = @P1",
        &[Value::Int(exam_id)],
    )?;
    for (i, d) in list.iter().enumerate() {
        let eye = d
            .laterality
            .eye_code()
            .map_or(Value::Null, |e| Value::Text(e.into()));
        sql::execute(
            DB,
            "INSERT INTO dbo.ExamDiagnoses (ExamID, Seq, ICD10Code, Description, Eye, IsPrimary) \
             VALUES (@P1, @P2, @P3, @P4, @P5, @P6)",
            &[
                Value::Int(exam_id),
                Value::Int(i as i64 + 1),
                Value::Text(d.code.clone()),
                Value::Text(d.description.clone()),
                eye,
                Value::Boolean(d.primary),
            ],
        )?;
    }
    Ok(())
}
