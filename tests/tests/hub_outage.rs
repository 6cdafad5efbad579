//! Through outages, with real processes killed with SIGKILL: the hub killed mid-run
//! (agents keep writing what they hold and keep the results), an agent killed during
//! the hub's outage (its results survive the restart and reach the hub once it is back),
//! and an agent killed in the middle of a write (the lease lapses, another agent of the
//! practice takes the job, and it is written once).

use ehr_e2e::hub::{crystalpm_home, local_snapshot, AgentProc, HubProc, Intake};
use ehr_e2e::mariadb::MariaDb;
use ehr_e2e::{root, TestHome};
use std::time::{Duration, Instant};

async fn count(api: &Intake, status: &str) -> usize {
    let (_, v) = api
        .call(reqwest::Method::GET, &format!("jobs?status={status}"), None)
        .await;
    v.as_array().map_or(0, |a| a.len())
}

async fn until(limit: Duration, what: &str, mut pred: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !pred().await {
        assert!(Instant::now() < deadline, "{what} within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn lines(log: &str, needle: &str) -> usize {
    log.lines().filter(|l| l.contains(needle)).count()
}

// The hub dies mid-run; the agent says once that the link broke, keeps writing the jobs
// it holds and keeps their results; killed too while the hub is down, it restarts with
// them; when the hub is back every job is settled, each written once, and the status is
// green again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_and_agent_killed_nothing_lost_nothing_twice() {
    const JOBS: usize = 40;
    let db = MariaDb::start(&root().join("adapters/crystalpm/sql"));
    let mut hub = HubProc::start(TestHome::new(""), None, &[]);
    hub.practice("east");
    let api = hub.api(&hub.api_key("east"));
    let mut agent = AgentProc::new(crystalpm_home(&db.config_section("crystalpm")).await);
    let (c, out, err) = agent.pair(&hub, &hub.pair_code("east", "15m"));
    assert_eq!(c, 0, "{out}{err}");
    agent.start();
    agent
        .wait_status(Duration::from_secs(30), |code, _| code == 0)
        .await;
    for i in 0..JOBS {
        let (s, v) = api
            .submit(
                "crystalpm",
                &local_snapshot(&format!("J-OUT-{i:03}"), &format!("outage note {i}")),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    until(Duration::from_secs(60), "some jobs done", async || {
        count(&api, "succeeded_with_warnings").await >= 3
    })
    .await;
    hub.kill();
    let s = agent
        .wait_status(Duration::from_secs(30), |_, v| {
            v["status"] == "Disconnected"
        })
        .await;
    assert!(s["why"].as_str().is_some(), "{s}");
    // The jobs the agent holds are written without the hub, and their results kept.
    let written = || {
        db.scalar("SELECT COUNT(*) FROM doctora_jobs")
            .parse::<usize>()
            .unwrap()
    };
    let held = agent
        .wait_status(Duration::from_secs(30), |_, v| {
            v["report"]["queue"]["unreported"].as_u64() > Some(0)
        })
        .await;
    assert!(held["report"]["queue"]["unreported"].as_u64().unwrap() > 0);
    until(
        Duration::from_secs(30),
        "held jobs written during the outage",
        async || {
            let (_, v) = agent.status();
            v["report"]["queue"]["pending"] == 0 && v["report"]["queue"]["claimed"] == 0
        },
    )
    .await;
    let during = written();
    assert!(
        during > 3,
        "the agent kept writing while the hub was down ({during})"
    );
    agent.kill();
    agent.start();
    // The restarted agent counts the results it holds on its first pass over them.
    let s = agent
        .wait_status(Duration::from_secs(30), |_, v| {
            v["status"] == "Disconnected" && v["report"]["queue"]["unreported"].as_u64() > Some(0)
        })
        .await;
    assert!(
        s["report"]["queue"]["unreported"].as_u64().unwrap() > 0,
        "results survive the restart: {s}"
    );

    hub.restart();
    until(Duration::from_secs(120), "every job settled", async || {
        count(&api, "succeeded_with_warnings").await == JOBS
    })
    .await;
    assert_eq!(written(), JOBS, "each job written once");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM ehr_notes WHERE note_text LIKE 'outage note %'"),
        JOBS.to_string()
    );
    agent
        .wait_status(Duration::from_secs(60), |code, _| code == 0)
        .await;
    let logs = agent.log();
    let runs: Vec<&str> = logs.split("--- restart ---").collect();
    for run in &runs {
        assert!(
            lines(run, "link: disconnected from the hub") <= 1,
            "one line when the link breaks: {run}"
        );
    }
    assert_eq!(
        lines(runs[1], "link: connected to the hub again"),
        1,
        "one line when it is back"
    );
}

// An agent killed while its adapter is inside a write transaction: nothing of that
// write stays (the database rolls it back), the hub's lease lapses and the job goes to
// the practice's other agent, which writes it once; the killed agent, restarted, finds
// the job already written and reports nothing twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_killed_mid_write_job_is_taken_over_and_written_once() {
    let db = MariaDb::start(&root().join("adapters/crystalpm/sql"));
    let hub = HubProc::start(TestHome::new(""), None, &[]);
    hub.practice("east");
    let api = hub.api(&hub.api_key("east"));
    let section = db.config_section("crystalpm");
    let paused = TestHome::new(&format!(
        "[limits]\ntimeout_secs = 120\n\n{section}\n[adapters.crystalpm]\ndatabases = [\"crystalpm\"]\n\n[adapters.crystalpm.settings]\ndebug_pause_after_first_write_secs = \"60\"\n"
    ));
    paused.install("crystalpm").await;
    let mut first = AgentProc::new(paused);
    let mut second = AgentProc::new(crystalpm_home(&section).await);
    for a in [&first, &second] {
        let (c, out, err) = a.pair(&hub, &hub.pair_code("east", "15m"));
        assert_eq!(c, 0, "{out}{err}");
    }
    first.start();
    first
        .wait_status(Duration::from_secs(30), |code, _| code == 0)
        .await;
    let (s, v) = api
        .submit("crystalpm", &local_snapshot("J-MID", "written once"))
        .await;
    assert_eq!(s, 201, "{v}");
    until(
        Duration::from_secs(60),
        "the adapter pauses inside its write",
        async || first.log().contains("pausing"),
    )
    .await;
    first.kill();
    second.start();
    let done = api.settled("J-MID", Duration::from_secs(90)).await;
    assert_eq!(
        done["job"]["status"],
        "succeeded_with_warnings",
        "{done}\n{}",
        hub.log()
    );
    assert_eq!(done["job"]["attempts"], 2, "handed out twice: {done}");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM doctora_jobs WHERE job_id = 'J-MID'"),
        "1"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM ehr_notes WHERE note_text LIKE 'written once%'"),
        "1"
    );

    // The killed agent comes back (without the pause) with its copy of the job.
    std::fs::write(first.home.dir.path().join("config.toml"), format!("[limits]\ntimeout_secs = 60\n\n{section}\n[adapters.crystalpm]\ndatabases = [\"crystalpm\"]\n")).unwrap();
    first.start();
    until(
        Duration::from_secs(60),
        "the old copy settles at the agent",
        async || {
            let (_, v) = first.status();
            v["report"]["queue"]["claimed"] == 0
                && v["report"]["queue"]["pending"] == 0
                && v["report"]["queue"]["unreported"] == 0
                && v["status"] == "Connected"
        },
    )
    .await;
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM doctora_jobs WHERE job_id = 'J-MID'"),
        "1",
        "still once"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM ehr_notes WHERE note_text LIKE 'written once%'"),
        "1"
    );
    assert_eq!(
        api.job("J-MID").await["job"]["status"],
        "succeeded_with_warnings"
    );
}
