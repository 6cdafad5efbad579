//! The whole flow of the user guides with real processes on loopback: a hub
//! (`ehr-host hub serve`), a practice's agent (`ehr-host run`, paired with a code) writing
//! CrystalPM on a MariaDB server of the test's own, the scribe platform's intake API, and
//! `ehr-host status` going green.

use ehr_e2e::hub::{crystalpm_home, local_snapshot, AgentProc, HubProc};
use ehr_e2e::mariadb::MariaDb;
use ehr_e2e::{root, TestHome};
use std::time::Duration;

// Send to EHR → hub → the practice's agent → CrystalPM: the job lands once, its per-field
// report comes back to the intake API, the hub shows the agent connected with its EHR,
// and the agent's status is green.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_job_lands_through_the_agent() {
    let db = MariaDb::start(&root().join("adapters/crystalpm/sql"));
    let hub = HubProc::start(TestHome::new(""), None, &[]);
    hub.practice("east");
    let key = hub.api_key("east");
    let code = hub.pair_code("east", "15m");
    let mut agent = AgentProc::new(crystalpm_home(&db.config_section("crystalpm")).await);
    let (c, out, err) = agent.pair(&hub, &code);
    assert_eq!(c, 0, "{out}{err}");
    assert!(out.contains("for practice east eye care"), "{out}");
    agent.start();
    let status = agent
        .wait_status(Duration::from_secs(30), |code, _| code == 0)
        .await;
    assert_eq!(status["status"], "Connected");
    assert_eq!(status["tray"]["colour"], "green");

    let api = hub.api(&key);
    let (s, v) = api
        .submit(
            "crystalpm",
            &local_snapshot("J-HUB-1", "first note via the hub"),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let done = api.settled("J-HUB-1", Duration::from_secs(60)).await;
    assert_eq!(
        done["job"]["status"],
        "succeeded_with_warnings",
        "{done}\n{}\n{}",
        hub.log(),
        agent.log()
    );
    let fields = done["report"]["fields"].as_array().unwrap();
    assert!(
        fields
            .iter()
            .any(|f| f["field"] == "iop.od" && f["status"] == "written"),
        "{done}"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM doctora_jobs WHERE job_id = 'J-HUB-1'"),
        "1"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM ehr_notes WHERE note_text LIKE 'first note via the hub%'"),
        "1"
    );

    let agents = hub.agents();
    assert_eq!(agents.len(), 1);
    assert_eq!(agents[0]["state"], "connected", "{agents:?}");
    assert_eq!(agents[0]["adapters"][0]["id"], "crystalpm");
    assert_eq!(agents[0]["adapters"][0]["ehr"]["state"], "connected");
}

/// A client speaking the link as the agent in `home` (its pairing and device key).
fn link_client(home: &TestHome) -> ehr_host::link::client::LinkClient {
    let h = home.home();
    let p = ehr_host::link::pairing::load(&h).unwrap().expect("paired");
    let key = ehr_host::link::device::load_or_create(&ehr_host::link::device::path(&h)).unwrap();
    let http = ehr_host::link::client::http(p.fingerprint).unwrap();
    ehr_host::link::client::LinkClient::new(http, &p.hub, &p.agent_id, key, "0.1.0")
}

// Two practices, each with its own agent and EHR (CrystalPM on MariaDB, OfficeMate on
// the TDS emulator), and cloud jobs (RevolutionEHR sandbox) written by the hub itself.
// Every job lands in its practice's EHR; neither practice's API key nor its agent can
// see or touch the other's jobs or agents; a job for an EHR a practice has no agent for
// waits instead of going to another practice's agent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_practices_and_the_cloud_stay_apart() {
    use ehr_e2e::hub::{cloud_snapshot, officemate_home};
    use ehr_e2e::iridium::Iridium;
    use ehr_sandbox::{Sandbox, SandboxConfig};
    let cpm = MariaDb::start(&root().join("adapters/crystalpm/sql"));
    let om = Iridium::start(&root().join("adapters/officemate/sql")).await;
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let hub_home = TestHome::new(&ehr_e2e::revolution_config(
        &url,
        &ehr_e2e::bearer(&url, "sandbox-token"),
    ));
    hub_home.install("revolution").await;
    let hub = HubProc::start(hub_home, None, &[]);
    for p in ["east", "west"] {
        hub.practice(p);
    }
    let (east, west) = (hub.api(&hub.api_key("east")), hub.api(&hub.api_key("west")));
    let mut a_east = AgentProc::new(crystalpm_home(&cpm.config_section("crystalpm")).await);
    let mut a_west = AgentProc::new(officemate_home(&om.config_section("officemate")).await);
    for (agent, practice) in [(&mut a_east, "east"), (&mut a_west, "west")] {
        let (c, out, err) = agent.pair(&hub, &hub.pair_code(practice, "15m"));
        assert_eq!(c, 0, "{out}{err}");
        agent.start();
    }
    for agent in [&a_east, &a_west] {
        agent
            .wait_status(Duration::from_secs(30), |code, _| code == 0)
            .await;
    }

    let mut jobs = vec![];
    for i in 0..3 {
        let (s, v) = east
            .submit(
                "crystalpm",
                &local_snapshot(&format!("J-E-{i}"), &format!("east note {i}")),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        let (s, v) = west
            .submit(
                "officemate",
                &local_snapshot(&format!("J-W-{i}"), &format!("west note {i}")),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        jobs.push((&east, format!("J-E-{i}")));
        jobs.push((&west, format!("J-W-{i}")));
    }
    let (s, v) = east
        .submit("revolution", &cloud_snapshot("J-CLOUD-1", "cloud note"))
        .await;
    assert_eq!(s, 201, "{v}");
    jobs.push((&east, "J-CLOUD-1".to_string()));
    // West has no CrystalPM agent: its CrystalPM job must wait, not go to east's agent.
    let (s, v) = west
        .submit(
            "crystalpm",
            &local_snapshot("J-W-CPM", "must not reach east"),
        )
        .await;
    assert_eq!(s, 201, "{v}");

    for (api, id) in &jobs {
        let v = api.settled(id, Duration::from_secs(90)).await;
        assert_eq!(
            v["job"]["status"],
            "succeeded_with_warnings",
            "{id}: {v}\n{}",
            hub.log()
        );
    }
    assert_eq!(cpm.scalar("SELECT COUNT(*) FROM doctora_jobs"), "3");
    assert_eq!(
        cpm.scalar("SELECT COUNT(*) FROM doctora_jobs WHERE job_id LIKE 'J-E-%'"),
        "3"
    );
    assert_eq!(om.scalar("SELECT COUNT(*) FROM dbo.DoctoraJobs").await, "3");
    assert_eq!(
        om.scalar("SELECT COUNT(*) FROM dbo.DoctoraJobs WHERE JobID LIKE 'J-W-%'")
            .await,
        "3"
    );
    let notes = &sandbox.state().encounters["E5001"].notes;
    assert_eq!(notes.len(), 1, "the cloud job is written once by the hub");

    // The practice without a CrystalPM agent: its job is still waiting, untouched.
    let waiting = west.job("J-W-CPM").await;
    assert_eq!(
        (
            waiting["job"]["status"].as_str(),
            waiting["job"]["attempts"].as_u64()
        ),
        (Some("pending"), Some(0)),
        "{waiting}"
    );

    // API keys: each practice sees its own jobs and agents only.
    let (s, _) = west.call(reqwest::Method::GET, "jobs/J-E-0", None).await;
    assert_eq!(s, 404);
    for action in ["retry", "cancel"] {
        let (s, _) = west
            .call(reqwest::Method::POST, &format!("jobs/J-E-0/{action}"), None)
            .await;
        assert_eq!(s, 404, "{action}");
    }
    let (_, list) = west.call(reqwest::Method::GET, "jobs", None).await;
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job"]["id"].as_str().unwrap())
        .collect();
    assert!(ids.iter().all(|id| id.starts_with("J-W-")), "{ids:?}");
    let (_, agents) = east.call(reqwest::Method::GET, "agents", None).await;
    let agents = agents.as_array().unwrap();
    assert_eq!(agents.len(), 1);
    assert_eq!(agents[0]["practice_id"], "east");
    assert_eq!(agents[0]["state"], "connected");

    // Agents: east's agent cannot renew or settle west's job over the link.
    let client = link_client(&a_east.home);
    for e in [
        client.renew("J-W-CPM", None).await.unwrap_err(),
        client
            .result(
                "J-W-0",
                &ehr_host::link::protocol::JobResult {
                    outcome: ehr_host::link::protocol::LinkOutcome::Cancelled,
                    report: None,
                    error: None,
                    attempt: None,
                },
            )
            .await
            .unwrap_err(),
    ] {
        assert_eq!(
            e.kind(),
            Some(ehr_host::link::protocol::LinkErrorKind::NotFound),
            "{e}"
        );
    }
    let (s, _) = west
        .call(reqwest::Method::POST, "jobs/J-W-CPM/cancel", None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        cpm.scalar("SELECT COUNT(*) FROM doctora_jobs WHERE job_id = 'J-W-CPM'"),
        "0"
    );

    // The hub logged what happened (ids, EHRs, practices), never what was in a chart.
    let log = hub.log();
    assert!(
        log.contains("J-E-0") && log.contains("job leased to agent"),
        "{log}"
    );
    for clinical in [
        "Okafor",
        "Margaret",
        "1958-03-14",
        "east note",
        "west note",
        "cloud note",
        "halos",
        "cataract",
    ] {
        assert!(
            !log.contains(clinical),
            "`{clinical}` in the hub's log:\n{log}"
        );
    }
}

// While the practice's EHR server is down the agent stays connected but shows "Local EHR
// server unreachable" (yellow, with the guide's advice), and so does the hub; a job that
// cannot be written is cancelled from the intake API and the cancel reaches the agent
// over the link; once the server is back the status is green again. A terminal failure
// (wrong patient) comes back with its advice, and a person's retry at the hub reaches the
// agent's failed copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ehr_down_cancel_and_retry_through_the_link() {
    let mut db = MariaDb::start(&root().join("adapters/crystalpm/sql"));
    let hub = HubProc::start(TestHome::new(""), None, &[]);
    hub.practice("east");
    let api = hub.api(&hub.api_key("east"));
    let mut agent = AgentProc::new(crystalpm_home(&db.config_section("crystalpm")).await);
    let (c, out, err) = agent.pair(&hub, &hub.pair_code("east", "15m"));
    assert_eq!(c, 0, "{out}{err}");
    agent.start();
    agent
        .wait_status(Duration::from_secs(30), |code, _| code == 0)
        .await;

    db.kill();
    let s = agent
        .wait_status(Duration::from_secs(30), |_, v| {
            v["tray"]["colour"] == "yellow"
                && v["report"]["adapters"][0]["ehr"]["state"] == "unreachable"
        })
        .await;
    assert_eq!(s["status"], "Connected", "{s}");
    assert!(
        s["tray"]["reason"]
            .as_str()
            .unwrap()
            .contains("Confirm the EHR software is running"),
        "{s}"
    );
    let (code, _) = agent.status();
    assert_ne!(code, 0, "not green, so not exit 0");
    let (_, text, _) = agent.home.cli(&["status"]);
    assert!(text.contains("EHR: Unreachable"), "{text}");
    let agents = hub.agents();
    assert_eq!(
        agents[0]["adapters"][0]["ehr"]["state"], "unreachable",
        "{agents:?}"
    );

    let (st, v) = api
        .submit(
            "crystalpm",
            &local_snapshot("J-DOWN", "while the server is down"),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    // Handed to the agent, which cannot write it and retries by itself.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while api.job("J-DOWN").await["job"]["status"] != "claimed" {
        assert!(
            std::time::Instant::now() < deadline,
            "never handed out: {}",
            hub.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (st, v) = api
        .call(reqwest::Method::POST, "jobs/J-DOWN/cancel", None)
        .await;
    assert_eq!((st, v["outcome"].as_str()), (202, Some("requested")), "{v}");
    let done = api.settled("J-DOWN", Duration::from_secs(30)).await;
    assert_eq!(
        done["job"]["status"],
        "cancelled",
        "{done}\n{}",
        agent.log()
    );

    db.restart();
    agent
        .wait_status(Duration::from_secs(30), |code, _| code == 0)
        .await;
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM doctora_jobs"),
        "0",
        "the cancelled job wrote nothing"
    );

    let mut wrong = local_snapshot("J-WRONG", "wrong chart");
    wrong["patient"]["date_of_birth"] = "1960-01-01".into();
    let (st, v) = api.submit("crystalpm", &wrong).await;
    assert_eq!(st, 201, "{v}");
    let failed = api.settled("J-WRONG", Duration::from_secs(60)).await;
    assert_eq!(failed["job"]["status"], "failed", "{failed}");
    assert_eq!(failed["error"]["kind"], "wrong_patient", "{failed}");
    let (st, _) = api
        .call(reqwest::Method::POST, "jobs/J-WRONG/retry", None)
        .await;
    assert_eq!(st, 204);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let v = api.job("J-WRONG").await;
        if v["job"]["status"] == "failed" && v["job"]["attempts"] == 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the retry never came back: {v}\n{}",
            agent.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        agent.log().contains("retried at the hub by a person"),
        "{}",
        agent.log()
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM doctora_jobs"),
        "0",
        "nothing went into the wrong chart"
    );
    // A failed job waits for a person: yellow, with what to do.
    let s = agent
        .wait_status(Duration::from_secs(10), |_, v| {
            v["report"]["queue"]["failed"] == 1
        })
        .await;
    assert_eq!(s["tray"]["colour"], "yellow", "{s}");
}
