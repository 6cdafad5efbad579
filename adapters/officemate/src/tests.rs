//! Native tests against stubbed SQL replies (the SDK's `testing::Harness`). Each test
//! states the case it pins; assertions check the statements sent and the report.

use crate::OfficeMate;
use ehr_adapter_sdk::prelude::*;
use ehr_adapter_sdk::sql::Value;
use ehr_adapter_sdk::testing::{Harness, SnapshotBuilder};
use ehr_adapter_sdk::{Diagnosis, Laterality, WarningKind};

const VERIFY: &str = "FROM dbo.Exams e WITH (UPDLOCK, ROWLOCK)";
const LEDGER: &str = "SELECT ExamID FROM dbo.DoctoraJobs";

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

fn owner(h: &Harness, patient: i64, signed: bool) {
    h.sql(VERIFY).rows(
        &["PatientID", "IsSigned", "LastName", "BirthDate"],
        vec![vec![
            Value::Int(patient),
            Value::Boolean(signed),
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

// The full flow in one transaction: verify under an update lock, ledger lookup, the
// exam header updated, one-row tables inserted when no row exists (decided by reading,
// not by rows-affected), findings and diagnoses replaced, the job recorded last.
#[test]
fn writes_every_table_in_one_transaction() {
    let h = Harness::new();
    owner(&h, 1001, false);
    h.sql(LEDGER).rows(&["ExamID"], vec![]);
    h.sql("SELECT COUNT(*)")
        .rows(&[""], vec![vec![Value::Int(0)]]);
    h.sql("INSERT").affected(0);
    h.sql("UPDATE").affected(1);
    h.sql("DELETE").affected(0);
    let result = OfficeMate::write_encounter(snapshot(vec![
        ("chief_complaint", FieldValue::Text("Blurry vision".into())),
        ("va.distance.cc.ou", FieldValue::Text("20/25".into())),
        ("refraction.manifest.od.sphere", FieldValue::Number(-1.25)),
        ("keratometry.os.k1", FieldValue::Number(43.25)),
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
            .all(|f| f.status == FieldStatus::Written && f.warnings.is_empty()),
        "{:?}",
        result.fields
    );
    let all: Vec<String> = h.statements().into_iter().map(|(_, s, _)| s).collect();
    assert_eq!(all.first().map(String::as_str), Some("BEGIN"));
    assert_eq!(all.last().map(String::as_str), Some("COMMIT"));
    let w = writes(&h);
    assert_eq!(
        w[0],
        "UPDATE dbo.Exams SET ChiefComplaint = @P1 WHERE ExamID = @P2"
    );
    assert!(w.contains(
        &"INSERT INTO dbo.ExamRefraction (ExamID, Eye, RxType, Sphere) VALUES (@P1, @P2, @P3, @P4)"
            .to_string()
    ));
    assert!(w
        .iter()
        .any(|s| s.starts_with("INSERT INTO dbo.ExamKeratometry")));
    assert!(w
        .iter()
        .any(|s| s.starts_with("DELETE FROM dbo.ExamFindings")));
    assert!(w.last().unwrap().starts_with("INSERT INTO dbo.DoctoraJobs"));
}

// A one-row table that already has the exam's row is updated in the planned columns
// only, so a partial template never blanks what an earlier write put there.
#[test]
fn existing_rows_are_updated_in_place() {
    let h = Harness::new();
    owner(&h, 1001, false);
    h.sql(LEDGER).rows(&["ExamID"], vec![]);
    h.sql("SELECT COUNT(*)")
        .rows(&[""], vec![vec![Value::Int(1)]]);
    h.sql("UPDATE").affected(1);
    h.sql("INSERT").affected(0);
    OfficeMate::write_encounter(snapshot(vec![("iop.od", FieldValue::Number(17.0))])).unwrap();
    let w = writes(&h);
    assert_eq!(
        w[0],
        "UPDATE dbo.ExamIOP SET IopOD = @P2 WHERE ExamID = @P1"
    );
}

// Wrong patient and signed exams: nothing is written and the transaction rolls back.
#[test]
fn wrong_patient_or_signed_exam_writes_nothing() {
    let h = Harness::new();
    owner(&h, 1002, false);
    let err = OfficeMate::write_encounter(snapshot(vec![("iop.od", FieldValue::Number(17.0))]))
        .unwrap_err();
    assert!(matches!(err, AdapterError::WrongPatient(_)), "{err:?}");
    assert!(writes(&h).is_empty());
    assert_eq!(h.statements().last().unwrap().1, "ROLLBACK");

    let h = Harness::new();
    owner(&h, 1001, true);
    let err = OfficeMate::write_encounter(snapshot(vec![("iop.od", FieldValue::Number(17.0))]))
        .unwrap_err();
    assert!(matches!(err, AdapterError::EncounterLocked(_)), "{err:?}");
    assert!(writes(&h).is_empty());
}

// Landed, then signed or moved to another patient: the ledger has this job for this
// exam, so the retry is a replay (succeeded, `replayed`), not a refusal.
#[test]
fn landed_then_signed_or_moved_is_a_replay() {
    for (patient, signed) in [(1001, true), (1002, false)] {
        let h = Harness::new();
        owner(&h, patient, signed);
        h.sql(LEDGER)
            .rows(&["ExamID"], vec![vec![Value::Int(5001)]]);
        let r = OfficeMate::write_encounter(snapshot(vec![("iop.od", FieldValue::Number(17.0))]))
            .unwrap();
        assert!(r.replayed, "{patient} {signed}");
        assert!(writes(&h).is_empty());
    }
}

// A job already in the ledger is replayed: same report, `replayed`, no writes.
#[test]
fn replayed_job_writes_nothing() {
    let h = Harness::new();
    owner(&h, 1001, false);
    h.sql(LEDGER)
        .rows(&["ExamID"], vec![vec![Value::Int(5001)]]);
    let result =
        OfficeMate::write_encounter(snapshot(vec![("iop.od", FieldValue::Number(17.0))])).unwrap();
    assert!(result.replayed);
    assert!(writes(&h).is_empty());
}

// A diagnosis description longer than the column is written shortened, and the report
// says so with a `truncated` warning instead of cutting it silently.
#[test]
fn long_diagnosis_description_warns() {
    let h = Harness::new();
    owner(&h, 1001, false);
    h.sql(LEDGER).rows(&["ExamID"], vec![]);
    h.sql("INSERT").affected(0);
    h.sql("DELETE").affected(0);
    let result = OfficeMate::write_encounter(snapshot(vec![(
        "diagnoses",
        FieldValue::Diagnoses(vec![Diagnosis {
            code: "H40.11X1".into(),
            description: "x".repeat(300),
            laterality: Laterality::Right,
            primary: true,
        }]),
    )]))
    .unwrap();
    let dx = &result.fields[0];
    assert_eq!(dx.status, FieldStatus::Written);
    assert_eq!(dx.warnings[0].kind, WarningKind::Truncated);
    assert!(dx.warnings[0].message.contains("H40.11X1"));
    let (_, _, params) = h
        .statements()
        .into_iter()
        .find(|(_, s, _)| s.starts_with("INSERT INTO dbo.ExamDiagnoses"))
        .unwrap();
    assert_eq!(params[3].as_str().map(|s| s.chars().count()), Some(255));
}

// describe lists every catalog field exactly once and asks for the `officemate`
// database only (no web origins).
#[test]
fn describe_covers_the_catalog() {
    let info = OfficeMate::describe();
    assert_eq!(info.databases, vec!["officemate".to_string()]);
    assert!(info.http_origins.is_empty());
    for f in ehr_adapter_sdk::catalog::fields() {
        assert_eq!(
            info.fields.iter().filter(|m| m.field == f.id).count(),
            1,
            "{}",
            f.id
        );
    }
}
