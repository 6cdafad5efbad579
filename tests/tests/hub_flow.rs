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
    let status = agent.wait_status(Duration::from_secs(30), |code, _| code == 0).await;
    assert_eq!(status["status"], "Connected");
    assert_eq!(status["tray"]["colour"], "green");

    let api = hub.api(&key);
    let (s, v) = api.submit("crystalpm", &local_snapshot("J-HUB-1", "first note via the hub")).await;
    assert_eq!(s, 201, "{v}");
    let done = api.settled("J-HUB-1", Duration::from_secs(60)).await;
    assert_eq!(done["job"]["status"], "succeeded_with_warnings", "{done}\n{}\n{}", hub.log(), agent.log());
    let fields = done["report"]["fields"].as_array().unwrap();
    assert!(fields.iter().any(|f| f["field"] == "iop.od" && f["status"] == "written"), "{done}");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM doctora_jobs WHERE job_id = 'J-HUB-1'"), "1");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM ehr_notes WHERE note_text LIKE 'first note via the hub%'"), "1");

    let agents = hub.agents();
    assert_eq!(agents.len(), 1);
    assert_eq!(agents[0]["state"], "connected", "{agents:?}");
    assert_eq!(agents[0]["adapters"][0]["id"], "crystalpm");
    assert_eq!(agents[0]["adapters"][0]["ehr"]["state"], "connected");
}
