//! Probation that survives restarts, with real processes: `ehr-host run` writing queued
//! jobs through misbehaving, whose 0.2.0 passes its self-check but panics on every write.
//! The agent is killed with SIGKILL at each moment of 0.2.0's life and started again; a
//! broken version must never write a job unguarded, and the store, `ehr-host list` and
//! the agent's status must name the same version every time.

mod reload_common;

use ehr_sandbox::{Sandbox, SandboxConfig};
use reload_common::*;

const PROBATION: [&str; 4] = ["--probation-calls", "20", "--probation-errors", "3"];

fn succeeded(status: &str) -> bool {
    status.starts_with("succeeded")
}

/// How often the sandbox saw job `id`'s write (misbehaving's relay GET).
fn writes(sandbox: &Sandbox, id: &str) -> usize {
    let path = format!("/api/v1/patients/{id}");
    sandbox
        .state()
        .requests
        .iter()
        .filter(|r| r.path == path)
        .count()
}

// Killed right after 0.2.0 was installed, after its first failed job and after its
// second, the agent resumes 0.2.0's probation each time with the errors counted so far:
// the third failure rolls it back, exactly three jobs failed on it in all, and every
// later job is written once by 0.1.0. Killed after the rollback, it comes back on 0.1.0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_dash_nine_during_probation_resumes_it() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let home = ehr_e2e::TestHome::new(&relay_config(
        &sandbox.url(),
        "\"mode@0.2.0\" = \"write-trap\"",
    ));
    home.install("misbehaving").await;
    let v2 = package_file(&home, "misbehaving-0.2.0").await;

    let agent = AgentProcess::start(&home, &PROBATION);
    all_agree(&home, "0.1.0");
    let (code, out, err) = home.cli(&["install", &v2]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("on probation"), "{out}");
    // Killed before it even looked at 0.2.0: the restarted agent finds it on probation.
    agent.kill_9();
    let agent = AgentProcess::start(&home, &PROBATION);
    let s = wait_status(&home, "0.2.0 on probation", |s| serving(s) == Some("0.2.0"));
    assert_eq!(adapter(&s)["probation"]["errors"], 0, "{s:#}");
    assert_eq!(adapter(&s)["probation"]["fallback"], "0.1.0", "{s:#}");

    let mut agent = agent;
    for (n, job) in ["F1", "F2"].iter().enumerate() {
        assert_eq!(run_job(&home, job), "failed");
        assert_eq!(
            listed(&home)["probation"]["errors"],
            n as u64 + 1,
            "recorded before the job ended"
        );
        agent.kill_9();
        agent = AgentProcess::start(&home, &PROBATION);
        let s = wait_status(&home, "0.2.0 on probation again", |s| {
            serving(s) == Some("0.2.0")
        });
        assert_eq!(
            adapter(&s)["probation"]["errors"],
            n as u64 + 1,
            "resumed: {s:#}"
        );
        assert_eq!(adapter(&s)["store_version"], "0.2.0");
    }
    last_straw(&home, "F3");
    all_agree(&home, "0.1.0");
    let rolled = &listed(&home)["rolled_back"][0];
    assert_eq!(rolled["version"], "0.2.0");
    assert!(
        rolled["reason"]
            .as_str()
            .unwrap()
            .contains("3 of its first 3 calls failed"),
        "{rolled}"
    );
    for job in ["OK1", "OK2", "OK3"] {
        assert!(succeeded(&run_job(&home, job)));
    }

    // Killed after the rollback: 0.1.0 serves, 0.2.0 is never tried again.
    let log = agent.kill_9();
    assert!(
        log.contains("rolled misbehaving back from 0.2.0 to 0.1.0 automatically"),
        "{log}"
    );
    let agent = AgentProcess::start(&home, &PROBATION);
    all_agree(&home, "0.1.0");
    assert!(succeeded(&run_job(&home, "OK4")));
    assert_eq!(
        adapter(&status(&home))["probation"],
        serde_json::Value::Null
    );
    let log = agent.kill_9();
    assert!(!log.contains("serving misbehaving 0.2.0"), "{log}");

    // The three jobs 0.2.0 failed were given back once after the rollback and written
    // by 0.1.0, exactly once each.
    for job in ["F1", "F2", "F3"] {
        given_back_and_written(&home, job);
        assert_eq!(
            writes(&sandbox, job),
            1,
            "{job} written exactly once, by 0.1.0"
        );
    }
    for job in ["OK1", "OK2", "OK3", "OK4"] {
        assert_eq!(
            writes(&sandbox, job),
            1,
            "{job} written exactly once by 0.1.0"
        );
    }
}

// In a running agent: 0.2.0 is rolled back after three failed jobs; installing it again
// is refused (exit 3) with the store unchanged and advice that pins nothing; with
// --retry-rolled-back it serves on probation again, fails again and is rolled back
// again. Store, list and status agree at every step, also after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_then_reinstall_in_a_running_agent() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let home = ehr_e2e::TestHome::new(&relay_config(
        &sandbox.url(),
        "\"mode@0.2.0\" = \"write-trap\"",
    ));
    home.install("misbehaving").await;
    let v2 = package_file(&home, "misbehaving-0.2.0").await;
    let agent = AgentProcess::start(&home, &PROBATION);
    all_agree(&home, "0.1.0");

    assert_eq!(home.cli(&["install", &v2]).0, 0);
    wait_status(&home, "0.2.0 swapped in", |s| serving(s) == Some("0.2.0"));
    for job in ["A1", "A2"] {
        assert_eq!(run_job(&home, job), "failed");
    }
    last_straw(&home, "A3");
    all_agree(&home, "0.1.0");
    for job in ["A1", "A2", "A3"] {
        given_back_and_written(&home, job);
    }

    let state = home.dir.path().join("adapters/misbehaving/state.json");
    let before = std::fs::read(&state).unwrap();
    let (code, _, err) = home.cli(&["install", &v2]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("misbehaving 0.2.0 was rolled back on") && err.contains("--retry-rolled-back"),
        "{err}"
    );
    assert!(
        !err.contains("@="),
        "no advice to pin the broken version: {err}"
    );
    assert_eq!(
        std::fs::read(&state).unwrap(),
        before,
        "refused: the store is unchanged"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    all_agree(&home, "0.1.0");

    let (code, out, err) = home.cli(&["install", &v2, "--retry-rolled-back"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("it is on probation again"), "{out}");
    let s = wait_status(&home, "0.2.0 on probation again", |s| {
        serving(s) == Some("0.2.0")
    });
    assert_eq!(adapter(&s)["probation"]["errors"], 0);
    assert_eq!(listed(&home)["version"], "0.2.0");
    for job in ["B1", "B2"] {
        assert_eq!(run_job(&home, job), "failed");
    }
    last_straw(&home, "B3");
    all_agree(&home, "0.1.0");
    for job in ["B1", "B2", "B3"] {
        given_back_and_written(&home, job);
    }
    assert!(succeeded(&run_job(&home, "B4")));

    let log = agent.kill_9();
    let rolled: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("automatically"))
        .collect();
    assert_eq!(rolled.len(), 2, "{log}");
    for line in &rolled {
        assert!(
            line.contains("`ehr-host rollback misbehaving --retry-rolled-back`"),
            "{line}"
        );
        assert!(!line.contains("@="), "{line}");
    }
    let _agent = AgentProcess::start(&home, &PROBATION);
    all_agree(&home, "0.1.0");
    assert_eq!(writes(&sandbox, "B4"), 1);
}
