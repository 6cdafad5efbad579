//! The agent's own read-only page on its loopback job API, from a real `ehr-host run`
//! paired with a real hub: `ehr-host status` links to it; it shows the tray colour and
//! reason, the adapter with its version, and the jobs the agent wrote; it refuses a
//! request addressed to any other name than the loopback one (DNS rebinding).

use ehr_e2e::hub::{cloud_snapshot, AgentProc, HubProc};
use ehr_e2e::TestHome;
use ehr_sandbox::{Sandbox, SandboxConfig};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_page_shows_status_adapters_and_jobs() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let hub = HubProc::start(TestHome::new(""), None, &[]);
    hub.practice("east");
    let home = TestHome::new(&ehr_e2e::revolution_config(
        &url,
        &ehr_e2e::bearer(&url, "sandbox-token"),
    ));
    home.install("revolution").await;
    let mut agent = AgentProc::new(home);
    let (c, out, err) = agent.pair(&hub, &hub.pair_code("east", "15m"));
    assert_eq!(c, 0, "{out}{err}");
    agent.start();
    agent
        .wait_status(Duration::from_secs(30), |code, _| code == 0)
        .await;

    let (_, out, _) = agent.home.cli(&["status"]);
    let page = out
        .lines()
        .find_map(|l| l.strip_prefix("Details: open "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("`ehr-host status` links to the page: {out}"))
        .to_string();
    assert!(
        page.starts_with("http://127.0.0.1:") && page.ends_with('/'),
        "{page}"
    );

    // A job through the agent's own job API, written into the sandbox.
    let token = std::fs::read_to_string(agent.home.dir.path().join("api.token")).unwrap();
    let http = reqwest::Client::new();
    let body =
        serde_json::json!({"ehr": "revolution", "snapshot": cloud_snapshot("J-PAGE-1", "page")});
    let r = http
        .post(format!("{page}v1/jobs"))
        .bearer_auth(token.trim())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let html = loop {
        let html = http.get(&page).send().await.unwrap().text().await.unwrap();
        if html.contains("J-PAGE-1") && html.contains("result green") {
            break html;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the job did not show as written: {html}\n{}",
            agent.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        html.contains("id=\"tray\"") && html.contains("Tray: green"),
        "{html}"
    );
    assert!(
        html.contains("revolution 0.1.0"),
        "the adapter and its version: {html}"
    );
    assert!(html.contains("east"), "the practice is shown: {html}");
    assert!(html.contains("width=device-width"), "readable on a phone");

    // Addressed to another name (a DNS name pointed at 127.0.0.1): refused.
    let r = http
        .get(&page)
        .header("host", "evil.example:80")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("this computer only"));
}
