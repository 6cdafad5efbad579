//! Metrics, alerts and the support bundle, with real processes: a hub writing the
//! RevolutionEHR sandbox while the sandbox answers 503 for a while opens ONE alert, and
//! closes it once after recovery; a webhook receiver gets exactly one signed `opened`
//! and one signed `resolved`; `/metrics` of the hub and of an agent parse with a real
//! exposition parser and count the jobs run; the support bundle holds no secret and no
//! clinical text.

use ehr_e2e::hub::{cloud_snapshot, HubProc};
use ehr_e2e::signals::{parse_metrics, total, Receiver};
use ehr_e2e::{bearer, ehr_host_bin, revolution_config, TempDir, TestHome};
use ehr_sandbox::{Fault, FaultMode, Sandbox, SandboxConfig};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "webhook-secret-0123456789";

/// Job `id` for RevolutionEHR encounter `encounter` (E5001, E5004 of patient P1001;
/// E5002 is another patient's) with `note`.
fn snapshot(id: &str, encounter: &str, note: &str) -> Value {
    let mut s = cloud_snapshot(id, note);
    s["encounter_id"] = encounter.into();
    if encounter == "E5004" {
        // A brief visit: the snapshot is scoped to the brief template.
        s["template"] = json!({"id": "T-BRIEF", "fields": [
            "chief_complaint", "hpi", "va.distance.cc.od", "va.distance.cc.os", "iop.od",
            "iop.os", "assessment", "plan"]});
    }
    s
}

/// Polls `f` every 200 ms until it returns Some, for at most `limit`.
async fn until<T>(limit: Duration, what: &str, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn admin(hub: &HubProc) -> (reqwest::Client, String) {
    let token = std::fs::read_to_string(hub.home.dir.path().join("admin.token")).unwrap();
    let http = ehr_host::link::client::http(Some(hub.fingerprint())).unwrap();
    (http, token.trim().to_string())
}

async fn get(http: &reqwest::Client, url: &str, token: &str) -> (u16, String) {
    let r = http.get(url).bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

// A burst of 503s from the EHR while two cloud jobs retry: one alert opens (fed by
// every 503, never one per attempt), the jobs succeed once the EHR recovers, the alert
// resolves once; the webhook gets exactly one `opened` and one `resolved`, both signed;
// the hub's metrics count the jobs, the 503s and the attempts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_503s_is_one_alert_opened_and_resolved_once() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let home = TestHome::new(&revolution_config(&url, &bearer(&url, "sandbox-token")));
    home.install("revolution").await;
    let hub = HubProc::start(home, None, &[]);
    let receiver = Receiver::start().await;
    let settings = hub.home.dir.path().join("alert-settings.json");
    std::fs::write(
        &settings,
        json!({
            "server_error_quiet_seconds": 20,
            "webhooks": [{"url": receiver.url, "secret": SECRET}],
        })
        .to_string(),
    )
    .unwrap();
    let (c, out, err) = hub.cli(&["alerts", "settings", "--file", settings.to_str().unwrap()]);
    assert_eq!(c, 0, "{out}{err}");
    hub.practice("east");
    let api = hub.api(&hub.api_key("east"));
    let (http, token) = admin(&hub);

    // The EHR fails its next four requests.
    sandbox.set_fault(Fault::new(FaultMode::Unavailable).times(4));
    for (id, encounter) in [("J-503-1", "E5001"), ("J-503-2", "E5004")] {
        let (s, v) = api
            .submit("revolution", &snapshot(id, encounter, "signals note"))
            .await;
        assert_eq!(s, 201, "{v}");
    }
    for id in ["J-503-1", "J-503-2"] {
        let done = api.settled(id, Duration::from_secs(120)).await;
        let status = done["job"]["status"].as_str().unwrap();
        assert!(status.starts_with("succeeded"), "{done}\n{}", hub.log());
    }
    let alerts_url = format!("{}/api/v1/alerts?all=true", hub.url());
    let resolved: Vec<Value> = until(
        Duration::from_secs(30),
        "the alert to resolve",
        async || {
            let (s, body) = get(&http, &alerts_url, &token).await;
            assert_eq!(s, 200, "{body}");
            let list: Vec<Value> = serde_json::from_str(&body).unwrap();
            let done = list.iter().all(|a| !a["resolved_ms"].is_null()) && !list.is_empty();
            done.then_some(list)
        },
    )
    .await;
    let five_xx: Vec<&Value> = resolved
        .iter()
        .filter(|a| a["kind"] == "ehr_server_error")
        .collect();
    assert_eq!(five_xx.len(), 1, "one incident, one alert: {resolved:?}");
    assert_eq!(five_xx[0]["subject"], "revolution");
    assert_eq!(five_xx[0]["count"], 4, "every 503 fed the same alert");
    assert_eq!(five_xx[0]["needs_attention"], false);

    // Exactly one opened and one resolved delivery, signed with the shared secret.
    let got = until(Duration::from_secs(30), "two deliveries", async || {
        let got = receiver.received();
        (got.len() >= 2).then_some(got)
    })
    .await;
    let events: Vec<String> = got
        .iter()
        .map(|r| r.json()["event"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(events, ["opened", "resolved"], "{got:?}");
    for r in &got {
        assert!(r.signed_with(SECRET), "bad signature: {r:?}");
        assert!(!r.signed_with("another-secret-0123456"));
        assert_eq!(r.json()["alert"]["id"], five_xx[0]["id"]);
    }

    // Metrics: refused without the token; with it they parse and count what happened.
    let metrics_url = format!("{}/metrics", hub.url());
    assert_eq!(get(&http, &metrics_url, "wrong").await.0, 401);
    let (s, text) = get(&http, &metrics_url, &token).await;
    assert_eq!(s, 200);
    let m = parse_metrics(&text);
    let ehr = [("ehr", "revolution")];
    assert_eq!(total(&m, "ehr_host_jobs_total", &ehr), 2.0, "{text}");
    assert_eq!(
        total(
            &m,
            "ehr_host_ehr_responses_total",
            &[("adapter", "revolution"), ("code", "503")]
        ),
        4.0,
        "{text}"
    );
    let failed = total(
        &m,
        "ehr_host_job_attempts_total",
        &[("ehr", "revolution"), ("result", "failure")],
    );
    assert!(failed >= 1.0, "the 503s failed attempts: {text}");
    assert_eq!(
        total(
            &m,
            "ehr_host_job_attempts_total",
            &[("ehr", "revolution"), ("result", "success")]
        ),
        2.0
    );
    assert_eq!(
        total(&m, "ehr_host_job_errors_total", &[("kind", "ehr_internal")]),
        failed
    );
    assert_eq!(total(&m, "ehr_host_job_latency_seconds_count", &ehr), 2.0);
    assert_eq!(
        total(
            &m,
            "ehr_host_encounter_checks_total",
            &[("result", "match")]
        ),
        2.0
    );
    let done = total(&m, "ehr_host_queue_jobs", &[("status", "succeeded")])
        + total(
            &m,
            "ehr_host_queue_jobs",
            &[("status", "succeeded_with_warnings")],
        );
    assert_eq!(done, 2.0, "{text}");
    assert_eq!(
        total(&m, "ehr_host_queue_jobs", &[("status", "pending")]),
        0.0
    );
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// An agent's `/metrics` on its loopback API parse and count its jobs, a wrong-patient
// refusal included; its support bundle holds the job ids but none of the planted
// secrets (bearer token, API token, an environment-held client secret) and no note text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_metrics_and_a_support_bundle_without_secrets() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let planted_token = "sandbox-token";
    let env_secret = "env-held-client-secret-777";
    let home = TestHome::new(&revolution_config(&url, &bearer(&url, planted_token)));
    home.install("revolution").await;
    let agent = Running(
        Command::new(ehr_host_bin())
            .args(["run", "--jobs-interval", "100ms"])
            .env("EHR_HOST_HOME", home.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let addr_file = home.dir.path().join("api.addr");
    let api = until(Duration::from_secs(60), "api.addr", async || {
        std::fs::read_to_string(&addr_file).ok()
    })
    .await
    .trim()
    .to_string();
    let token = std::fs::read_to_string(home.dir.path().join("api.token"))
        .unwrap()
        .trim()
        .to_string();
    let http = reqwest::Client::new();
    let note = "Patient reports floaters in the left eye since Tuesday";
    let jobs = [
        ("J-AG-1", "E5001"),
        ("J-AG-2", "E5004"),
        ("J-AG-WRONG", "E5002"),
    ];
    for (id, encounter) in jobs {
        let snapshot = snapshot(id, encounter, note);
        let r = http
            .post(format!("{api}/v1/jobs"))
            .bearer_auth(&token)
            .json(&json!({"ehr": "revolution", "snapshot": snapshot}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    until(Duration::from_secs(60), "the jobs to settle", async || {
        let list: Vec<Value> = http
            .get(format!("{api}/v1/jobs"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        list.iter()
            .all(|j| !matches!(j["job"]["status"].as_str(), Some("pending" | "claimed")))
            .then_some(())
    })
    .await;
    let r = http.get(format!("{api}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let text = http
        .get(format!("{api}/metrics"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let m = parse_metrics(&text);
    let ehr = [("ehr", "revolution")];
    assert_eq!(total(&m, "ehr_host_jobs_total", &ehr), 3.0, "{text}");
    assert_eq!(
        total(
            &m,
            "ehr_host_encounter_checks_total",
            &[("result", "match")]
        ),
        2.0,
        "{text}"
    );
    assert_eq!(
        total(
            &m,
            "ehr_host_encounter_checks_total",
            &[("result", "wrong_patient")]
        ),
        1.0,
        "{text}"
    );
    assert_eq!(
        total(&m, "ehr_host_adapter_info", &[("adapter", "revolution")]),
        1.0
    );
    assert_eq!(
        total(&m, "ehr_host_queue_jobs", &[("status", "failed")]),
        1.0
    );

    // More secrets, of the kinds a practice's configuration holds, planted once the agent
    // stopped (the bundle reads the file as it is).
    drop(agent);
    let config = home.dir.path().join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[planted.database]\nurl = \"mysql://scribe:url-password-42@10.0.0.5/ehr\"\npassword = \"plain-db-password-9\"\nclient_secret_env = \"SIGNALS_TEST_SECRET\"\n");
    std::fs::write(&config, text).unwrap();
    let out = TempDir::new("bundle");
    let file = out.path().join("bundle.json");
    let o = Command::new(ehr_host_bin())
        .args(["support-bundle", "--out", file.to_str().unwrap()])
        .env("EHR_HOST_HOME", home.dir.path())
        .env("SIGNALS_TEST_SECRET", env_secret)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(&file).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let secrets = [
        planted_token,
        token.as_str(),
        "url-password-42",
        "plain-db-password-9",
        env_secret,
    ];
    for secret in secrets {
        assert!(
            !text.contains(secret),
            "`{secret}` is in the bundle:\n{text}"
        );
    }
    assert!(
        !text.contains("floaters"),
        "clinical text in the bundle:\n{text}"
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    let ids: Vec<&str> = v["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    for id in ["J-AG-1", "J-AG-2", "J-AG-WRONG"] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    let wrong = v["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == "J-AG-WRONG")
        .unwrap();
    assert_eq!(wrong["error"]["kind"], "wrong_patient", "{wrong}");
    assert_eq!(v["adapters"][0]["id"], "revolution");
    assert!(
        v["version"]
            .as_str()
            .is_some_and(|s| semver::Version::parse(s).is_ok()),
        "{v}"
    );
    assert!(v["config"]["adapters"]["revolution"].is_object(), "{v}");
}
