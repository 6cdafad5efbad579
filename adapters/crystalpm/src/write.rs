//! The write flow, all inside one transaction on the `crystalpm` database:
//!
//! 1. lock the encounter's `ehr_file` row and check it belongs to the job's patient
//!    (account id, last and first name, date of birth) and is not locked; otherwise
//!    nothing is written and the error says why — unless the job is already in
//!    `doctora_jobs` for this file (it landed before the file was signed or moved): that
//!    is a replay, not a refusal;
//! 2. look the job id up in `doctora_jobs`: a job already written is reported as
//!    `replayed` and nothing is written again;
//! 3. write each table's planned values (upserts for one-row-per-encounter tables,
//!    replacement for the diagnosis list, an appended note);
//! 4. record the job id, and commit.
//!
//! The order and the transaction are the SDK's `Ledger::write`; this module supplies
//! the guard and the statements.
//!
//! Any failure before the commit rolls everything back (the SDK's `transaction`, and the
//! host when the call traps or times out), so an encounter is written whole or not at all.

use crate::mapping::{self, DIAGNOSES, FILE, FINDINGS, IOP, NOTES, VA};
use crate::DB;
use ehr_adapter_sdk::identity::{self, EhrEncounter, EhrPatient};
use ehr_adapter_sdk::ledger::Ledger;
use ehr_adapter_sdk::mapping::{Line, MappedValue};
use ehr_adapter_sdk::prelude::*;
use ehr_adapter_sdk::sql::Value;
use ehr_adapter_sdk::Diagnosis;

/// The adapter's job ledger (`doctora_jobs`).
pub const LEDGER: Ledger = Ledger {
    database: DB,
    lookup: "SELECT ehr_id FROM doctora_jobs WHERE job_id = ?",
    insert: "INSERT INTO doctora_jobs (job_id, ehr_id, transaction_id) VALUES (?, ?, ?)",
    record: "EHR file",
};

/// Writes one encounter; see the module documentation for the steps.
pub fn write_encounter(s: &EncounterSnapshot) -> Result<WriteResult, AdapterError> {
    let ehr_id: i64 = s.encounter_id.trim().parse().map_err(|_| {
        AdapterError::NotFound(format!(
            "encounter id `{}` is not a CrystalPM EHR file number",
            s.encounter_id
        ))
    })?;
    let mut plan = mapping::mapping().apply(s);
    plan.shape_diagnoses(DIAGNOSES, &mapping::DIAGNOSIS_RULES);
    LEDGER.write(
        &s.job_id,
        ehr_id,
        plan,
        || verify_patient(ehr_id, s),
        |section, lines| write_section(ehr_id, section, lines),
    )
}

/// The wrong-patient guard (the SDK's identity check: account id, last and first name,
/// date of birth) and the lock check, on the encounter's `ehr_file` row, which stays
/// locked until the transaction ends.
pub fn verify_patient(ehr_id: i64, s: &EncounterSnapshot) -> Result<(), AdapterError> {
    let rows = sql::query(
        DB,
        "SELECT f.account_id, f.locked, p.last_name, p.birth_date, p.first_name, f.exam_date \
         FROM ehr_file f JOIN patients p ON p.account_id = f.account_id \
         WHERE f.ehr_id = ? FOR UPDATE",
        &[Value::Int(ehr_id)],
    )?;
    let Some(row) = rows.rows.first() else {
        return Err(AdapterError::NotFound(format!(
            "CrystalPM has no EHR file {ehr_id}"
        )));
    };
    let account = row[0].as_i64().unwrap_or_default().to_string();
    let cell = |i: usize| row.get(i).and_then(Value::as_str);
    let ehr = EhrEncounter {
        id: &s.encounter_id,
        patient: EhrPatient {
            id: &account,
            first_name: cell(4),
            last_name: cell(2),
            date_of_birth: cell(3),
        },
        locked: row[1].as_i64().unwrap_or_default() != 0,
        date: cell(5),
        template_id: None,
    };
    let notices = identity::check(s, &ehr)?;
    identity::log_notices(&s.job_id, &s.encounter_id, &notices);
    Ok(())
}

fn write_section(ehr_id: i64, section: &str, lines: &[&Line]) -> Result<(), AdapterError> {
    match section {
        FILE => {
            let sets: Vec<String> = lines.iter().map(|l| format!("{} = ?", l.name)).collect();
            let mut params: Vec<Value> =
                lines.iter().map(|l| Value::from_mapped(&l.value)).collect();
            params.push(Value::Int(ehr_id));
            let sql = format!("UPDATE ehr_file SET {} WHERE ehr_id = ?", sets.join(", "));
            sql::execute(DB, &sql, &params)?;
        }
        VA | IOP => upsert(section, &[("ehr_id", Value::Int(ehr_id))], lines)?,
        mapping::RX_OD | mapping::RX_OS => {
            let eye = if section == mapping::RX_OD {
                "OD"
            } else {
                "OS"
            };
            let key = [
                ("ehr_id", Value::Int(ehr_id)),
                ("rx_type", Value::Text("manifest".into())),
                ("eye", Value::Text(eye.into())),
            ];
            upsert("ehr_refraction", &key, lines)?;
        }
        FINDINGS => {
            for l in lines {
                sql::execute(
                    DB,
                    "INSERT INTO ehr_findings (ehr_id, finding, finding_text) VALUES (?, ?, ?) \
                     ON DUPLICATE KEY UPDATE finding_text = VALUES(finding_text)",
                    &[
                        Value::Int(ehr_id),
                        Value::Text(l.name.clone()),
                        Value::from_mapped(&l.value),
                    ],
                )?;
            }
        }
        DIAGNOSES => {
            for l in lines {
                if let MappedValue::Raw(FieldValue::Diagnoses(list)) = &l.value {
                    write_diagnoses(ehr_id, list)?;
                }
            }
        }
        NOTES => {
            for l in lines {
                sql::execute(
                    DB,
                    "INSERT INTO ehr_notes (ehr_id, note_text) VALUES (?, ?)",
                    &[Value::Int(ehr_id), Value::from_mapped(&l.value)],
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

/// `INSERT ... ON DUPLICATE KEY UPDATE` of the planned columns of a one-row table.
fn upsert(table: &str, key: &[(&str, Value)], lines: &[&Line]) -> Result<(), AdapterError> {
    let mut columns: Vec<&str> = key.iter().map(|(c, _)| *c).collect();
    columns.extend(lines.iter().map(|l| l.name.as_str()));
    let mut params: Vec<Value> = key.iter().map(|(_, v)| v.clone()).collect();
    params.extend(lines.iter().map(|l| Value::from_mapped(&l.value)));
    let updates: Vec<String> = lines
        .iter()
        .map(|l| format!("{0} = VALUES({0})", l.name))
        .collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON DUPLICATE KEY UPDATE {}",
        columns.join(", "),
        vec!["?"; columns.len()].join(", "),
        updates.join(", ")
    );
    sql::execute(DB, &sql, &params)?;
    Ok(())
}

/// Replaces the encounter's diagnosis list with the planned one (shaped by the SDK:
/// canonical codes, duplicates merged, descriptions fitted), in order.
fn write_diagnoses(ehr_id: i64, list: &[Diagnosis]) -> Result<(), AdapterError> {
    sql::execute(
        DB,
        "DELETE FROM ehr_diagnoses WHERE ehr_id = ?",
        &[Value::Int(ehr_id)],
    )?;
    for (i, d) in list.iter().enumerate() {
        let eye = d
            .laterality
            .eye_code()
            .map_or(Value::Null, |e| Value::Text(e.into()));
        sql::execute(
            DB,
            "INSERT INTO ehr_diagnoses (ehr_id, seq, icd10, description, eye, is_primary) \
             VALUES (?, ?, ?, ?, ?, ?)",
            &[
                Value::Int(ehr_id),
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
