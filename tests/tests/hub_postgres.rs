//! The hub on PostgreSQL, against a server the test starts: the hub store passes the
//! same conformance suite as SQLite, and two hub instances sharing one database serve
//! one set of practices: a job submitted through one instance reaches an agent linked to
//! the other, cloud jobs are written once by the two instances' workers together, and
//! one instance can die without the other losing anything.

use ehr_e2e::hub::{cloud_snapshot, crystalpm_home, local_snapshot, AgentProc, HubProc};
use ehr_e2e::mariadb::MariaDb;
use ehr_e2e::postgres::PostgresServer;
use ehr_e2e::{bearer, revolution_config, root, TempDir, TestHome};
use ehr_host::hub::store::{conformance, PostgresHubStore};
use ehr_sandbox::{Sandbox, SandboxConfig};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

static DB: AtomicU32 = AtomicU32::new(0);

// The PostgreSQL hub store passes the suite the SQLite store passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_store_conformance() {
    let server = PostgresServer::start();
    let server = &server;
    conformance::run_all(|| async move {
        let conn = server
            .fresh_database(&format!("hub_{}", DB.fetch_add(1, Ordering::Relaxed)))
            .await;
        PostgresHubStore::connect(&conn).await.unwrap()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hub_instances_share_one_database() {
    let pg = PostgresServer::start();
    let conn = pg.fresh_database("hubs").await;
    let db = MariaDb::start(&root().join("adapters/crystalpm/sql"));
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let shared = TempDir::new("hub-key");
    let key = shared
        .path()
        .join("jobs.key")
        .to_string_lossy()
        .into_owned();
    let args = ["--jobs-key", key.as_str()];
    let mut hubs = vec![];
    for _ in 0..2 {
        let home = TestHome::new(&revolution_config(&url, &bearer(&url, "sandbox-token")));
        home.install("revolution").await;
        hubs.push(HubProc::start(home, Some(&conn), &args));
    }
    // The operator works on either instance: both see the same store.
    hubs[0].practice("east");
    let api = hubs[0].api(&hubs[0].api_key("east"));
    let mut agent = AgentProc::new(crystalpm_home(&db.config_section("crystalpm")).await);
    let (c, out, err) = agent.pair(&hubs[1], &hubs[1].pair_code("east", "15m"));
    assert_eq!(c, 0, "{out}{err}");
    agent.start();
    agent
        .wait_status(Duration::from_secs(30), |code, _| code == 0)
        .await;
    assert_eq!(
        hubs[0].agents()[0]["state"],
        "connected",
        "instance 1 sees the agent linked to instance 2"
    );

    for i in 0..10 {
        let (s, v) = api
            .submit(
                "crystalpm",
                &local_snapshot(&format!("J-PG-{i}"), &format!("pg note {i}")),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        let (s, v) = api
            .submit(
                "revolution",
                &cloud_snapshot(&format!("J-PGC-{i}"), &format!("pg cloud {i}")),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    // One instance dies mid-run; the other carries on with its workers.
    tokio::time::sleep(Duration::from_millis(500)).await;
    hubs[0].kill();
    let other = hubs[1].api(&api.key);
    for i in 0..10 {
        for id in [format!("J-PG-{i}"), format!("J-PGC-{i}")] {
            let v = other.settled(&id, Duration::from_secs(90)).await;
            assert_eq!(v["job"]["status"], "succeeded_with_warnings", "{id}: {v}");
        }
    }
    assert_eq!(db.scalar("SELECT COUNT(*) FROM doctora_jobs"), "10");
    let notes = &sandbox.state().encounters["E5001"].notes;
    assert_eq!(
        notes.len(),
        10,
        "each cloud job written once by the two instances"
    );
    hubs[0].restart();
    let (s, list) = api
        .call(
            reqwest::Method::GET,
            "jobs?status=succeeded_with_warnings",
            None,
        )
        .await;
    assert_eq!(
        (s, list.as_array().unwrap().len()),
        (200, 20),
        "the restarted instance sees every result"
    );
}
