//! Native tests against stubbed SQL replies (the SDK's `testing::Harness`). Each test
//! states the case it pins; assertions check the statements sent and the report.

use crate::CrystalPm;
use ehr_adapter_sdk::prelude::*;
use ehr_adapter_sdk::sql::Value;
use ehr_adapter_sdk::testing::{Harness, SnapshotBuilder};
use ehr_adapter_sdk::{Diagnosis, Laterality};

const VERIFY: &str = "FROM ehr_file f JOIN patients p";
const LEDGER: &str = "SELECT ehr_id FROM doctora_jobs";

fn snapshot(fields: Vec<(&str, FieldValue)>) -> EncounterSnapshot {
    let b = SnapshotBuilder::new()
        .job("J-1")
        .patient("1001", "Margaret", "Okafor", "1958-03-14")
        .encounter("5001", "2026-11-16")
        .provider("1")
        .template("T", &[]);
    fields
        .into_iter()
        .fold(b, |b, (id, v)| b.field(id, v))
        .build()
}

fn owner(h: &Harness, account: i64, locked: i64) {
    h.sql(VERIFY).rows(
        &["account_id", "locked", "last_name", "birth_date"],
        vec![vec![
            Value::Int(account),
            Value::Int(locked),
            Value::Text("Okafor".into()),
            Value::Date("1958-03-14".into()),
        ]],
    );
}

fn writes(h: &Harness) -> Vec<String> {
    h.statements()
        .into_iter()
        .map(|(_, s, _)| s)
        .filter(|s| s.starts_with("INSERT") || s.starts_with("UPDATE") || s.starts_with("DELETE"))
        .collect()
}

// The full flow: verify, ledger lookup, one statement per table, ledger insert, all
// between BEGIN and COMMIT; every mapped field reported written with its target.
#[test]
fn writes_every_table_in_one_transaction() {
    let h = Harness::new();
    owner(&h, 1001, 0);
    h.sql(LEDGER).rows(&["ehr_id"], vec![]);
    h.sql("INSERT").affected(1);
    h.sql("UPDATE").affected(1);
    h.sql("DELETE").affected(0);
    let result = CrystalPm::write_encounter(snapshot(vec![
        ("chief_complaint", FieldValue::Text("Blurry vision".into())),
        ("va.distance.cc.od", FieldValue::Text("20/40-2".into())),
        ("refraction.manifest.od.sphere", FieldValue::Number(-1.25)),
        ("iop.od", FieldValue::Number(17.0)),
        ("pupils", FieldValue::Text("PERRL".into())),
        (
            "diagnoses",
            FieldValue::Diagnoses(vec![Diagnosis {
                code: "H25.13".into(),
                description: "Age-related nuclear cataract, bilateral".into(),
                laterality: Laterality::Both,
                primary: true,
            }]),
        ),
        ("notes", FieldValue::Text("Prefers mornings".into())),
    ]))
    .unwrap();
    assert!(!result.replayed);
    assert_eq!(result.record_id.as_deref(), Some("5001"));
    assert!(
        result
            .fields
            .iter()
            .all(|f| f.status == FieldStatus::Written),
        "{:?}",
        result.fields
    );
    let all: Vec<String> = h.statements().into_iter().map(|(_, s, _)| s).collect();
    assert_eq!(all.first().map(String::as_str), Some("BEGIN"));
    assert_eq!(all.last().map(String::as_str), Some("COMMIT"));
    let w = writes(&h);
    assert!(
        w[0].starts_with("UPDATE ehr_file SET chief_complaint = ?"),
        "{w:?}"
    );
    assert!(w
        .iter()
        .any(|s| s.starts_with("INSERT INTO ehr_refraction")));
    assert!(w.iter().any(|s| s.starts_with("INSERT INTO ehr_diagnoses")));
    assert!(w.last().unwrap().starts_with("INSERT INTO doctora_jobs"));
}

// Wrong patient: the encounter belongs to another account, so nothing is written and
// the transaction is rolled back.
#[test]
fn wrong_patient_writes_nothing() {
    let h = Harness::new();
    owner(&h, 1002, 0);
    let err = CrystalPm::write_encounter(snapshot(vec![("iop.od", FieldValue::Number(17.0))]))
        .unwrap_err();
    assert!(matches!(err, AdapterError::WrongPatient(_)), "{err:?}");
    assert!(writes(&h).is_empty());
    assert_eq!(h.statements().last().unwrap().1, "ROLLBACK");
}

// A locked (signed) encounter is refused before any write.
#[test]
fn locked_encounter_is_refused() {
    let h = Harness::new();
    owner(&h, 1001, 1);
    let err = CrystalPm::write_encounter(snapshot(vec![("iop.od", FieldValue::Number(17.0))]))
        .unwrap_err();
    assert!(matches!(err, AdapterError::EncounterLocked(_)), "{err:?}");
    assert!(writes(&h).is_empty());
}

// Landed, then signed or moved to another account: the ledger has this job for this
// file, so the retry is a replay (succeeded, `replayed`), not a refusal; a job the ledger
// does not have is still refused.
#[test]
fn landed_then_signed_or_moved_is_a_replay() {
    for (account, locked) in [(1001, 1), (1002, 0)] {
        let h = Harness::new();
        owner(&h, account, locked);
        h.sql(LEDGER)
            .rows(&["ehr_id"], vec![vec![Value::Int(5001)]]);
        let r = CrystalPm::write_encounter(snapshot(vec![("iop.od", FieldValue::Number(17.0))]))
            .unwrap();
        assert!(r.replayed, "{account} {locked}");
        assert_eq!(r.record_id.as_deref(), Some("5001"));
        assert!(writes(&h).is_empty());
    }
    let h = Harness::new();
    owner(&h, 1001, 1);
    h.sql(LEDGER).rows(&["ehr_id"], vec![]);
    let err = CrystalPm::write_encounter(snapshot(vec![("iop.od", FieldValue::Number(17.0))]))
        .unwrap_err();
    assert!(matches!(err, AdapterError::EncounterLocked(_)), "{err:?}");
}

// A job already in the ledger is replayed: same report, `replayed`, no writes.
#[test]
fn replayed_job_writes_nothing() {
    let h = Harness::new();
    owner(&h, 1001, 0);
    h.sql(LEDGER)
        .rows(&["ehr_id"], vec![vec![Value::Int(5001)]]);
    let result =
        CrystalPm::write_encounter(snapshot(vec![("iop.od", FieldValue::Number(17.0))])).unwrap();
    assert!(result.replayed);
    assert_eq!(result.fields[0].status, FieldStatus::Written);
    assert!(writes(&h).is_empty());
}

// Partial write: unmapped, invalid and empty fields are skipped with their reasons and
// the rest written.
#[test]
fn skips_are_reported() {
    let h = Harness::new();
    owner(&h, 1001, 0);
    h.sql(LEDGER).rows(&["ehr_id"], vec![]);
    h.sql("INSERT").affected(1);
    let result = CrystalPm::write_encounter(snapshot(vec![
        ("iop.od", FieldValue::Number(17.0)),
        ("iop.os", FieldValue::Number(150.0)),
        ("keratometry.od.k1", FieldValue::Number(43.25)),
        (
            "va.distance.cc.os",
            FieldValue::Text("twenty-twenty".into()),
        ),
    ]))
    .unwrap();
    let status: Vec<_> = result.fields.iter().map(|f| f.status.clone()).collect();
    assert_eq!(status[0], FieldStatus::Written);
    assert!(matches!(
        &status[1],
        FieldStatus::Skipped((SkipReason::InvalidValue, _))
    ));
    assert!(matches!(
        &status[2],
        FieldStatus::Skipped((SkipReason::NoMapping, _))
    ));
    assert!(matches!(
        &status[3],
        FieldStatus::Skipped((SkipReason::InvalidValue, _))
    ));
}

// describe lists every catalog field exactly once and asks for the `crystalpm` database.
#[test]
fn describe_covers_the_catalog() {
    let info = CrystalPm::describe();
    assert_eq!(info.databases, vec!["crystalpm".to_string()]);
    for f in ehr_adapter_sdk::catalog::fields() {
        assert_eq!(
            info.fields.iter().filter(|m| m.field == f.id).count(),
            1,
            "{}",
            f.id
        );
    }
}
