//! `ehr-host new` to a running adapter: the scaffolded crate passes its own tests with the
//! SDK harness, builds as a component, signs, installs and answers `describe`, exactly as
//! the SDK README walks an adapter author through it — and, with no code added by its
//! author, refuses a wrong patient through the host against the RevolutionEHR sandbox.

use ehr_e2e::{bearer, root, TempDir, TestHome};
use ehr_sandbox::{Sandbox, SandboxConfig};
use std::path::Path;
use std::process::Command;

fn cargo(dir: &Path, args: &[&str]) {
    // A target directory of its own (kept between runs under target/) so this nested
    // cargo never waits on the lock of the cargo running the tests.
    let target = root().join("target/scaffold");
    // Offline: the scaffold needs nothing beyond the workspace's locked dependencies.
    let out = Command::new(env!("CARGO"))
        .args(args)
        .arg("--offline")
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("running cargo");
    assert!(
        out.status.success(),
        "cargo {args:?} failed in the scaffolded crate:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// The scaffold compiles, its harness tests pass natively, its component signs and
// installs, the installed adapter describes the mapping the template declares, and
// against a real EHR API (the RevolutionEHR sandbox) it refuses a wrong patient with
// nothing written, and writes its example snapshot into the right one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_adapter_builds_signs_and_installs() {
    let home = TestHome::new("");
    let work = TempDir::new("scaffold");
    let dir = work.path().join("my-ehr");
    let (code, out, err) = home.cli(&["new", "my-ehr", "--dir", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("created adapter crate `my-ehr`"), "{out}");
    // Same dependency versions as the workspace, so the build needs nothing new.
    std::fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();

    cargo(&dir, &["test", "--quiet"]);
    cargo(
        &dir,
        &["build", "--quiet", "--release", "--target", "wasm32-wasip2"],
    );
    let wasm = root().join("target/scaffold/wasm32-wasip2/release/my_ehr.wasm");
    let key = work.path().join("publisher");
    let (code, _, err) = home.cli(&["keygen", key.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let pkg = work.path().join("my-ehr.ehrpkg");
    let (code, out, err) = home.cli(&[
        "sign",
        wasm.to_str().unwrap(),
        "--key",
        key.with_extension("key").to_str().unwrap(),
        "-o",
        pkg.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("signed my-ehr 0.1.0 (contract 0.2.0)"),
        "{out}"
    );
    let (code, _, err) = home.cli(&[
        "trust",
        "add",
        key.with_extension("pub").to_str().unwrap(),
        "--name",
        "me",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = home.cli(&["install", pkg.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = home.cli(&["info", "my-ehr", "--json"]);
    assert_eq!(code, 0, "{err}");
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    let fields: Vec<_> = info["describe"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["chief_complaint", "iop.od", "iop.os"]);

    // Pointed at the sandbox, the unmodified scaffold refuses a wrong patient.
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let config = format!(
        "[limits]\ntimeout_secs = 10\n\n[adapters.my-ehr]\nhttp = [\"{url}\"]\n\n\
         [adapters.my-ehr.settings]\nbase_url = \"{url}/api/v1\"\n\n{}",
        bearer(&url, "sandbox-token").replace("adapters.revolution", "adapters.my-ehr")
    );
    std::fs::write(home.dir.path().join("config.toml"), config).unwrap();
    let example = dir.join("examples/snapshot.json");
    let mut wrong: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&example).unwrap()).unwrap();
    wrong["encounter_id"] = "E5002".into();
    let wrong_path = work.path().join("wrong.json");
    std::fs::write(&wrong_path, wrong.to_string()).unwrap();
    let (code, out, err) = home.cli(&["write", "my-ehr", wrong_path.to_str().unwrap(), "--json"]);
    assert_eq!(code, 6, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["error"]["kind"], "wrong_patient", "{report:#}");
    let state = sandbox.state();
    assert!(state.requests.iter().all(|r| r.method == "GET"));
    assert!(state.encounters.values().all(|e| e.applied_writes == 0));

    let (code, out, err) = home.cli(&["write", "my-ehr", example.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let e = &sandbox.state().encounters["E5001"];
    assert_eq!(e.sections["iop"]["iopOd"], 17);
    assert_eq!(e.sections["history"]["chiefComplaint"], "Blurry vision");

    // Refusing bad names and existing directories, with the reason.
    let (code, _, err) = home.cli(&["new", "My EHR"]);
    assert_eq!(code, 1);
    assert!(err.contains("not a valid adapter id"), "{err}");
    let (code, _, err) = home.cli(&["new", "my-ehr", "--dir", dir.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
}
