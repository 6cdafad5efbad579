//! Schedule sync with real processes: a hub, a paired agent reading CrystalPM on a
//! MariaDB server of the test's own. The agent syncs the schedule and the hub shows it
//! with every reason; adding, moving and cancelling appointments in the EHR sends exactly
//! those changes; with the hub down (and the agent restarted meanwhile) the changes wait
//! in the agent's outbox and reach the hub once, after it is back.

use ehr_e2e::hub::{crystalpm_home, AgentProc, HubProc};
use ehr_e2e::mariadb::MariaDb;
use ehr_e2e::{root, TestHome};
use serde_json::Value;
use std::time::{Duration, Instant};

/// SQL for a day `days` from today (UTC, the practice's zone in these tests) at `time`.
fn day(days: i64, time: &str) -> String {
    format!("TIMESTAMP(UTC_DATE() + INTERVAL {days} DAY, '{time}')")
}

/// The seeded EHR with only past appointments left: the seed's rule cases (dated around
/// 2026-12, checked by `schedule_cases.rs` at a fixed time) would otherwise fall inside
/// this test's sync window depending on the day it runs. This test counts only its own.
fn start_db() -> MariaDb {
    let db = MariaDb::start(&root().join("adapters/crystalpm/sql"));
    db.sql("DELETE FROM appts WHERE appt_start >= UTC_DATE() - INTERVAL 1 DAY");
    db
}

fn add(db: &MariaDb, id: u32, patient: u32, start: &str, kind: &str) {
    db.sql(&format!(
        "INSERT INTO appts (appt_id, account_id, provider_id, appt_start, duration_min, appt_type, status) \
         VALUES ({id}, {patient}, 1, {start}, 30, '{kind}', 'scheduled')"
    ));
}

/// `hub schedule --practice east --json`.
fn schedule(hub: &HubProc, extra: &[&str]) -> Value {
    let mut args = vec!["schedule", "--practice", "east", "--json"];
    args.extend(extra);
    let (code, out, err) = hub.cli(&args);
    assert_eq!(code, 0, "{out}{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Asks for a sync now and waits until a pass after the request reached the hub.
async fn sync_now(hub: &HubProc, agent: &AgentProc) -> Value {
    let asked = schedule(hub, &["--sync-now"])["sync_requested_ms"]
        .as_u64()
        .unwrap();
    wait(hub, agent, |v| {
        v["ehrs"][0]["last_run"]["at_ms"]
            .as_u64()
            .is_some_and(|at| at >= asked)
    })
    .await
}

async fn wait(hub: &HubProc, agent: &AgentProc, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = schedule(hub, &[]);
        if pred(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "the hub's schedule is not as expected: {v}\n{}\n{}",
            hub.log(),
            agent.log()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn received(v: &Value) -> Vec<(String, u64)> {
    v["received"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
        .collect()
}

fn held(v: &Value) -> Vec<String> {
    let mut ids: Vec<String> = v["not_synced"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn not_synced<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["not_synced"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .unwrap_or_else(|| panic!("{id} is not among the appointments that did not sync: {v}"))
}

/// A hub with practice `east` set up for the sync, and its paired, running agent.
async fn setup(db: &MariaDb) -> (HubProc, AgentProc) {
    let hub = HubProc::start(TestHome::new(""), None, &[]);
    hub.practice("east");
    let v = schedule(
        &hub,
        &[
            "--approved-types",
            "Telehealth Visit",
            "--enabled-providers",
            "1,2",
            "--time-zone",
            "UTC",
        ],
    );
    assert_eq!(
        v["settings"]["policy"]["approved_types"][0],
        "Telehealth Visit"
    );
    assert_eq!(v["abnormal"], true, "never synced yet: {v}");
    let code = hub.pair_code("east", "15m");
    let mut agent = AgentProc::new(crystalpm_home(&db.config_section("crystalpm")).await);
    let (c, out, err) = agent.pair(&hub, &code);
    assert_eq!(c, 0, "{out}{err}");
    agent.start();
    (hub, agent)
}

// The first sync brings every appointment with its reasons; then a new, a moved and a
// cancelled appointment travel as exactly three changes, and a sync with nothing new
// sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_syncs_and_only_changes_travel() {
    let db = start_db();
    add(&db, 50001, 1001, &day(3, "10:00:00"), "Telehealth Visit");
    add(&db, 50002, 1002, &day(3, "11:00:00"), "Telehealth Visit");
    add(&db, 50003, 1003, &day(4, "09:00:00"), "Telehealth Visit");
    add(&db, 50004, 1004, &day(4, "10:00:00"), "telehealth  visit");
    let (hub, agent) = setup(&db).await;

    let v = wait(&hub, &agent, |v| v["appointments"] == 4).await;
    assert_eq!(received(&v), [("new".to_string(), 4)]);
    assert_eq!(v["syncing"], 2, "{v}");
    assert_eq!(v["abnormal"], false, "{v}");
    assert_eq!(v["ehrs"][0]["ehr"], "crystalpm");
    assert_eq!(v["ehrs"][0]["health"], "ok");
    assert_eq!(v["ehrs"][0]["last_run"]["timing"]["abnormal_minutes"], 15);
    assert_eq!(held(&v), ["50003", "50004"]);
    let codes = |id: &str| -> Vec<String> {
        not_synced(&v, id)["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(codes("50003"), ["no_email", "demographics_incomplete"]);
    assert_eq!(codes("50004"), ["type_not_approved"]);
    let advice = not_synced(&v, "50004")["reasons"][0]["advice"]
        .as_str()
        .unwrap();
    assert!(
        advice.contains("It looks like the approved type \"Telehealth Visit\""),
        "{advice}"
    );
    assert_eq!(v["by_reason"]["no_email"], 1);

    // The operator's text view says the same.
    let (_, text, _) = hub.cli(&["schedule", "--practice", "east"]);
    assert!(text.contains("2 of 4 appointments held sync"), "{text}");
    assert!(
        text.contains("[no_email]: The patient's record has no email address"),
        "{text}"
    );

    // Add one, move one, cancel one in the EHR.
    add(&db, 50005, 1005, &day(5, "09:00:00"), "Telehealth Visit");
    db.sql(&format!(
        "UPDATE appts SET appt_start = {} WHERE appt_id = 50001",
        day(3, "14:30:00")
    ));
    db.sql("UPDATE appts SET status = 'cancelled' WHERE appt_id = 50002");
    let v = sync_now(&hub, &agent).await;
    assert_eq!(
        received(&v),
        [
            ("cancelled".to_string(), 1),
            ("new".to_string(), 5),
            ("rescheduled".to_string(), 1)
        ],
        "{}",
        agent.log()
    );
    assert_eq!(v["appointments"], 4);
    assert_eq!(v["ehrs"][0]["last_run"]["changes"], 3);

    // Nothing changed: a sync sends nothing.
    let v = sync_now(&hub, &agent).await;
    assert_eq!(v["ehrs"][0]["last_run"]["changes"], 0);
    assert_eq!(received(&v).iter().map(|(_, n)| n).sum::<u64>(), 7);

    // A fixed record is a verdict change: 50003 gets an email and an address.
    db.sql("UPDATE patients SET email = 'wei.nguyen@example.org', address1 = '5 Birch Rd', city = 'Springfield', state = 'IL', zip = '62701' WHERE account_id = 1003");
    let v = sync_now(&hub, &agent).await;
    assert_eq!(v["ehrs"][0]["last_run"]["changes"], 1, "{v}");
    assert_eq!(held(&v), ["50004"]);
    assert!(
        received(&v).contains(&("verdict_changed".to_string(), 1)),
        "{v}"
    );
}

// The hub goes down; the EHR changes; the agent is even killed and restarted while the
// hub is away: the changes wait in the agent's outbox and reach the hub once it is back,
// each once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_down_loses_nothing_and_sends_nothing_twice() {
    let db = start_db();
    add(&db, 60001, 1001, &day(3, "10:00:00"), "Telehealth Visit");
    add(&db, 60002, 1002, &day(3, "11:00:00"), "Telehealth Visit");
    let (mut hub, mut agent) = setup(&db).await;
    let v = wait(&hub, &agent, |v| v["appointments"] == 2).await;
    assert_eq!(received(&v), [("new".to_string(), 2)]);

    hub.kill();
    add(&db, 60003, 1004, &day(4, "10:00:00"), "Telehealth Visit");
    db.sql("UPDATE appts SET status = 'cancelled' WHERE appt_id = 60001");
    agent.kill();
    let restarted = now_ms();
    agent.start();
    // The restarted agent syncs with the settings it kept, and holds the changes.
    let outbox = agent.home.dir.path().join("schedule.sqlite");
    let deadline = Instant::now() + Duration::from_secs(60);
    while outbox_state(&outbox).0 < restarted {
        assert!(
            Instant::now() < deadline,
            "the restarted agent did not sync\n{}",
            agent.log()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(outbox_state(&outbox).1 >= 2, "{}", agent.log());

    hub.restart();
    let v = wait(&hub, &agent, |v| {
        received(v).iter().map(|(_, n)| n).sum::<u64>() >= 4
    })
    .await;
    assert_eq!(
        received(&v),
        [("cancelled".to_string(), 1), ("new".to_string(), 3)]
    );
    assert_eq!(v["appointments"], 2);
    // Later syncs with nothing new add nothing.
    let v = sync_now(&hub, &agent).await;
    assert_eq!(received(&v).iter().map(|(_, n)| n).sum::<u64>(), 4, "{v}");
    assert!(
        agent
            .log()
            .contains("they are kept and sent when the hub is back"),
        "{}",
        agent.log()
    );
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// The agent's outbox: when its last pass ran (ms; 0 before any), and how many changes
/// wait for the hub.
fn outbox_state(path: &std::path::Path) -> (u64, i64) {
    let Ok(conn) = rusqlite::Connection::open(path) else {
        return (0, 0);
    };
    let run: Option<String> = conn
        .query_row(
            "SELECT run FROM sync_runs WHERE ehr = 'crystalpm'",
            [],
            |r| r.get(0),
        )
        .ok();
    let at = run
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v["at_ms"].as_u64())
        .unwrap_or(0);
    let pending = conn
        .query_row("SELECT COUNT(*) FROM sync_outbox", [], |r| r.get(0))
        .unwrap_or(0);
    (at, pending)
}

// The hub reads the cloud EHRs it writes itself, for the practices whose settings name
// them: a pass of RevolutionEHR (on its sandbox) shows in `hub schedule`, with the
// adapter's timing; a practice that names none has no such pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_syncs_its_cloud_ehrs() {
    use ehr_sandbox::{Sandbox, SandboxConfig};
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let hub_home = TestHome::new(&ehr_e2e::revolution_config(
        &url,
        &ehr_e2e::bearer(&url, "sandbox-token"),
    ));
    hub_home.install("revolution").await;
    let hub = HubProc::start(hub_home, None, &[]);
    hub.practice("east");
    hub.practice("west");
    schedule(
        &hub,
        &[
            "--hub-ehrs",
            "revolution",
            "--approved-types",
            "Telehealth Visit",
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let v = loop {
        let v = schedule(&hub, &[]);
        if v["ehrs"].as_array().is_some_and(|e| !e.is_empty()) {
            break v;
        }
        assert!(
            Instant::now() < deadline,
            "no cloud sync: {v}\n{}",
            hub.log()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let run = &v["ehrs"][0]["last_run"];
    assert_eq!(v["ehrs"][0]["ehr"], "revolution");
    assert_eq!(run["outcome"]["state"], "ok", "{v}\n{}", hub.log());
    assert_eq!(v["ehrs"][0]["health"], "ok");
    assert_eq!(run["timing"]["min_poll_seconds"], 300);
    assert_eq!(v["appointments"], run["appointments"], "{v}");
    let (code, out, err) = hub.cli(&["schedule", "--practice", "west", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let west: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(west["ehrs"], serde_json::json!([]), "{west}");
    assert_eq!(west["abnormal"], true);
}
