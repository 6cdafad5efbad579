//! The fault suite's cases, one function per failure class, each run against both cloud
//! EHRs by the one suite `tests/tests/faults.rs`.
//!
//! Every case drives the real built adapter through the real `ehr-host` binary into one
//! sandbox fault and checks what users and the job system see: the exit code (4 needs a
//! person, 5 retryable, 6 terminal), the typed error kind and class from `--json`, the
//! seed's advice in the human rendering, and in the sandbox that nothing was written (or
//! nothing twice). No case measures time: slow replies are met with short configured
//! timeouts and the assertion is on the outcome.
//!
//! The cases are grouped by where the failure comes from: [`session`] (credentials,
//! login, permissions), [`transport`] (timeouts, rate limits, 5xx, resets, DNS),
//! [`chart`] (what the EHR holds: template, patient, lock, text limits, idempotency),
//! [`landed`] (the EHR's state changing after a write landed; brief templates).

mod chart;
mod landed;
mod session;
mod transport;

pub use chart::*;
pub use landed::*;
pub use session::*;
pub use transport::*;

use crate::cloud::{self, Auth, Target};
use crate::{TempDir, TestHome};
use ehr_sandbox::{Fault, Sandbox};
use serde_json::Value;

/// What one `ehr-host write` produced, run once with `--json` and once for people.
#[derive(Debug)]
pub struct Run {
    /// Exit code of the `--json` run.
    pub code: i32,
    /// The `--json` report.
    pub report: Value,
    /// Exit code of the human run.
    pub human_code: i32,
    /// What the human run printed (stdout and stderr).
    pub human: String,
}

/// Runs `ehr-host write` for `snapshot`, with `--json` and then without.
pub fn write(home: &TestHome, adapter: &str, snapshot: &Value) -> Run {
    let (code, report) = write_json(home, adapter, snapshot);
    let dir = TempDir::new("snap");
    let path = dir.path().join("snapshot.json");
    std::fs::write(&path, serde_json::to_vec(snapshot).unwrap()).unwrap();
    let (human_code, out, err) = home.cli(&["write", adapter, path.to_str().unwrap()]);
    Run {
        code,
        report,
        human_code,
        human: format!("{out}{err}"),
    }
}

/// Runs `ehr-host write --json` once; returns the exit code and the report.
pub fn write_json(home: &TestHome, adapter: &str, snapshot: &Value) -> (i32, Value) {
    let dir = TempDir::new("snap");
    let path = dir.path().join("snapshot.json");
    std::fs::write(&path, serde_json::to_vec(snapshot).unwrap()).unwrap();
    let (code, out, err) = home.cli(&["write", adapter, path.to_str().unwrap(), "--json"]);
    let report = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("write --json printed no report ({e}): {out}\n{err}"));
    (code, report)
}

/// Asserts a failed run: exit code, error kind and class, and the words users must see
/// in both the JSON advice and the human rendering.
pub fn expect_failure(run: &Run, code: i32, kind: &str, class: &str, words: &[&str]) {
    let e = &run.report["error"];
    assert_eq!(run.code, code, "exit code; report: {:#}", run.report);
    assert_eq!(run.human_code, code, "human exit code: {}", run.human);
    assert_eq!(run.report["outcome"], "failed", "{:#}", run.report);
    assert_eq!(e["kind"], kind, "{:#}", run.report);
    assert_eq!(e["class"], class, "{:#}", run.report);
    let title = e["title"].as_str().unwrap();
    assert!(
        run.human.contains(title),
        "human output lacks `{title}`: {}",
        run.human
    );
    for w in words {
        let in_json = ["title", "advice", "detail"]
            .iter()
            .any(|k| e[*k].as_str().unwrap().contains(w));
        assert!(in_json, "report lacks `{w}`: {:#}", run.report);
        assert!(
            run.human.contains(w),
            "human output lacks `{w}`: {}",
            run.human
        );
    }
}

/// Asserts that no write was applied to any encounter.
pub fn expect_nothing_written(sandbox: &Sandbox) {
    let state = sandbox.state();
    for (id, e) in &state.encounters {
        assert_eq!(e.applied_writes, 0, "encounter {id} was written: {e:?}");
    }
}

/// A sandbox with `fault` set, and the run of the fixture's job against it.
pub(crate) async fn fault_case(target: &Target, fault: Fault) -> (Sandbox, Run) {
    let (sandbox, home) = cloud::setup(target, Auth::Bearer, None).await;
    sandbox.set_fault(fault);
    let run = write(&home, target.adapter, &cloud::snapshot(target, |_| {}));
    (sandbox, run)
}
