//! The agent process writing queued jobs: `ehr-host run` with the revolution adapter,
//! jobs submitted with `ehr-host jobs submit`, the RevolutionEHR sandbox receiving them.

use ehr_e2e::{bearer, ehr_host_bin, fixture, revolution_config, TempDir, TestHome};
use ehr_sandbox::{Sandbox, SandboxConfig};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn job_status(home: &TestHome, id: &str) -> String {
    let (_, out, _) = home.cli(&["jobs", "show", id, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    v["job"]["status"].as_str().unwrap_or("").to_string()
}

/// Waits (bounded) until every job has left pending/claimed; the statuses then.
fn settle(home: &TestHome, ids: &[&str]) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let statuses: Vec<String> = ids.iter().map(|id| job_status(home, id)).collect();
        let done = statuses
            .iter()
            .all(|s| !s.is_empty() && s != "pending" && s != "claimed");
        if done || Instant::now() > deadline {
            return statuses;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

// Jobs submitted while the agent runs are written once each, in the right encounters,
// and their per-field reports are kept; a wrong-patient job fails terminally with
// nothing written to the other patient's chart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_writes_submitted_jobs() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let home = TestHome::new(&revolution_config(&url, &bearer(&url, "sandbox-token")));
    home.install("revolution").await;
    let agent = Running(
        Command::new(ehr_host_bin())
            .args(["run", "--jobs-interval", "100ms", "--host-id", "agent-test"])
            .env("EHR_HOST_HOME", home.dir.path())
            .stdout(std::fs::File::create(home.dir.path().join("agent.out")).unwrap())
            .stderr(std::fs::File::create(home.dir.path().join("agent.err")).unwrap())
            .spawn()
            .unwrap(),
    );

    let dir = TempDir::new("agent-jobs");
    let base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap())
            .unwrap();
    let jobs = [("J-A", "E5001"), ("J-B", "E5004"), ("J-WRONG", "E5002")];
    for (id, encounter) in jobs {
        let mut s = base.clone();
        s["job_id"] = id.into();
        s["encounter_id"] = encounter.into();
        if encounter == "E5004" {
            // A brief visit: the scribe scoped the snapshot to the brief template.
            s["template"] = serde_json::json!({"id": "T-BRIEF", "fields": [
                "chief_complaint", "hpi", "va.distance.cc.od", "va.distance.cc.os", "iop.od", "iop.os", "assessment", "plan"]});
        }
        let path = dir.path().join(format!("{id}.json"));
        std::fs::write(&path, s.to_string()).unwrap();
        let (code, _, err) = home.cli(&["jobs", "submit", "revolution", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
    }
    let statuses = settle(&home, &["J-A", "J-B", "J-WRONG"]);
    let shown: Vec<String> = ["J-A", "J-B", "J-WRONG"]
        .iter()
        .map(|id| home.cli(&["jobs", "show", id]).1)
        .chain(
            ["agent.out", "agent.err"]
                .iter()
                .map(|f| std::fs::read_to_string(home.dir.path().join(f)).unwrap_or_default()),
        )
        .collect();
    assert_eq!(
        statuses,
        [
            "succeeded_with_warnings",
            "succeeded_with_warnings",
            "failed"
        ],
        "{shown:#?}"
    );

    let (_, out, _) = home.cli(&["jobs", "show", "J-WRONG", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["kind"], "wrong_patient");
    let (_, out, _) = home.cli(&["jobs", "show", "J-B"]);
    assert!(
        out.contains("skipped") && out.contains("outside template"),
        "{out}"
    );

    let state = sandbox.state();
    assert_eq!(state.encounters["E5001"].notes.len(), 1);
    assert_eq!(
        state.encounters["E5002"].applied_writes, 0,
        "the other patient's chart was touched"
    );
    drop(agent);
}

// The local job API of a running agent: refuses requests without the token, refuses an
// invalid snapshot naming the field (nothing accepted), accepts a job once, and shows it
// written with its report; a succeeded job cannot be retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_api_submits_and_shows() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let home = TestHome::new(&revolution_config(&url, &bearer(&url, "sandbox-token")));
    home.install("revolution").await;
    let _agent = Running(
        Command::new(ehr_host_bin())
            .args(["run", "--jobs-interval", "100ms"])
            .env("EHR_HOST_HOME", home.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let addr_file = home.dir.path().join("api.addr");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !addr_file.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let api = std::fs::read_to_string(&addr_file)
        .expect("the agent wrote api.addr")
        .trim()
        .to_string();
    let token = std::fs::read_to_string(home.dir.path().join("api.token"))
        .unwrap()
        .trim()
        .to_string();
    let http = reqwest::Client::new();
    let snapshot: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap())
            .unwrap();

    let r = http.get(format!("{api}/v1/jobs")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = http
        .get(format!("{api}/v1/jobs"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let mut bad = snapshot.clone();
    bad["fields"]["iop.od"] = "high".into();
    let r = http
        .post(format!("{api}/v1/jobs"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"ehr": "revolution", "snapshot": bad}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["details"][0]
            .as_str()
            .unwrap()
            .contains("fields.iop.od"),
        "{body}"
    );
    let list: serde_json::Value = http
        .get(format!("{api}/v1/jobs"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 0);

    let submit = serde_json::json!({"ehr": "revolution", "snapshot": snapshot});
    let r = http
        .post(format!("{api}/v1/jobs"))
        .bearer_auth(&token)
        .json(&submit)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = http
        .post(format!("{api}/v1/jobs"))
        .bearer_auth(&token)
        .json(&submit)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "a job id is accepted once");

    let id = "J-2026-11-21-0001";
    let deadline = Instant::now() + Duration::from_secs(60);
    let job = loop {
        let v: serde_json::Value = http
            .get(format!("{api}/v1/jobs/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if v["job"]["status"] != "pending" && v["job"]["status"] != "claimed"
            || Instant::now() > deadline
        {
            break v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(job["job"]["status"], "succeeded_with_warnings", "{job}");
    assert_eq!(job["report"]["encounter_id"], "E5001");
    let r = http
        .post(format!("{api}/v1/jobs/{id}/retry"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let r = http
        .get(format!("{api}/v1/jobs/nope"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(sandbox.state().encounters["E5001"].notes.len(), 1);
}
