//! The agent and its registries, incident by incident: a fault is logged once when it
//! starts and once when it ends (the same fault twice, with a recovery between, is two
//! incidents); a yank of the serving version reaches the operator with the publisher's
//! reason and a move, or a word on why not; a pin holding a fix back says so in
//! `outdated`, the status and the events.

mod reload_common;

use ehr_e2e::{TestHome, TestRegistry};
use ehr_host::agent::events::EventKind;
use ehr_host::agent::{Agent, AgentOptions};
use reload_common::{adapter, listed, status, WAIT};
use std::time::Duration;

const DAY: Duration = Duration::from_secs(86_400);
const CONFIG: &str = "[adapters.misbehaving.settings]\nmode = \"ok\"\n";

fn options() -> AgentOptions {
    AgentOptions {
        poll_interval: Duration::from_secs(3600),
        watch_interval: Duration::from_millis(20),
        ..AgentOptions::default()
    }
}

fn count(agent: &Agent, kind: EventKind) -> usize {
    agent.events().iter().filter(|e| e.kind == kind).count()
}

fn open_incidents(home: &TestHome) -> usize {
    status(home)["incidents"].as_array().map_or(0, |a| a.len())
}

/// The registry served over HTTP on a port that stays the same across restarts.
struct Server {
    dir: std::path::PathBuf,
    port: u16,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Server {
    async fn start(reg: &TestRegistry) -> Server {
        let mut s = Server {
            dir: reg.reg.path().to_path_buf(),
            port: 0,
            task: None,
        };
        s.up().await;
        s
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    async fn up(&mut self) {
        let (listener, addr) = ehr_host::registry::serve::bind(self.port).await.unwrap();
        self.port = addr.port();
        self.task = Some(tokio::spawn(ehr_host::registry::serve::serve(
            listener,
            self.dir.clone(),
        )));
    }

    async fn down(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
            let _ = t.await;
        }
    }
}

// An outage, a recovery, the same outage again and a recovery: two RegistryOffline and
// two RegistryRecovered events, however many polls saw each; then a rolled-back index
// refused, a good one, the bad one again and the good one: two RegistryRefused and two
// more recoveries. The status lists an incident exactly while it lasts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_registry_fault_twice_is_two_incidents() {
    let home = TestHome::new(CONFIG);
    let reg = TestRegistry::new();
    let mut server = Server::start(&reg).await;
    reg.publish(&home.package("misbehaving").await);
    assert_eq!(
        home.cli(&["registry", "add", &server.url(), "--name", "acme"])
            .0,
        0
    );
    assert_eq!(home.cli(&["install", "misbehaving"]).0, 0);
    let agent = Agent::start(home.host(), options()).await.unwrap();
    agent.poll_and_wait().await;

    for outage in 1..=2 {
        server.down().await;
        for _ in 0..3 {
            agent.poll_and_wait().await;
        }
        assert_eq!(
            count(&agent, EventKind::RegistryOffline),
            outage,
            "{:#?}",
            agent.events()
        );
        assert_eq!(open_incidents(&home), 1, "{:#}", status(&home));
        server.up().await;
        agent.poll_and_wait().await;
        agent.poll_and_wait().await;
        assert_eq!(count(&agent, EventKind::RegistryRecovered), outage);
        assert_eq!(open_incidents(&home), 0);
    }
    let offline = agent
        .events()
        .into_iter()
        .find(|e| e.kind == EventKind::RegistryOffline)
        .unwrap();
    assert!(
        offline.message.contains("registry `acme` unreachable")
            && offline.message.contains("last verified index"),
        "{}",
        offline.message
    );
    let back = agent
        .events()
        .into_iter()
        .find(|e| e.kind == EventKind::RegistryRecovered)
        .unwrap();
    assert!(
        back.message
            .contains("registry `acme` is reachable again (since "),
        "{}",
        back.message
    );

    let old = std::fs::read(reg.file("index.json")).unwrap();
    reg.reg.refresh(&[&reg.key], DAY).unwrap();
    agent.poll_and_wait().await;
    let good = std::fs::read(reg.file("index.json")).unwrap();
    for refusal in 1..=2 {
        std::fs::write(reg.file("index.json"), &old).unwrap();
        agent.poll_and_wait().await;
        agent.poll_and_wait().await;
        assert_eq!(count(&agent, EventKind::RegistryRefused), refusal);
        assert_eq!(open_incidents(&home), 1);
        std::fs::write(reg.file("index.json"), &good).unwrap();
        agent.poll_and_wait().await;
        assert_eq!(count(&agent, EventKind::RegistryRecovered), 2 + refusal);
        assert_eq!(open_incidents(&home), 0);
    }
    let last = agent
        .events()
        .into_iter()
        .rev()
        .find(|e| e.kind == EventKind::RegistryRecovered)
        .unwrap();
    assert!(
        last.message
            .contains("registry `acme` no longer serves a rolled-back index"),
        "{}",
        last.message
    );
    agent.stop().await;
}

// The serving version 0.2.0 is yanked ("bad mapping"): the agent says so with the reason
// and that it moves to 0.1.0, moves (store and slot), and says the incident ended. With
// a pin allowing nothing else (=0.2.0), it says why it cannot move and keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yank_of_the_serving_version() {
    for pinned in [false, true] {
        let home = TestHome::new(CONFIG);
        let reg = TestRegistry::new();
        reg.publish(&home.package("misbehaving").await);
        reg.publish(&home.package("misbehaving-0.2.0").await);
        assert_eq!(
            home.cli(&["registry", "add", &reg.path(), "--name", "acme"])
                .0,
            0
        );
        let spec = if pinned {
            "misbehaving@=0.2.0"
        } else {
            "misbehaving@*"
        };
        assert_eq!(home.cli(&["install", "misbehaving@=0.1.0"]).0, 0);
        assert_eq!(home.cli(&["install", spec]).0, 0);
        let agent = Agent::start(home.host(), options()).await.unwrap();
        assert_eq!(agent.serving()["misbehaving"].version, "0.2.0");
        reg.reg
            .yank(
                "misbehaving",
                &"0.2.0".parse().unwrap(),
                "bad mapping",
                &[&reg.key],
                DAY,
            )
            .unwrap();
        agent.poll_and_wait().await;
        agent.poll_and_wait().await;
        let yanked: Vec<_> = agent
            .events()
            .into_iter()
            .filter(|e| e.kind == EventKind::YankedServing)
            .collect();
        assert_eq!(yanked.len(), 1, "{yanked:?}");
        let msg = &yanked[0].message;
        assert!(msg.contains("misbehaving 0.2.0, the version installed, was yanked by its publisher: bad mapping"), "{msg}");
        if pinned {
            assert!(
                msg.contains("no other version can replace it")
                    && msg.contains("still serving 0.2.0"),
                "{msg}"
            );
            assert_eq!(agent.serving()["misbehaving"].version, "0.2.0");
            assert_eq!(count(&agent, EventKind::YankResolved), 0);
            assert_eq!(open_incidents(&home), 1);
        } else {
            assert!(
                msg.contains("moving to 0.1.0, the newest version your pin `*` allows"),
                "{msg}"
            );
            agent
                .wait_for(WAIT, |e| {
                    e.kind == EventKind::Swapped
                        && e.message.contains("now serving misbehaving 0.1.0")
                })
                .await
                .expect("moved to 0.1.0");
            let ended = agent
                .wait_for(WAIT, |e| e.kind == EventKind::YankResolved)
                .await
                .unwrap();
            assert!(
                ended
                    .message
                    .contains("misbehaving left the yanked version 0.2.0"),
                "{}",
                ended.message
            );
            assert_eq!(listed(&home)["version"], "0.1.0");
            assert_eq!(open_incidents(&home), 0);
        }
        agent.stop().await;
    }
}

// Pinned to =0.1.0, the agent sees 0.2.0 published: `outdated`, the status and one event
// say the pin holds it back and how to allow it; the agent keeps 0.1.0. Once the operator
// widens the pin (installing 0.2.0), the incident ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_that_holds_back_a_fix_says_so() {
    let home = TestHome::new(CONFIG);
    let reg = TestRegistry::new();
    reg.publish(&home.package("misbehaving").await);
    assert_eq!(
        home.cli(&["registry", "add", &reg.path(), "--name", "acme"])
            .0,
        0
    );
    assert_eq!(home.cli(&["install", "misbehaving@=0.1.0"]).0, 0);
    let agent = Agent::start(home.host(), options()).await.unwrap();
    reg.publish(&home.package("misbehaving-0.2.0").await);
    for _ in 0..3 {
        agent.poll_and_wait().await;
    }
    let held: Vec<_> = agent
        .events()
        .into_iter()
        .filter(|e| e.kind == EventKind::HeldBack)
        .collect();
    assert_eq!(held.len(), 1, "once: {held:?}");
    assert!(
        held[0]
            .message
            .contains("your pin `=0.1.0` holds misbehaving back from 0.2.0")
            && held[0]
                .message
                .contains("`ehr-host install misbehaving@^0.2.0`"),
        "{}",
        held[0].message
    );
    assert_eq!(agent.serving()["misbehaving"].version, "0.1.0");
    let s = status(&home);
    assert_eq!(adapter(&s)["held_back"]["pin"], "=0.1.0", "{s:#}");
    assert_eq!(adapter(&s)["held_back"]["newer"], "0.2.0");
    let (code, out, _) = home.cli(&["outdated"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("your pin holds back 0.2.0: `ehr-host install misbehaving@^0.2.0` allows it"),
        "{out}"
    );
    let (_, out, _) = home.cli(&["outdated", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows[0]["held_back"], "0.2.0");

    assert_eq!(home.cli(&["install", "misbehaving@^0.2.0"]).0, 0);
    agent.poll_and_wait().await;
    let ended = agent
        .wait_for(WAIT, |e| e.kind == EventKind::NoLongerHeldBack)
        .await
        .unwrap();
    assert!(
        ended
            .message
            .contains("no pin holds misbehaving back from 0.2.0 any more"),
        "{}",
        ended.message
    );
    assert_eq!(
        adapter(&status(&home))["held_back"],
        serde_json::Value::Null
    );
    agent.stop().await;
}
