//! Hot reload inside a running agent: the real built components (misbehaving 0.1.0 and
//! 0.2.0), the agent library as `ehr-host run` uses it, and the RevolutionEHR sandbox as
//! the slow network peer that keeps hundreds of write calls in flight during a swap.

use ehr_e2e::{fixture, TestHome, TestRegistry};
use ehr_host::agent::events::EventKind;
use ehr_host::agent::{Agent, AgentOptions};
use ehr_host::runtime::bindings::latest::EncounterSnapshot;
use ehr_sandbox::{Fault, FaultMode, Sandbox, SandboxConfig};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(60);

fn options() -> AgentOptions {
    AgentOptions {
        poll_interval: Duration::from_secs(3600),
        watch_interval: Duration::from_millis(20),
        ..AgentOptions::default()
    }
}

fn snapshot(job: &str) -> EncounterSnapshot {
    let text = std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap();
    let mut s = ehr_host::snapshot::parse(&text).unwrap();
    s.job_id = job.to_string();
    s
}

/// misbehaving in `relay` mode: every write does one GET to the sandbox, at
/// `/api/v1/patients/<job id>`, so the sandbox's request log shows every call.
fn relay_config(url: &str, extra: &str) -> String {
    format!(
        "[adapters.misbehaving]\nhttp = [\"{url}\"]\n\n[adapters.misbehaving.settings]\nmode = \"relay\"\nurl = \"{url}/api/v1/patients/\"\n{extra}\n"
    )
}

fn serving(agent: &Agent) -> String {
    agent.serving()["misbehaving"].version.clone()
}

// Continuous load: write calls with 200 in flight at every moment (each waits 150 ms on
// the sandbox) while `ehr-host install` puts 0.2.0 into the store; the load goes on until
// 300 more calls have started after the agent swapped it in. Every call succeeds, each
// job reached the sandbox exactly once and came back exactly once, calls in flight at the
// swap finished on 0.1.0, calls started after it ran on 0.2.0, and 0.2.0 passed its
// probation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swap_under_load_fails_drops_and_repeats_nothing() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    sandbox.set_fault(Fault::new(FaultMode::Slow { delay_ms: 150 }));
    let home = TestHome::new(&relay_config(&sandbox.url(), ""));
    home.install("misbehaving").await;
    let v2 = home.dir.path().join("v2.ehrpkg");
    std::fs::write(&v2, home.package("misbehaving-0.2.0").await).unwrap();
    let agent = Arc::new(Agent::start(home.host(), options()).await.unwrap());
    assert_eq!(serving(&agent), "0.1.0");
    let slot = agent.slot("misbehaving").unwrap();

    let in_flight = Arc::new(tokio::sync::Semaphore::new(200));
    let done = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    let mut installer = None;
    let mut swapped_at = None;
    let mut after_swap = 0;
    while after_swap < 300 {
        let permit = in_flight.clone().acquire_owned().await.unwrap();
        let (slot, done_count) = (slot.clone(), done.clone());
        let job = format!("J{:04}", tasks.len());
        tasks.push(tokio::spawn(async move {
            let start = t0.elapsed();
            let (adapter, result) = slot.write_encounter(snapshot(&job)).await;
            let end = t0.elapsed();
            done_count.fetch_add(1, Ordering::SeqCst);
            drop(permit);
            (
                job,
                adapter.manifest.version.to_string(),
                result,
                start,
                end,
            )
        }));
        // Once 300 calls are done, install 0.2.0 from another process, as an operator would.
        if installer.is_none() && done.load(Ordering::SeqCst) >= 300 {
            let (home_dir, v2) = (home.dir.path().to_path_buf(), v2.clone());
            installer = Some(tokio::task::spawn_blocking(move || {
                std::process::Command::new(ehr_e2e::ehr_host_bin())
                    .args(["install", v2.to_str().unwrap()])
                    .env("EHR_HOST_HOME", home_dir)
                    .output()
                    .unwrap()
            }));
        }
        if swapped_at.is_none() && serving(&agent) == "0.2.0" {
            swapped_at = Some(t0.elapsed());
        }
        if swapped_at.is_some() {
            after_swap += 1;
        }
        assert!(t0.elapsed() < WAIT * 2, "the agent never swapped 0.2.0 in");
    }
    let swapped_at = swapped_at.unwrap();
    let out = installer.unwrap().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    let calls = results.len();

    let failed: Vec<_> = results
        .iter()
        .filter(|r| r.2.is_err())
        .map(|r| (&r.0, format!("{:?}", r.2)))
        .collect();
    assert!(failed.is_empty(), "failed calls: {failed:?}");
    let returned: BTreeSet<&String> = results.iter().map(|r| &r.0).collect();
    assert_eq!(returned.len(), calls, "every job came back exactly once");
    for (job, _, result, _, _) in &results {
        assert_eq!(
            result.as_ref().unwrap().record_id.as_deref(),
            Some(job.as_str())
        );
    }
    let mut hits: BTreeMap<String, usize> = BTreeMap::new();
    for r in sandbox.state().requests {
        if let Some(job) = r.path.strip_prefix("/api/v1/patients/") {
            *hits.entry(job.to_string()).or_default() += 1;
        }
    }
    assert_eq!(hits.len(), calls, "every job reached the sandbox");
    assert!(
        hits.values().all(|&n| n == 1),
        "no job reached the sandbox twice"
    );

    let by_version = |v: &str| results.iter().filter(|r| r.1 == v).count();
    assert!(
        by_version("0.1.0") >= 300 && by_version("0.2.0") >= 250,
        "0.1.0: {}, 0.2.0: {}",
        by_version("0.1.0"),
        by_version("0.2.0")
    );
    let old_in_flight = results
        .iter()
        .filter(|r| r.1 == "0.1.0" && r.3 < swapped_at && r.4 > swapped_at)
        .count();
    assert!(
        old_in_flight >= 100,
        "calls in flight at the swap finish on the old version ({old_in_flight})"
    );
    let late_start = swapped_at + Duration::from_millis(50);
    assert!(
        results
            .iter()
            .filter(|r| r.3 > late_start)
            .all(|r| r.1 == "0.2.0"),
        "calls started after the swap run on the new version"
    );
    let swapped = agent
        .wait_for(WAIT, |e| e.kind == EventKind::Swapped)
        .await
        .unwrap();
    assert!(
        swapped
            .message
            .contains("now serving misbehaving 0.2.0 (was 0.1.0)"),
        "{}",
        swapped.message
    );
    assert!(agent
        .wait_for(WAIT, |e| e.kind == EventKind::ProbationPassed)
        .await
        .is_some());
    Arc::try_unwrap(agent).ok().unwrap().stop().await;
}

// A new version that passes its self-check but traps on writes is rolled back by the
// agent after exactly `max_errors` (3) failed calls; the store is rolled back with it,
// later calls succeed on 0.1.0, and the agent does not swap the broken version in again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_of_errors_after_swap_rolls_back_automatically() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let home = TestHome::new(&relay_config(
        &sandbox.url(),
        "\"mode@0.2.0\" = \"write-trap\"",
    ));
    home.install("misbehaving").await;
    let agent = Agent::start(home.host(), options()).await.unwrap();
    let mut rollbacks = agent.rollbacks();
    home.install("misbehaving-0.2.0").await;
    agent
        .wait_for(WAIT, |e| e.kind == EventKind::Swapped)
        .await
        .expect("0.2.0 swapped in");
    let slot = agent.slot("misbehaving").unwrap();

    let mut outcomes = Vec::new();
    for i in 0..10 {
        let (adapter, result) = slot.write_encounter(snapshot(&format!("B{i}"))).await;
        outcomes.push((adapter.manifest.version.to_string(), result.is_ok()));
    }
    let failed: Vec<_> = outcomes.iter().filter(|o| !o.1).collect();
    assert_eq!(failed.len(), 3, "{outcomes:?}");
    assert!(failed.iter().all(|o| o.0 == "0.2.0"));
    assert!(
        outcomes[3..].iter().all(|o| o.0 == "0.1.0" && o.1),
        "{outcomes:?}"
    );

    let e = agent
        .wait_for(WAIT, |e| e.kind == EventKind::RolledBack)
        .await
        .unwrap();
    assert!(e.message.contains("rolled misbehaving back from 0.2.0 to 0.1.0 automatically: 3 of its first 3 calls failed as adapter bugs"), "{}", e.message);
    assert!(
        e.message.contains("deliberate panic in write_encounter"),
        "{}",
        e.message
    );
    agent
        .wait_for(WAIT, |e| e.kind == EventKind::StoreRolledBack)
        .await
        .expect("store rolled back");
    let installed = home.host().store.get("misbehaving").unwrap();
    assert_eq!(installed.version.to_string(), "0.1.0");
    assert_eq!(installed.previous_version.unwrap().to_string(), "0.2.0");
    // The job loop hears of it (to give the failed jobs back) and can say so in the log.
    let rb = tokio::time::timeout(WAIT, rollbacks.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            rb.id.as_str(),
            rb.from_version.to_string(),
            rb.to_version.to_string()
        ),
        ("misbehaving", "0.2.0".into(), "0.1.0".into())
    );
    assert_eq!(rb.from_hash, installed.rolled_back[0].hash);
    assert_eq!(agent.recorded_rollbacks(), vec![rb.clone()]);
    agent.record(
        EventKind::JobsGivenBack,
        Some("misbehaving"),
        "3 jobs given back",
    );
    assert!(agent
        .events()
        .iter()
        .any(|e| e.kind == EventKind::JobsGivenBack && e.message == "3 jobs given back"));
    // Several watch passes later it still serves 0.1.0.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(serving(&agent), "0.1.0");
    let status: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.dir.path().join("agent-status.json")).unwrap())
            .unwrap();
    assert_eq!(status["serving"]["misbehaving"]["version"], "0.1.0");
    agent.stop().await;
}

// A new version whose `check` fails is never swapped in: the agent says so, keeps
// serving 0.1.0 (calls keep succeeding) and rolls the store back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_self_check_is_never_swapped_in() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let home = TestHome::new(&relay_config(&sandbox.url(), "\"mode@0.2.0\" = \"trap\""));
    home.install("misbehaving").await;
    let agent = Agent::start(home.host(), options()).await.unwrap();
    home.install("misbehaving-0.2.0").await;
    let e = agent
        .wait_for(WAIT, |e| e.kind == EventKind::SelfCheckFailed)
        .await
        .unwrap();
    assert!(
        e.message.contains("refused to swap in misbehaving 0.2.0")
            && e.message.contains("`check` failed"),
        "{}",
        e.message
    );
    assert!(e.message.contains("still serving 0.1.0"), "{}", e.message);
    agent
        .wait_for(WAIT, |e| e.kind == EventKind::StoreRolledBack)
        .await
        .expect("store rolled back");
    assert_eq!(
        home.host()
            .store
            .get("misbehaving")
            .unwrap()
            .version
            .to_string(),
        "0.1.0"
    );
    let (adapter, result) = agent
        .slot("misbehaving")
        .unwrap()
        .write_encounter(snapshot("S1"))
        .await;
    assert!(result.is_ok());
    assert_eq!(adapter.manifest.version.to_string(), "0.1.0");
    assert!(agent.events().iter().all(|e| e.kind != EventKind::Swapped));
    agent.stop().await;
}

// Revoking the publisher's key while the agent runs takes its adapter out of service at
// once, with a message naming the key and the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_the_publisher_stops_the_running_adapter() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let home = TestHome::new(&relay_config(&sandbox.url(), ""));
    home.install("misbehaving").await;
    let agent = Agent::start(home.host(), options()).await.unwrap();
    assert!(agent.slot("misbehaving").is_some());
    let key = home.key.public().to_hex();
    let (code, _, err) = home.cli(&["trust", "revoke", &key, "--reason", "key leaked"]);
    assert_eq!(code, 0, "{err}");
    let e = agent
        .wait_for(WAIT, |e| e.kind == EventKind::Removed)
        .await
        .unwrap();
    assert!(
        e.message.contains("stopped serving misbehaving 0.1.0")
            && e.message.contains("was revoked (key leaked)"),
        "{}",
        e.message
    );
    assert!(agent.slot("misbehaving").is_none());
    agent.stop().await;
}

// The agent pulls from a registry: a tampered package is refused by name and 0.1.0 keeps
// serving; once the publisher's real package is back, the next poll verifies it and
// swaps it in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_pulls_verifies_and_refuses_tampering() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let home = TestHome::new(&relay_config(&sandbox.url(), ""));
    let reg = TestRegistry::new();
    reg.publish(&home.package("misbehaving").await);
    let (code, _, err) = home.cli(&["registry", "add", &reg.path(), "--name", "acme"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = home.cli(&["install", "misbehaving"]);
    assert_eq!(code, 0, "{err}");
    let agent = Agent::start(home.host(), options()).await.unwrap();

    reg.publish(&home.package("misbehaving-0.2.0").await);
    let path = reg.file("packages/misbehaving/misbehaving-0.2.0.ehrpkg");
    let good = std::fs::read(&path).unwrap();
    let mut bad = good.clone();
    let n = bad.len() / 2;
    bad[n] ^= 0x80;
    std::fs::write(&path, &bad).unwrap();
    agent.poll_now();
    let e = agent
        .wait_for(WAIT, |e| e.kind == EventKind::UpdateRefused)
        .await
        .unwrap();
    assert!(
        e.message.contains("does not match the signed index")
            && e.message.contains("still serving 0.1.0"),
        "{}",
        e.message
    );
    assert_eq!(serving(&agent), "0.1.0");
    assert_eq!(
        home.host()
            .store
            .get("misbehaving")
            .unwrap()
            .version
            .to_string(),
        "0.1.0"
    );

    std::fs::write(&path, &good).unwrap();
    agent.poll_now();
    let e = agent
        .wait_for(WAIT, |e| e.kind == EventKind::Swapped)
        .await
        .unwrap();
    assert!(
        e.message.contains("now serving misbehaving 0.2.0"),
        "{}",
        e.message
    );
    assert!(agent
        .events()
        .iter()
        .any(|e| e.kind == EventKind::UpdateInstalled
            && e.message
                .contains("pulled misbehaving 0.2.0 from registry `acme`")));
    agent.stop().await;
}

// A running agent that has seen index version 3 refuses the older version 2 (rollback)
// and then a newer but expired index (freeze), each by name, and keeps serving 0.2.0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_refuses_rolled_back_and_expired_indexes() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let home = TestHome::new(&relay_config(&sandbox.url(), ""));
    let reg = TestRegistry::new();
    reg.publish(&home.package("misbehaving").await);
    assert_eq!(
        home.cli(&["registry", "add", &reg.path(), "--name", "acme"])
            .0,
        0
    );
    assert_eq!(home.cli(&["install", "misbehaving"]).0, 0);
    let agent = Agent::start(home.host(), options()).await.unwrap();
    let old_index = std::fs::read(reg.file("index.json")).unwrap();
    reg.publish(&home.package("misbehaving-0.2.0").await);
    agent.poll_now();
    agent
        .wait_for(WAIT, |e| e.kind == EventKind::Swapped)
        .await
        .expect("0.2.0 swapped in");

    std::fs::write(reg.file("index.json"), &old_index).unwrap();
    agent.poll_now();
    let e = agent
        .wait_for(WAIT, |e| e.kind == EventKind::RegistryRefused)
        .await
        .unwrap();
    assert!(e.message.contains("registry `acme`: refused: registry `acme` served index version 2, older than version 3"), "{}", e.message);
    assert_eq!(serving(&agent), "0.2.0");

    let mut index = reg.reg.index().unwrap();
    index.version = 4;
    index.expires = "2021-06-01T00:00:00Z".into();
    reg.reg.write_index(&index, &[&reg.key]).unwrap();
    agent.poll_now();
    let e = agent
        .wait_for(WAIT, |e| {
            e.kind == EventKind::RegistryRefused && e.message.contains("expired")
        })
        .await
        .unwrap();
    assert!(
        e.message.contains("serves an expired index version 4"),
        "{}",
        e.message
    );
    assert_eq!(serving(&agent), "0.2.0");
    assert_eq!(
        home.host()
            .store
            .get("misbehaving")
            .unwrap()
            .version
            .to_string(),
        "0.2.0"
    );
    agent.stop().await;
}

/// The agent process, stopped (by its own pid) even when the test fails.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until the running agent's status file says it serves `version`.
fn wait_for_status(home: &TestHome, version: &str) {
    let until = Instant::now() + WAIT;
    let path = home.dir.path().join("agent-status.json");
    loop {
        let serving = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|s| {
                s["serving"]["misbehaving"]["version"]
                    .as_str()
                    .map(str::to_string)
            });
        if serving.as_deref() == Some(version) {
            return;
        }
        assert!(
            Instant::now() < until,
            "the agent never served {version} (status: {serving:?})"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

// `ehr-host run` as a process: it serves the installed version, pulls 0.2.0 from the
// registry on its own poll and swaps it in; `ehr-host rollback` while it runs puts 0.1.0
// back into service, and the agent does not pull the version rolled back from again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_pulls_updates_and_follows_rollback() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let home = TestHome::new(&relay_config(&sandbox.url(), ""));
    let reg = TestRegistry::new();
    reg.publish(&home.package("misbehaving").await);
    assert_eq!(
        home.cli(&["registry", "add", &reg.path(), "--name", "acme"])
            .0,
        0
    );
    assert_eq!(home.cli(&["install", "misbehaving"]).0, 0);

    let log = home.dir.path().join("agent.log");
    let mut child = KillOnDrop(
        std::process::Command::new(ehr_e2e::ehr_host_bin())
            .args([
                "run",
                "--poll-interval",
                "200ms",
                "--watch-interval",
                "50ms",
            ])
            .env("EHR_HOST_HOME", home.dir.path())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(home.dir.path().join("agent.err")).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_for_status(&home, "0.1.0");
    reg.publish(&home.package("misbehaving-0.2.0").await);
    wait_for_status(&home, "0.2.0");
    let (code, out, err) = home.cli(&["rollback", "misbehaving"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("rolled misbehaving back from 0.2.0 to 0.1.0"),
        "{out}"
    );
    wait_for_status(&home, "0.1.0");
    // Several polls later the agent still serves 0.1.0.
    std::thread::sleep(Duration::from_millis(800));
    wait_for_status(&home, "0.1.0");
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    let out = std::fs::read_to_string(&log).unwrap();
    for needle in [
        "serving misbehaving 0.1.0",
        "pulled misbehaving 0.2.0 from registry `acme`",
        "now serving misbehaving 0.2.0 (was 0.1.0)",
        "now serving misbehaving 0.1.0 (was 0.2.0)",
        "not installing misbehaving 0.2.0 again: 0.2.0 was rolled back from",
    ] {
        assert!(
            out.contains(needle),
            "`{needle}` missing from the agent's output:\n{out}"
        );
    }
}
