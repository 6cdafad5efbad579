//! Contract versions side by side: an adapter built for `ehr:adapter@0.1.0` (a frozen
//! build of the revolution adapter, `tests/fixtures/adapters/`) installed and working
//! beside adapters built for 0.2.0, through the same host.

use ehr_e2e::cloud::{self, Auth, EYEFINITY, REVOLUTION};
use ehr_e2e::{fixture, TestHome};
use ehr_sandbox::{Fault, FaultMode};

fn frozen_revolution() -> Vec<u8> {
    std::fs::read(fixture("adapters/revolution-0.1.0.wasm"))
        .expect("tests/fixtures/adapters/revolution-0.1.0.wasm")
}

// The 0.1.0 build installs and writes (its report as before, no notices), a 0.2.0 adapter
// serves beside it, `list` names each one's contract, and what 0.1.0 cannot do is said
// plainly rather than failing oddly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_0_1_0_adapter_works_beside_0_2_0_ones() {
    let revolution = cloud::start_sandbox(&REVOLUTION).await;
    let eyefinity = cloud::start_sandbox(&EYEFINITY).await;
    let config = format!(
        "{}\n{}",
        cloud::config(
            &REVOLUTION,
            &revolution.url(),
            &revolution.url(),
            Auth::Bearer,
            None
        ),
        cloud::config(
            &EYEFINITY,
            &eyefinity.url(),
            &eyefinity.url(),
            Auth::Bearer,
            None
        )
        .replace("[limits]\ntimeout_secs = 10\n", "")
    );
    let home = TestHome::new(&config);
    let (manifest, bytes) = home
        .host()
        .sign_component(frozen_revolution(), &home.key)
        .await
        .unwrap();
    assert_eq!(manifest.contract.to_string(), "0.1.0");
    home.host().install(&bytes).await.unwrap();
    home.install("eyefinity").await;

    let (code, out, err) = home.cli(&["list", "--json"]);
    assert_eq!(code, 0, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let contract = |id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .map(|a| a["contract"].as_str().unwrap().to_string())
    };
    assert_eq!(contract("revolution").as_deref(), Some("0.1.0"));
    assert_eq!(contract("eyefinity").as_deref(), Some("0.2.0"));

    for (adapter, snapshot, sandbox) in [
        ("revolution", REVOLUTION.fixture, &revolution),
        ("eyefinity", EYEFINITY.fixture, &eyefinity),
    ] {
        let (code, out, err) = home.cli(&[
            "write",
            adapter,
            fixture(snapshot).to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(code, 0, "{adapter}: {err}");
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            report["outcome"], "succeeded_with_warnings",
            "{adapter}: {report:#}"
        );
        let applied: u32 = sandbox
            .state()
            .encounters
            .values()
            .map(|e| e.applied_writes)
            .sum();
        assert!(applied > 0, "{adapter} wrote nothing");
    }

    let host = home.host();
    let old = host.load("revolution").unwrap();
    let e = old.read_providers().await.unwrap_err().to_string();
    assert!(
        e.contains("built for contract 0.1.0") && e.contains("contract 0.2.0"),
        "{e}"
    );
    let timing = old.describe().await.unwrap().sync_timing;
    let default = ehr_host::contract::DEFAULT_SYNC_TIMING;
    assert_eq!(
        (
            timing.min_poll_seconds,
            timing.normal_minutes,
            timing.abnormal_minutes
        ),
        (
            default.min_poll_seconds,
            default.normal_minutes,
            default.abnormal_minutes
        )
    );
}

// A 0.1.0 adapter cannot report progress: when its write fails part-way the host says it
// cannot tell what landed, instead of claiming nothing did; a 0.2.0 adapter's failure
// says exactly what landed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_landed_is_known_only_from_0_2_0() {
    let (sandbox, home) = cloud::setup(&REVOLUTION, Auth::Bearer, None).await;
    sandbox.set_fault(Fault::new(FaultMode::Unavailable).on_path(REVOLUTION.last_write_path));
    let snapshot = fixture(REVOLUTION.fixture);
    let (code, out, _) = home.cli(&["write", "revolution", snapshot.to_str().unwrap(), "--json"]);
    assert_eq!(code, 5);
    let new: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(new["landed"], "partly", "{new:#}");

    let old_home = TestHome::new(&cloud::config(
        &REVOLUTION,
        &sandbox.url(),
        &sandbox.url(),
        Auth::Bearer,
        None,
    ));
    let (_, bytes) = old_home
        .host()
        .sign_component(frozen_revolution(), &old_home.key)
        .await
        .unwrap();
    old_home.host().install(&bytes).await.unwrap();
    let dir = ehr_e2e::TempDir::new("contracts");
    let edited = ehr_e2e::edited_fixture(&dir, REVOLUTION.fixture, |s| {
        s["job_id"] = "J-OLD-CONTRACT".into();
    });
    let (code, out, _) = old_home.cli(&["write", "revolution", &edited, "--json"]);
    assert_eq!(code, 5);
    let old: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(old["landed"], "unknown", "{old:#}");
}
