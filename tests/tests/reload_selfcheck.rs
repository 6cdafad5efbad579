//! Self-checks classified: a new version whose `check` fails because the EHR is down is
//! not held against it. The version before it keeps serving (and the store says so), the
//! check is tried again, and once the EHR is back the new version is swapped in on
//! probation. Only an adapter fault blocks a version.

mod reload_common;

use ehr_e2e::TestHome;
use ehr_host::agent::events::EventKind;
use ehr_host::agent::{Agent, AgentOptions};
use ehr_sandbox::{Sandbox, SandboxConfig};
use reload_common::{adapter, listed, relay_config, status, WAIT};
use std::time::Duration;

fn options() -> AgentOptions {
    AgentOptions {
        poll_interval: Duration::from_secs(3600),
        watch_interval: Duration::from_millis(20),
        ..AgentOptions::default()
    }
}

// The EHR (the sandbox) goes down, then 0.2.0 is installed: its check cannot reach the
// EHR, so the agent keeps 0.1.0, the store is back on 0.1.0 with 0.2.0 waiting, and the
// status and `ehr-host list` say why; retries while the EHR is down change nothing and
// refuse nothing. The EHR comes back on the same address: the next retry passes and
// 0.2.0 serves, on probation, with store, list and status agreeing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_check_failing_because_the_ehr_is_down_is_tried_again() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let (url, addr) = (sandbox.url(), sandbox.addr());
    let extra = format!("check_url = \"{url}/api/v1/ping\"");
    let home = TestHome::new(&relay_config(&url, &extra));
    home.install("misbehaving").await;
    let agent = Agent::start(home.host(), options()).await.unwrap();
    assert_eq!(agent.serving()["misbehaving"].version, "0.1.0");

    drop(sandbox);
    home.install("misbehaving-0.2.0").await;
    let deferred = agent
        .wait_for(WAIT, |e| e.kind == EventKind::SelfCheckDeferred)
        .await
        .expect("the self-check was deferred");
    assert!(
        deferred
            .message
            .contains("not swapping in misbehaving 0.2.0 yet")
            && deferred.message.contains("unreachable")
            && deferred
                .message
                .contains("0.1.0 serves until its self-check passes"),
        "{}",
        deferred.message
    );
    let entry = listed(&home);
    assert_eq!(entry["version"], "0.1.0", "{entry}");
    assert_eq!(entry["waiting"]["version"], "0.2.0", "{entry}");
    assert!(
        entry["rolled_back"].as_array().unwrap().is_empty(),
        "not held against it: {entry}"
    );

    // Retries at 1 s and 3 s fail while the EHR is down.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(agent.serving()["misbehaving"].version, "0.1.0");
    let s = status(&home);
    assert_eq!(adapter(&s)["waiting"]["version"], "0.2.0", "{s:#}");
    assert!(
        adapter(&s)["waiting"]["reason"]
            .as_str()
            .unwrap()
            .contains("unreachable"),
        "{s:#}"
    );
    assert!(agent
        .events()
        .iter()
        .all(|e| e.kind != EventKind::SelfCheckFailed && e.kind != EventKind::Swapped));
    assert_eq!(listed(&home)["version"], "0.1.0");

    let _sandbox = Sandbox::start_on(SandboxConfig::default(), addr)
        .await
        .unwrap();
    let swapped = agent
        .wait_for(WAIT, |e| e.kind == EventKind::Swapped)
        .await
        .expect("0.2.0 swapped in once the EHR was back");
    assert!(
        swapped
            .message
            .contains("now serving misbehaving 0.2.0 (was 0.1.0)")
            && swapped.message.contains("on probation"),
        "{}",
        swapped.message
    );
    let entry = listed(&home);
    assert_eq!(entry["version"], "0.2.0");
    assert_eq!(entry["waiting"], serde_json::Value::Null);
    assert_eq!(entry["probation"]["version"], "0.2.0");
    let s = reload_common::wait_status(&home, "0.2.0 in the status", |s| {
        reload_common::serving(s) == Some("0.2.0")
    });
    assert_eq!(adapter(&s)["store_version"], "0.2.0");
    assert_eq!(adapter(&s)["waiting"], serde_json::Value::Null);
    agent.stop().await;
}
