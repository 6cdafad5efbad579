//! The crystalpm adapter end to end: the real `ehr-host` binary and library, the real
//! built component, and a real MariaDB server of the test's own (schema and seed data
//! from `adapters/crystalpm/sql`) on a free loopback port.

use ehr_e2e::mariadb::{MariaDb, PASSWORD};
use ehr_e2e::paused::PausedWrite;
use ehr_e2e::{fixture, report_field as field, root, TempDir, TestHome};

fn start_db() -> MariaDb {
    MariaDb::start(&root().join("adapters/crystalpm/sql"))
}

/// A host home with the crystalpm adapter installed, granted the database, and
/// `settings` (TOML lines) under its settings table.
async fn home_for(db: &MariaDb, settings: &str) -> TestHome {
    let config = format!(
        "[limits]\ntimeout_secs = 60\n\n{}\n[adapters.crystalpm]\ndatabases = [\"crystalpm\"]\n\n[adapters.crystalpm.settings]\n{settings}\n",
        db.config_section("crystalpm")
    );
    let home = TestHome::new(&config);
    home.install("crystalpm").await;
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

/// Everything the adapter can write for an encounter, as one comparable text.
fn clinical_rows(db: &MariaDb) -> String {
    db.sql(
        "SELECT 'file', ehr_id, chief_complaint, hpi, assessment, plan FROM ehr_file WHERE chief_complaint IS NOT NULL OR hpi IS NOT NULL OR assessment IS NOT NULL OR plan IS NOT NULL; \
         SELECT 'va', v.* FROM ehr_va v; SELECT 'rx', r.* FROM ehr_refraction r; SELECT 'iop', i.* FROM ehr_iop i; \
         SELECT 'finding', f.* FROM ehr_findings f; SELECT 'dx', d.* FROM ehr_diagnoses d; \
         SELECT 'note', n.ehr_id, n.note_text FROM ehr_notes n; SELECT 'job', j.job_id, j.ehr_id FROM doctora_jobs j;",
    )
}

// Full write: `ehr-host write crystalpm` lands every mapped field as real rows in
// MariaDB, and the report lists each field: written with its table.column, and the
// fields CrystalPM has no column for (keratometry, procedures, vitals) skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_write_lands_rows_with_per_field_report() {
    let db = start_db();
    let home = home_for(&db, "").await;
    let (code, out, err) = home.cli(&["write", "crystalpm", &fixture_path(), "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["replayed"], false);
    assert_eq!(field(&report, "iop.od")["status"], "written");
    assert_eq!(field(&report, "iop.od")["target"], "ehr_iop.iop_od");
    assert_eq!(field(&report, "diagnoses")["status"], "written");
    for skipped in ["keratometry.od.k1", "procedures", "vitals.temperature"] {
        assert_eq!(field(&report, skipped)["status"], "skipped", "{skipped}");
        assert_eq!(field(&report, skipped)["reason"], "no_mapping", "{skipped}");
    }
    assert_eq!(report["skipped"], 3);

    assert_eq!(
        db.scalar("SELECT iop_od, iop_os, method FROM ehr_iop WHERE ehr_id = 5001"),
        "17\t18\tGoldmann"
    );
    assert_eq!(
        db.scalar(
            "SELECT sphere, cylinder, axis FROM ehr_refraction WHERE ehr_id = 5001 AND eye = 'OD'"
        ),
        "-1.25\t-0.50\t90"
    );
    assert_eq!(
        db.scalar("SELECT dist_cc_od, dist_cc_os FROM ehr_va WHERE ehr_id = 5001"),
        "20/40-2\t20/30"
    );
    assert_eq!(
        db.scalar("SELECT finding_text FROM ehr_findings WHERE ehr_id = 5001 AND finding = 'fundus.od.cup_disc_ratio'"),
        "0.40"
    );
    assert_eq!(
        db.scalar("SELECT icd10, eye, is_primary FROM ehr_diagnoses WHERE ehr_id = 5001"),
        "H25.13\tOU\t1"
    );
    let cc = db.scalar("SELECT chief_complaint FROM ehr_file WHERE ehr_id = 5001");
    assert!(cc.contains("“halos”"), "{cc}");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM ehr_notes WHERE ehr_id = 5001"),
        "1"
    );
    assert_eq!(
        db.scalar("SELECT ehr_id FROM doctora_jobs WHERE job_id = 'J-CPM-2026-11-16-0001'"),
        "5001"
    );
    // Nothing landed in any other encounter.
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM ehr_iop WHERE ehr_id <> 5001"),
        "0"
    );
}

// Partial write: a template that covers only some fields and a value out of range.
// The template's valid fields land; the rest are skipped with `outside_template` or
// `invalid_value` and nothing of them reaches the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_write_reports_skipped_fields() {
    let db = start_db();
    let home = home_for(&db, "").await;
    let dir = TempDir::new("partial");
    let snapshot = snapshot_with(&dir, |v| {
        v["template"]["fields"] = serde_json::json!(["iop.od", "iop.method", "chief_complaint"]);
        // Valid for the catalog, but longer than CrystalPM's 20-character column.
        v["fields"]["iop.method"] = serde_json::json!("Goldmann applanation tonometry");
    });
    let (code, out, err) = home.cli(&["write", "crystalpm", &snapshot, "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(field(&report, "iop.od")["status"], "written");
    assert_eq!(field(&report, "chief_complaint")["status"], "written");
    assert_eq!(field(&report, "iop.method")["reason"], "invalid_value");
    assert_eq!(field(&report, "iop.os")["reason"], "outside_template");
    assert_eq!(field(&report, "notes")["reason"], "outside_template");
    assert_eq!(field(&report, "diagnoses")["reason"], "outside_template");
    assert_eq!(
        db.scalar("SELECT iop_od, iop_os, method FROM ehr_iop WHERE ehr_id = 5001"),
        "17\tNULL\tNULL"
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM ehr_notes"), "0");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM ehr_diagnoses"), "0");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM ehr_va"), "0");
}

// Wrong patient: the encounter belongs to another account (or the account's date of
// birth differs from the job's). Nothing is written, the error is typed, the exit code
// is terminal (6) and the advice is the seed's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_patient_writes_nothing() {
    let db = start_db();
    let home = home_for(&db, "").await;
    let before = clinical_rows(&db);
    let dir = TempDir::new("wrong");
    let other_encounter = snapshot_with(&dir, |v| v["encounter_id"] = "5002".into());
    let (code, _, err) = home.cli(&["write", "crystalpm", &other_encounter]);
    assert_eq!(code, 6, "{err}");
    assert!(
        err.contains("Wrong patient") && err.contains("nothing was written"),
        "{err}"
    );
    let dir2 = TempDir::new("wrong-dob");
    let other_dob = snapshot_with(&dir2, |v| {
        v["patient"]["date_of_birth"] = "1958-03-15".into()
    });
    let (code, _, err) = home.cli(&["write", "crystalpm", &other_dob]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("date of birth"), "{err}");
    assert_eq!(clinical_rows(&db), before);
}

// Idempotency: running the same job twice writes once. The second run is reported as
// replayed, and the appended note and the ledger entry exist once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_job_twice_writes_once() {
    let db = start_db();
    let home = home_for(&db, "").await;
    let (code, _, err) = home.cli(&["write", "crystalpm", &fixture_path()]);
    assert_eq!(code, 0, "{err}");
    let after_first = clinical_rows(&db);
    let (code, out, err) = home.cli(&["write", "crystalpm", &fixture_path(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["replayed"], true);
    assert_eq!(clinical_rows(&db), after_first);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM ehr_notes"), "1");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM doctora_jobs"), "1");
}

// Landed means landed: the job was written (the host then died before recording it, say),
// then the provider signed the EHR file, or staff moved it to another account. The retry
// of the same job ends succeeded (replayed) through the ledger, writes nothing, and a new
// job into the signed file is still refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn landed_then_signed_or_moved_is_a_replay() {
    let db = start_db();
    let home = home_for(&db, "").await;
    let (code, _, err) = home.cli(&["write", "crystalpm", &fixture_path()]);
    assert_eq!(code, 0, "{err}");
    let after_first = clinical_rows(&db);
    for change in [
        "UPDATE ehr_file SET locked = 1 WHERE ehr_id = 5001",
        "UPDATE ehr_file SET locked = 0, account_id = 1002 WHERE ehr_id = 5001",
    ] {
        db.sql(change);
        let (code, out, err) = home.cli(&["write", "crystalpm", &fixture_path(), "--json"]);
        assert_eq!(code, 0, "{change}: {out}{err}");
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(report["replayed"], true, "{change}");
        assert_eq!(field(&report, "iop.od")["status"], "written");
        assert_eq!(clinical_rows(&db), after_first, "{change}");
    }
    db.sql("UPDATE ehr_file SET locked = 1, account_id = 1001 WHERE ehr_id = 5001");
    let dir = TempDir::new("snap");
    let other = snapshot_with(&dir, |v| v["job_id"] = "J-CPM-OTHER".into());
    let (code, out, _) = home.cli(&["write", "crystalpm", &other, "--json"]);
    assert_eq!(code, 6, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["error"]["kind"], "encounter_locked");
}

// Server down mid-job: the database server dies while the write transaction is open
// (the adapter paused after its first statement and said so in the log). The job fails as `unreachable` with the seed's "Local
// EHR server unreachable" advice and the retryable exit code 5; after a restart nothing
// of the job is in the database, and the retry writes it whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_down_mid_job_leaves_nothing_half_written() {
    let mut db = start_db();
    let home = home_for(&db, "debug_pause_after_first_write_secs = \"3\"").await;
    let before = clinical_rows(&db);
    let write = PausedWrite::start(&home, "crystalpm", &fixture_path());
    db.kill();
    let (code, err) = write.finish();
    assert_eq!(code, Some(5), "{err}");
    assert!(err.contains("Local EHR server unreachable"), "{err}");
    assert!(err.contains("database service is active"), "{err}");
    assert!(!err.contains(PASSWORD), "{err}");
    db.restart();
    assert_eq!(
        clinical_rows(&db),
        before,
        "the killed job left rows behind"
    );
    // The retry (without the pause) writes the job whole.
    let home = home_for(&db, "").await;
    let (code, _, err) = home.cli(&["write", "crystalpm", &fixture_path()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM doctora_jobs"), "1");
}

// Rollback on trap: the adapter panics inside its transaction after the first write.
// The call fails as an adapter bug, the host rolls the transaction back when the call
// ends (no transaction is left open on the server while the host lives on), and no
// row of the job exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adapter_trap_rolls_back_the_transaction() {
    let db = start_db();
    let home = home_for(&db, "debug_panic_after_first_write = \"true\"").await;
    let before = clinical_rows(&db);
    let host = home.host();
    let adapter = host.load("crystalpm").unwrap();
    let text = std::fs::read_to_string(fixture("snapshot-local-5001.json")).unwrap();
    let result = adapter
        .write_encounter(ehr_host::snapshot::parse(&text).unwrap())
        .await;
    let err = result.unwrap_err();
    assert!(
        matches!(err, ehr_host::runtime::CallError::Trapped { .. })
            && err.to_string().contains("debug_panic_after_first_write"),
        "{err}"
    );
    // The host (and its connection pool) is still alive: the transaction must be gone.
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM information_schema.innodb_trx"),
        "0"
    );
    assert_eq!(clinical_rows(&db), before);
    drop(adapter);
    // Through the CLI the same trap is a terminal adapter bug (exit 6), nothing written.
    let (code, _, err) = home.cli(&["write", "crystalpm", &fixture_path()]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("The adapter failed unexpectedly"), "{err}");
    assert_eq!(clinical_rows(&db), before);
}

// Schedule read over the seed's edge cases: a past (completed) appointment with its
// encounter, an unknown provider (id kept, no name), a patient without email, phone,
// address; the month's count equals the database's; demographics read back as `null`
// when absent, never as empty strings; duplicate emails are returned as they are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_and_patient_reads_keep_edge_cases_visible() {
    let db = start_db();
    let home = home_for(&db, "").await;
    let (code, out, err) = home.cli(&["schedule", "crystalpm", "--from", "2026-11-16", "--json"]);
    assert_eq!(code, 0, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(
        list.len().to_string(),
        db.scalar("SELECT COUNT(*) FROM appts WHERE DATE(appt_start) = '2026-11-16'")
    );
    let by_id = |id: &str| list.iter().find(|a| a["id"] == id).unwrap();
    let first = by_id("9001");
    assert_eq!(first["start"], "2026-11-16T09:00:00");
    assert_eq!(first["provider_name"], "Anna Reyes");
    assert_eq!(first["status"], "completed");
    assert_eq!(first["encounter_id"], "5001");
    assert_eq!(first["patient"]["email"], "m.okafor@example.org");
    let unknown = by_id("9003");
    assert_eq!(unknown["provider_id"], "99");
    assert!(unknown["provider_name"].is_null());
    assert!(unknown["patient"]["email"].is_null());
    assert!(unknown["patient"]["address"].is_null());
    assert!(unknown["patient"]["phone"].is_null());

    let (code, out, err) = home.cli(&[
        "schedule",
        "crystalpm",
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
        db.scalar("SELECT COUNT(*) FROM appts WHERE appt_start < '2026-12-01'")
    );
    let shared = db.scalar("SELECT account_id FROM patients WHERE email = 'family1010@example.org' ORDER BY account_id LIMIT 1");
    let (code, out, err) = home.cli(&["patient", "crystalpm", &shared, "--json"]);
    assert_eq!(code, 0, "{err}");
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(p["email"], "family1010@example.org");
    let no_dob = db.scalar(
        "SELECT account_id FROM patients WHERE birth_date IS NULL ORDER BY account_id LIMIT 1",
    );
    let (code, out, err) = home.cli(&["patient", "crystalpm", &no_dob, "--json"]);
    assert_eq!(code, 0, "{err}");
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        p["date_of_birth"].is_null() && p["address"].is_null(),
        "{p}"
    );
}

// Credentials stay in the host: the settings the adapter can read and `info` show no
// password; a wrong password fails `check` as a configuration problem (exit 4) whose
// message names the account but not the password; an unreachable server's message
// does not contain it either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_never_reach_the_guest_or_messages() {
    let mut db = start_db();
    let home = home_for(&db, "").await;
    let (code, out, err) = home.cli(&["check", "crystalpm"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("MariaDB") && out.contains("316 patients"),
        "{out}"
    );
    let (code, out, err) = home.cli(&["info", "crystalpm", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(PASSWORD) && !err.contains(PASSWORD));
    let host = home.host();
    let adapter = host.load("crystalpm").unwrap();
    let guest_settings = format!("{:?}", adapter.describe().await.unwrap());
    assert!(!guest_settings.contains(PASSWORD));

    let wrong = "wrong-pw-Zk81";
    let config = std::fs::read_to_string(home.dir.path().join("config.toml"))
        .unwrap()
        .replace(PASSWORD, wrong);
    std::fs::write(home.dir.path().join("config.toml"), config).unwrap();
    let (code, out, err) = home.cli(&["check", "crystalpm"]);
    assert_eq!(code, 4, "{out}{err}");
    assert!(err.contains("doctora") && !err.contains(wrong), "{err}");

    db.kill();
    let (code, _, err) = home.cli(&["check", "crystalpm"]);
    assert_eq!(code, 5, "{err}");
    assert!(
        err.contains("Local EHR server unreachable") && !err.contains(wrong),
        "{err}"
    );
}
