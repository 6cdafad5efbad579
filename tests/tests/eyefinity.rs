//! The eyefinity adapter end to end on the happy paths: the real `ehr-host` binary, the
//! real built component, and the Eyefinity sandbox over HTTP on loopback. (Failures are
//! in `faults.rs`.)

use ehr_e2e::cloud::{self, Auth, EYEFINITY};
use ehr_e2e::faults::write_json;

// `ehr-host write eyefinity` saves one document and reports every field honestly:
// keratometry written (RevolutionEHR cannot), vitals and procedures skipped with their
// reasons, UTF-8 text stored exactly without warnings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_lands_as_one_document_with_honest_report() {
    let (sandbox, home) = cloud::setup(&EYEFINITY, Auth::Bearer, None).await;
    let snapshot = cloud::snapshot(&EYEFINITY, |_| {});
    let (code, report) = write_json(&home, "eyefinity", &snapshot);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["outcome"], "succeeded_with_warnings");
    assert_eq!(report["record_id"], "V-9001@1");
    let field = |id: &str| {
        report["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(field("keratometry.od.k1")["status"], "written");
    assert_eq!(field("keratometry.od.k1")["target"], "elements.K_OD_K1");
    assert_eq!(field("vitals.temperature")["reason"], "no_mapping");
    assert_eq!(field("procedures")["reason"], "no_mapping");
    assert!(field("chief_complaint")["warnings"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(report["skipped"], 2);

    let state = sandbox.state();
    let e = &state.encounters["V-9001"];
    assert_eq!((e.applied_writes, e.revision), (1, 1));
    let elements = &e.sections["elements"];
    assert_eq!(elements["IOP_OD"], 17);
    assert_eq!(elements["K_OD_K1"], 43.25);
    assert_eq!(elements["CC"], snapshot["fields"]["chief_complaint"]);
    assert_eq!(e.diagnoses[0].icd10, "H25.13");
    assert_eq!(e.diagnoses[0].eye.as_deref(), Some("B"));
    assert_eq!(e.notes[0].text, "Patient prefers morning appointments.");
    let saves: Vec<_> = state
        .requests
        .iter()
        .filter(|r| r.method == "PUT")
        .collect();
    assert_eq!(saves.len(), 1);
    assert_eq!(
        saves[0].idempotency_key.as_deref(),
        Some("J-2026-11-21-0101:encounter")
    );
}

// The same job twice saves once: the second run is replayed, still revision 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_job_twice_saves_once() {
    let (sandbox, home) = cloud::setup(&EYEFINITY, Auth::Bearer, None).await;
    let snapshot = cloud::snapshot(&EYEFINITY, |_| {});
    assert_eq!(write_json(&home, "eyefinity", &snapshot).0, 0);
    let (code, report) = write_json(&home, "eyefinity", &snapshot);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["replayed"], true);
    let e = &sandbox.state().encounters["V-9001"];
    assert_eq!((e.applied_writes, e.revision), (1, 1));
}

// `check`, `schedule` (one request per day) and `patient` read through the adapter;
// a UTF-8 name comes back intact, absent values as null.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads() {
    let (sandbox, home) = cloud::setup(&EYEFINITY, Auth::Bearer, None).await;
    let (code, out, err) = home.cli(&["check", "eyefinity"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Eyefinity sandbox 2.0"), "{out}");
    let (code, out, err) = home.cli(&[
        "schedule",
        "eyefinity",
        "--from",
        "2026-11-16",
        "--to",
        "2026-11-19",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 6, "{out}");
    assert_eq!(list[0]["start"], "2026-11-16T09:00:00");
    assert_eq!(list[5]["provider_name"], serde_json::Value::Null);
    let days = sandbox
        .state()
        .requests
        .iter()
        .filter(|r| r.path == "/ehr/v2/schedule")
        .count();
    assert_eq!(days, 4);
    let (code, out, err) = home.cli(&["patient", "eyefinity", "EF-2004", "--json"]);
    assert_eq!(code, 0, "{err}");
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(p["last_name"], "Núñez");
    let (code, out, _) = home.cli(&["patient", "eyefinity", "EF-2005", "--json"]);
    assert_eq!(code, 0);
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(p["date_of_birth"], serde_json::Value::Null);
}
