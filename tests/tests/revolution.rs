//! The revolution adapter end to end: the real `ehr-host` binary, the real built
//! component, and the RevolutionEHR sandbox over HTTP on loopback.

use ehr_e2e::{bearer, fixture, oauth2, revolution_config, TempDir, TestHome};
use ehr_sandbox::{Fault, FaultMode, Sandbox, SandboxConfig};

async fn setup(credentials: impl Fn(&str) -> String) -> (Sandbox, TestHome) {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let home = TestHome::new(&revolution_config(&url, &credentials(&url)));
    home.install("revolution").await;
    (sandbox, home)
}

fn snapshot_with(dir: &TempDir, edit: impl Fn(&mut serde_json::Value)) -> String {
    ehr_e2e::edited_fixture(dir, "snapshot-e5001.json", edit)
}

// `ehr-host write revolution` writes the exam into the sandbox and reports every field
// honestly: mapped fields written where they landed, keratometry and procedures skipped
// with reasons, the °C→°F conversion and the non-ASCII replacement as warnings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_lands_with_honest_report() {
    let (sandbox, home) = setup(|u| bearer(u, "sandbox-token")).await;
    let snapshot = fixture("snapshot-e5001.json");
    let (code, out, err) = home.cli(&["write", "revolution", snapshot.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["outcome"], "succeeded_with_warnings");
    let field = |id: &str| {
        report["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(field("iop.od")["status"], "written");
    assert_eq!(field("keratometry.od.k1")["status"], "skipped");
    assert_eq!(field("keratometry.od.k1")["reason"], "no_mapping");
    assert_eq!(field("procedures")["status"], "skipped");
    assert_eq!(
        field("vitals.temperature")["warnings"][0]["kind"],
        "unit_converted"
    );
    assert_eq!(
        field("chief_complaint")["warnings"][0]["kind"],
        "characters_replaced"
    );
    assert_eq!(report["skipped"], 2);

    let state = sandbox.state();
    let e = &state.encounters["E5001"];
    assert_eq!(e.sections["iop"]["iopOd"], 17);
    assert_eq!(e.sections["vitals"]["tempF"], 98.6);
    let cc = e.sections["history"]["chiefComplaint"].as_str().unwrap();
    assert!(cc.is_ascii() && cc.contains("halos"), "{cc}");
    assert_eq!(e.diagnoses[0].icd10, "H25.13");
    assert_eq!(e.diagnoses[0].eye.as_deref(), Some("OU"));
    assert_eq!(e.notes.len(), 1);

    // The human rendering says the same.
    let (code, out, _) = home.cli(&["write", "revolution", snapshot.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        out.contains("skipped      keratometry.od.k1") && out.contains("no mapping"),
        "{out}"
    );
}

// Running the same job twice writes once: the second run is reported as replayed and
// the sandbox applied no further writes (the chart note is not appended twice).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_job_twice_writes_once() {
    let (sandbox, home) = setup(|u| bearer(u, "sandbox-token")).await;
    let snapshot = fixture("snapshot-e5001.json");
    let (code, _, err) = home.cli(&["write", "revolution", snapshot.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let applied = sandbox.state().encounters["E5001"].applied_writes;
    assert!(applied > 0);
    let (code, out, err) = home.cli(&["write", "revolution", snapshot.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["replayed"], true);
    let e = &sandbox.state().encounters["E5001"];
    assert_eq!(e.applied_writes, applied);
    assert_eq!(e.notes.len(), 1);
}

// An encounter that belongs to another patient is refused before anything is written,
// with the seed's advice and the terminal exit code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_patient_writes_nothing() {
    let (sandbox, home) = setup(|u| bearer(u, "sandbox-token")).await;
    let dir = TempDir::new("wrong");
    let snapshot = snapshot_with(&dir, |v| v["encounter_id"] = "E5002".into());
    let (code, _, err) = home.cli(&["write", "revolution", &snapshot]);
    assert_eq!(code, 6, "{err}");
    assert!(
        err.contains("Wrong patient") && err.contains("nothing was written"),
        "{err}"
    );
    let state = sandbox.state();
    assert!(state.encounters.values().all(|e| e.applied_writes == 0));
    assert!(
        state.requests.iter().all(|r| r.method == "GET"),
        "{:?}",
        state.requests
    );
}

// With OAuth2 client credentials, an expired token is refreshed by the host once and the
// write succeeds; the adapter never saw a token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_token_is_refreshed_on_401() {
    let (sandbox, home) = setup(oauth2).await;
    let (code, _, err) = home.cli(&["check", "revolution"]);
    assert_eq!(code, 0, "{err}");
    sandbox.expire_tokens();
    // A new CLI process holds no cached token; expire again after it fetched one by
    // running the write in-process, where the token cache lives across calls.
    let host = home.host();
    let adapter = host.load("revolution").unwrap();
    adapter.check().await.unwrap();
    sandbox.expire_tokens();
    let text = std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap();
    let result = adapter
        .write_encounter(ehr_host::snapshot::parse(&text).unwrap())
        .await;
    assert!(result.is_ok(), "{result:?}");
    let token_fetches = sandbox
        .state()
        .requests
        .iter()
        .filter(|r| r.path == "/oauth/token")
        .count();
    assert_eq!(
        token_fetches, 3,
        "one fetch per CLI process/adapter, plus exactly one refresh"
    );
}

// A static API token that expired cannot be refreshed: the write fails as "EHR session
// expired", exit code 4 (needs a person), nothing written, and the advice is to replace
// the token in config.toml, not to log in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_token_tells_user_to_replace_it() {
    let (sandbox, home) = setup(|u| bearer(u, "sandbox-token")).await;
    sandbox.expire_tokens();
    let snapshot = fixture("snapshot-e5001.json");
    let (code, _, err) = home.cli(&["write", "revolution", snapshot.to_str().unwrap()]);
    assert_eq!(code, 4, "{err}");
    // The credential is an API token in config.toml: logging in would not fix it.
    assert!(
        err.contains("EHR session expired") && err.contains("Replace the token"),
        "{err}"
    );
    assert!(!err.contains("log back in"), "{err}");
    assert_eq!(sandbox.state().encounters["E5001"].applied_writes, 0);
}

// The EHR refuses one field of a section after other sections landed (422 naming it):
// that field is reported skipped with the EHR's message, the rest of the section and the
// sections after it are written, and the job succeeds with warnings: nothing half-way
// goes unreported, and the chart holds exactly what the report says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_field_after_others_landed_is_reported_not_lost() {
    let (sandbox, home) = setup(|u| bearer(u, "sandbox-token")).await;
    sandbox.set_fault(Fault::once(FaultMode::Reject).on_path("/exam/iop"));
    let snapshot = fixture("snapshot-e5001.json");
    let (code, out, err) = home.cli(&["write", "revolution", snapshot.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let iop_od = ehr_e2e::report_field(&report, "iop.od");
    assert_eq!(iop_od["status"], "skipped", "{report:#}");
    assert_eq!(iop_od["reason"], "invalid_value");
    assert!(
        iop_od["detail"].as_str().unwrap().contains("R-17"),
        "{report:#}"
    );
    assert_eq!(
        ehr_e2e::report_field(&report, "iop.os")["status"],
        "written"
    );
    assert_eq!(ehr_e2e::report_field(&report, "notes")["status"], "written");
    let e = &sandbox.state().encounters["E5001"];
    assert!(e.sections["iop"].get("iopOd").is_none());
    assert_eq!(e.sections["iop"]["iopOs"], 18);
    assert_eq!(e.sections["refraction"]["mrxOdSphere"], -1.25);
    assert_eq!(e.notes.len(), 1);
}

// A rate-limited EHR is reported as retryable (exit 5) with the Retry-After delay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_is_retryable_with_delay() {
    let (sandbox, home) = setup(|u| bearer(u, "sandbox-token")).await;
    sandbox.set_fault(Fault::new(FaultMode::RateLimited {
        retry_after: Some(7),
    }));
    let (code, out, err) = home.cli(&["check", "revolution", "--json"]);
    assert_eq!(code, 5, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["kind"], "rate_limited");
    assert_eq!(v["error"]["retry_after_seconds"], 7);
}

// `check`, `schedule` and `patient` read through the adapter; an invalid snapshot is
// refused before the adapter runs, naming the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_and_bad_input() {
    let (sandbox, home) = setup(|u| bearer(u, "sandbox-token")).await;
    let (code, out, err) = home.cli(&["check", "revolution"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("EHR reachable"), "{out}");
    let (code, out, err) = home.cli(&[
        "schedule",
        "revolution",
        "--from",
        "2026-11-16",
        "--to",
        "2026-11-27",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(list.as_array().unwrap().len() >= 10, "{out}");
    let (code, out, err) = home.cli(&["patient", "revolution", "P1001", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Okafor"));

    let dir = TempDir::new("bad");
    let snapshot = snapshot_with(&dir, |v| v["fields"]["iop.od"] = "seventeen".into());
    let (code, _, err) = home.cli(&["write", "revolution", &snapshot]);
    assert_eq!(code, 1);
    assert!(
        err.contains("fields.iop.od: expected a number in mmHg"),
        "{err}"
    );
    assert!(sandbox
        .state()
        .requests
        .iter()
        .all(|r| !r.path.contains("/exam/")));
}
