//! The officemate adapter end to end: the real `ehr-host` binary and library, the real
//! built component, the host's tiberius driver, and an `iridium_server` (a SQL Server
//! emulator speaking TDS) of the test's own, loaded with `adapters/officemate/sql`, on a
//! free loopback port.

use ehr_e2e::iridium::{Iridium, PASSWORD};
use ehr_e2e::paused::PausedWrite;
use ehr_e2e::{fixture, report_field as field, root, TempDir, TestHome};

async fn start_db() -> Iridium {
    Iridium::start(&root().join("adapters/officemate/sql")).await
}

/// A host home with the officemate adapter installed, granted the database, and
/// `settings` (TOML lines) under its settings table.
async fn home_for(db: &Iridium, settings: &str) -> TestHome {
    let config = format!(
        "[limits]\ntimeout_secs = 60\n\n{}\n[adapters.officemate]\ndatabases = [\"officemate\"]\n\n[adapters.officemate.settings]\n{settings}\n",
        db.config_section("officemate")
    );
    let home = TestHome::new(&config);
    home.install("officemate").await;
    home
}

fn snapshot_with(dir: &TempDir, edit: impl Fn(&mut serde_json::Value)) -> String {
    ehr_e2e::edited_fixture(dir, "snapshot-local-5001.json", edit)
}

fn fixture_path() -> String {
    fixture("snapshot-local-5001.json")
        .to_string_lossy()
        .into_owned()
}

/// Everything the adapter can write, as one comparable text.
async fn clinical_rows(db: &Iridium) -> String {
    let mut out = Vec::new();
    for q in [
        "SELECT ExamID, ChiefComplaint, HPI, Assessment, TreatmentPlan FROM dbo.Exams WHERE ChiefComplaint IS NOT NULL OR HPI IS NOT NULL OR Assessment IS NOT NULL OR TreatmentPlan IS NOT NULL ORDER BY ExamID",
        "SELECT * FROM dbo.ExamVisualAcuity ORDER BY ExamID",
        "SELECT * FROM dbo.ExamRefraction ORDER BY ExamID, Eye",
        "SELECT * FROM dbo.ExamKeratometry ORDER BY ExamID, Eye",
        "SELECT * FROM dbo.ExamIOP ORDER BY ExamID",
        "SELECT * FROM dbo.ExamFindings ORDER BY ExamID, FindingCode",
        "SELECT * FROM dbo.ExamDiagnoses ORDER BY ExamID, Seq",
        "SELECT ExamID, NoteText FROM dbo.ExamNotes ORDER BY NoteID",
        "SELECT JobID, ExamID FROM dbo.DoctoraJobs ORDER BY JobID",
    ] {
        out.push(db.sql(q).await);
    }
    out.join("\n--\n")
}

// Full write: `ehr-host write officemate` lands every mapped field as real rows in the
// SQL Server emulator through tiberius, and the report lists each field: written with
// its table.column (keratometry included: OfficeMate has a table for it), and the
// fields OfficeMate has no column for (procedures, vitals) skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_write_lands_rows_with_per_field_report() {
    let db = start_db().await;
    let home = home_for(&db, "").await;
    let (code, out, err) = home.cli(&["write", "officemate", &fixture_path(), "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["replayed"], false);
    assert_eq!(field(&report, "iop.od")["target"], "ExamIOP.IopOD");
    assert_eq!(
        field(&report, "keratometry.od.k1")["target"],
        "ExamKeratometry.OD.K1"
    );
    assert_eq!(field(&report, "diagnoses")["status"], "written");
    for skipped in ["procedures", "vitals.temperature"] {
        assert_eq!(field(&report, skipped)["status"], "skipped", "{skipped}");
        assert_eq!(field(&report, skipped)["reason"], "no_mapping", "{skipped}");
    }
    assert_eq!(report["skipped"], 2);

    assert_eq!(
        db.scalar("SELECT IopOD, IopOS, Method FROM dbo.ExamIOP WHERE ExamID = 5001")
            .await,
        "17\t18\tGoldmann"
    );
    assert_eq!(
        db.scalar("SELECT Sphere, Cylinder, Axis FROM dbo.ExamRefraction WHERE ExamID = 5001 AND Eye = 'OD' AND RxType = 'Manifest'")
            .await,
        "-1.25\t-0.50\t90"
    );
    assert_eq!(
        db.scalar("SELECT K1 FROM dbo.ExamKeratometry WHERE ExamID = 5001 AND Eye = 'OD'")
            .await,
        "43.25"
    );
    assert_eq!(
        db.scalar(
            "SELECT DistanceCcOD, DistanceCcOS FROM dbo.ExamVisualAcuity WHERE ExamID = 5001"
        )
        .await,
        "20/40-2\t20/30"
    );
    assert_eq!(
        db.scalar("SELECT FindingText FROM dbo.ExamFindings WHERE ExamID = 5001 AND FindingCode = 'fundus.od.cup_disc_ratio'")
            .await,
        "0.40"
    );
    assert_eq!(
        db.scalar("SELECT ICD10Code, Eye, IsPrimary FROM dbo.ExamDiagnoses WHERE ExamID = 5001")
            .await,
        "H25.13\tOU\t1"
    );
    let cc = db
        .scalar("SELECT ChiefComplaint FROM dbo.Exams WHERE ExamID = 5001")
        .await;
    assert!(cc.contains("“halos”"), "{cc}");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM dbo.ExamNotes WHERE ExamID = 5001")
            .await,
        "1"
    );
    assert_eq!(
        db.scalar("SELECT ExamID FROM dbo.DoctoraJobs WHERE JobID = 'J-CPM-2026-11-16-0001'")
            .await,
        "5001"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM dbo.ExamIOP WHERE ExamID <> 5001")
            .await,
        "0"
    );
}

// Partial write: a template covering some fields and a value too long for its column.
// The template's valid fields land; the rest are skipped with `outside_template` or
// `invalid_value`; a second, overlapping write updates its columns in place and
// keeps the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_write_reports_skipped_fields() {
    let db = start_db().await;
    let home = home_for(&db, "").await;
    let dir = TempDir::new("partial");
    let snapshot = snapshot_with(&dir, |v| {
        v["template"]["fields"] = serde_json::json!(["iop.od", "iop.method", "chief_complaint"]);
        v["fields"]["iop.method"] = serde_json::json!("Goldmann applanation tonometry");
    });
    let (code, out, err) = home.cli(&["write", "officemate", &snapshot, "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(field(&report, "iop.od")["status"], "written");
    assert_eq!(field(&report, "iop.method")["reason"], "invalid_value");
    assert_eq!(field(&report, "iop.os")["reason"], "outside_template");
    assert_eq!(field(&report, "diagnoses")["reason"], "outside_template");
    assert_eq!(
        db.scalar("SELECT IopOD, IopOS, Method FROM dbo.ExamIOP WHERE ExamID = 5001")
            .await,
        "17\tNULL\tNULL"
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM dbo.ExamNotes").await, "0");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM dbo.ExamDiagnoses").await,
        "0"
    );

    let dir2 = TempDir::new("partial-2");
    let second = snapshot_with(&dir2, |v| {
        v["job_id"] = "J-OM-PARTIAL-2".into();
        v["template"]["fields"] = serde_json::json!(["iop.os"]);
    });
    let (code, _, err) = home.cli(&["write", "officemate", &second]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        db.scalar("SELECT IopOD, IopOS FROM dbo.ExamIOP WHERE ExamID = 5001")
            .await,
        "17\t18"
    );
}

// Wrong patient: the exam belongs to another patient (or the date of birth differs
// from the job's). Nothing is written, the error is typed, the exit code is terminal
// (6), the advice is the seed's. A signed exam is refused the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_patient_writes_nothing() {
    let db = start_db().await;
    let home = home_for(&db, "").await;
    let before = clinical_rows(&db).await;
    let dir = TempDir::new("wrong");
    let other_exam = snapshot_with(&dir, |v| v["encounter_id"] = "5002".into());
    let (code, _, err) = home.cli(&["write", "officemate", &other_exam]);
    assert_eq!(code, 6, "{err}");
    assert!(
        err.contains("Wrong patient") && err.contains("nothing was written"),
        "{err}"
    );
    let dir2 = TempDir::new("wrong-dob");
    let other_dob = snapshot_with(&dir2, |v| {
        v["patient"]["date_of_birth"] = "1958-03-15".into()
    });
    let (code, _, err) = home.cli(&["write", "officemate", &other_dob]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("date of birth"), "{err}");
    let dir3 = TempDir::new("signed");
    let signed = snapshot_with(&dir3, |v| {
        v["encounter_id"] = "5003".into();
        v["patient"] = serde_json::json!({"id": "1003", "first_name": "Wei", "last_name": "Nguyen", "date_of_birth": "1979-11-30"});
    });
    let (code, _, err) = home.cli(&["write", "officemate", &signed]);
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("signed"), "{err}");
    assert_eq!(clinical_rows(&db).await, before);
}

// Idempotency: running the same job twice writes once. The second run is reported as
// replayed; the appended note and the ledger entry exist once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_job_twice_writes_once() {
    let db = start_db().await;
    let home = home_for(&db, "").await;
    let (code, _, err) = home.cli(&["write", "officemate", &fixture_path()]);
    assert_eq!(code, 0, "{err}");
    let after_first = clinical_rows(&db).await;
    let (code, out, err) = home.cli(&["write", "officemate", &fixture_path(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["replayed"], true);
    assert_eq!(clinical_rows(&db).await, after_first);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM dbo.ExamNotes").await, "1");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM dbo.DoctoraJobs").await, "1");
}

// Landed means landed: the job was written, then the exam was signed or moved to another
// patient. The retry of the same job ends succeeded (replayed) through the ledger and
// writes nothing; a new job into the signed exam is still refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn landed_then_signed_or_moved_is_a_replay() {
    let db = start_db().await;
    let home = home_for(&db, "").await;
    let (code, _, err) = home.cli(&["write", "officemate", &fixture_path()]);
    assert_eq!(code, 0, "{err}");
    let after_first = clinical_rows(&db).await;
    for change in [
        "UPDATE dbo.Exams SET IsSigned = 1 WHERE ExamID = 5001",
        "UPDATE dbo.Exams SET IsSigned = 0, PatientID = 1002 WHERE ExamID = 5001",
    ] {
        db.sql(change).await;
        let (code, out, err) = home.cli(&["write", "officemate", &fixture_path(), "--json"]);
        assert_eq!(code, 0, "{change}: {out}{err}");
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(report["replayed"], true, "{change}");
        assert_eq!(clinical_rows(&db).await, after_first, "{change}");
    }
    db.sql("UPDATE dbo.Exams SET IsSigned = 1, PatientID = 1001 WHERE ExamID = 5001")
        .await;
    let dir = TempDir::new("snap");
    let other = snapshot_with(&dir, |v| v["job_id"] = "J-OM-OTHER".into());
    let (code, out, _) = home.cli(&["write", "officemate", &other, "--json"]);
    assert_eq!(code, 6, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["error"]["kind"], "encounter_locked");
}

// Server down mid-job: the server is killed while the write transaction is open (the
// adapter paused after its first write and said so in the log). The job fails as
// `unreachable` with the seed's "Local EHR server unreachable" advice and the retryable
// exit code 5; after a restart nothing of the job is in the database, and the retry
// writes it whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_down_mid_job_leaves_nothing_half_written() {
    let mut db = start_db().await;
    let home = home_for(&db, "debug_pause_after_first_write_secs = \"3\"").await;
    let before = clinical_rows(&db).await;
    let write = PausedWrite::start(&home, "officemate", &fixture_path());
    db.kill();
    let (code, err) = write.finish();
    assert_eq!(code, Some(5), "{err}");
    assert!(err.contains("Local EHR server unreachable"), "{err}");
    assert!(!err.contains(PASSWORD), "{err}");
    db.restart().await;
    assert_eq!(
        clinical_rows(&db).await,
        before,
        "the killed job left rows behind"
    );
    let home = home_for(&db, "").await;
    let (code, _, err) = home.cli(&["write", "officemate", &fixture_path()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM dbo.DoctoraJobs").await, "1");
}

// Rollback on trap: the adapter panics inside its transaction after the first write.
// The call fails as an adapter bug and the host rolls the transaction back while it
// lives on: no row of the job exists, and the exam is not left locked (the emulator
// refuses conflicting writes at once, so a lingering lock would fail the update below).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adapter_trap_rolls_back_the_transaction() {
    let db = start_db().await;
    let home = home_for(&db, "debug_panic_after_first_write = \"true\"").await;
    let before = clinical_rows(&db).await;
    let host = home.host();
    let adapter = host.load("officemate").unwrap();
    let text = std::fs::read_to_string(fixture("snapshot-local-5001.json")).unwrap();
    let err = adapter
        .write_encounter(ehr_host::snapshot::parse(&text).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ehr_host::runtime::CallError::Trapped { .. })
            && err.to_string().contains("debug_panic_after_first_write"),
        "{err}"
    );
    assert_eq!(clinical_rows(&db).await, before);
    db.sql("UPDATE dbo.Exams SET HPI = NULL WHERE ExamID = 5001")
        .await;
    drop(adapter);
    let (code, _, err) = home.cli(&["write", "officemate", &fixture_path()]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("The adapter failed unexpectedly"), "{err}");
    assert_eq!(clinical_rows(&db).await, before);
}

// Schedule read over the seed's edge cases: a past appointment with its exam, an
// unknown provider (id kept, no name), a patient without email, phone or address; the
// day's and the month's counts equal the database's; absent demographics read back as
// `null`; a shared family email is returned as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_and_patient_reads_keep_edge_cases_visible() {
    let db = start_db().await;
    let home = home_for(&db, "").await;
    let (code, out, err) = home.cli(&["schedule", "officemate", "--from", "2026-11-16", "--json"]);
    assert_eq!(code, 0, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(
        list.len().to_string(),
        // The day as text: the emulator compares a datetime2 with a text literal as text.
        db.scalar("SELECT COUNT(*) FROM dbo.Appointments WHERE LEFT(CONVERT(NVARCHAR(19), StartTime, 126), 10) = '2026-11-16'")
            .await
    );
    let by_id = |id: &str| {
        list.iter()
            .find(|a| a["id"] == id)
            .unwrap_or_else(|| panic!("no appointment {id} in {list:#?}"))
    };
    let first = by_id("9001");
    assert_eq!(first["start"], "2026-11-16T09:00:00");
    assert_eq!(first["provider_name"], "Anna Reyes");
    assert_eq!(first["status"], "completed");
    assert_eq!(first["encounter_id"], "5001");
    assert_eq!(first["patient"]["email"], "m.okafor@example.org");
    assert_eq!(first["patient"]["date_of_birth"], "1958-03-14");
    let unknown = by_id("9003");
    assert_eq!(unknown["provider_id"], "99");
    assert!(unknown["provider_name"].is_null());
    assert!(unknown["patient"]["email"].is_null());
    assert!(unknown["patient"]["address"].is_null());

    let (code, out, err) = home.cli(&[
        "schedule",
        "officemate",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let month: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        month.as_array().unwrap().len().to_string(),
        db.scalar("SELECT COUNT(*) FROM dbo.Appointments WHERE StartTime < '2026-12-01'")
            .await
    );
    let (code, out, err) = home.cli(&["patient", "officemate", "1011", "--json"]);
    assert_eq!(code, 0, "{err}");
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(p["email"], "family1010@example.org");
    let no_dob = db
        .scalar("SELECT MIN(PatientID) FROM dbo.Patients WHERE BirthDate IS NULL")
        .await;
    let (code, out, err) = home.cli(&["patient", "officemate", &no_dob, "--json"]);
    assert_eq!(code, 0, "{err}");
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        p["date_of_birth"].is_null() && p["address"].is_null(),
        "{p}"
    );
}

// Credentials stay in the host: `check` passes and names the server; `info` and what
// the guest can read show no password; a wrong password fails `check` as a
// configuration problem (exit 4) naming the account, not the password; so is requiring
// encryption from a server without TLS; a stopped server is "Local EHR server
// unreachable" (exit 5).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_never_reach_the_guest_or_messages() {
    let mut db = start_db().await;
    let home = home_for(&db, "").await;
    let (code, out, err) = home.cli(&["check", "officemate"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("SQL Server") && out.contains("316 patients"),
        "{out}"
    );
    let (code, out, err) = home.cli(&["info", "officemate", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(PASSWORD) && !err.contains(PASSWORD));
    let host = home.host();
    let adapter = host.load("officemate").unwrap();
    let guest_view = format!("{:?}", adapter.describe().await.unwrap());
    assert!(!guest_view.contains(PASSWORD));

    let wrong = "wrong-pw-Om91";
    let config = std::fs::read_to_string(home.dir.path().join("config.toml"))
        .unwrap()
        .replace(PASSWORD, wrong);
    std::fs::write(home.dir.path().join("config.toml"), config).unwrap();
    let (code, out, err) = home.cli(&["check", "officemate"]);
    assert_eq!(code, 4, "{out}{err}");
    assert!(err.contains("doctora") || err.contains("refused"), "{err}");
    assert!(!err.contains(wrong), "{err}");

    // Encryption required against a server without TLS: a configuration problem that
    // names the setting, not an outage.
    let config = std::fs::read_to_string(home.dir.path().join("config.toml"))
        .unwrap()
        .replace(wrong, PASSWORD)
        .replace("encryption = \"none\"", "encryption = \"required\"");
    std::fs::write(home.dir.path().join("config.toml"), config).unwrap();
    let (code, out, err) = home.cli(&["check", "officemate"]);
    assert_eq!(code, 4, "{out}{err}");
    assert!(err.contains("`encryption`"), "{err}");

    db.kill();
    let (code, _, err) = home.cli(&["check", "officemate"]);
    assert_eq!(code, 5, "{err}");
    assert!(
        err.contains("Local EHR server unreachable") && !err.contains(wrong),
        "{err}"
    );
}
