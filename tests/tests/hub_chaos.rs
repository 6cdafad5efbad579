//! A thousand jobs across the link while the hub and the agents are killed with SIGKILL
//! at random points and restarted: CrystalPM jobs of one practice (two agents sharing
//! its MariaDB server), OfficeMate jobs of another (on the TDS emulator) and cloud jobs
//! the hub writes itself (RevolutionEHR sandbox). Every job must end settled, and each
//! must be in its EHR exactly once: counted in the local adapters' job ledger tables and
//! notes, and by idempotency key in the sandbox.

use ehr_e2e::hub::{
    cloud_snapshot, crystalpm_home, local_snapshot, officemate_home, AgentProc, HubProc, Intake,
};
use ehr_e2e::iridium::Iridium;
use ehr_e2e::mariadb::MariaDb;
use ehr_e2e::{bearer, revolution_config, root, TestHome};
use ehr_sandbox::{Sandbox, SandboxConfig};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const CRYSTALPM: usize = 500;
const OFFICEMATE: usize = 300;
const CLOUD: usize = 200;

/// A small deterministic generator (xorshift), seeded from the clock and printed, so a
/// failing schedule can be replayed with `HUB_CHAOS_SEED`.
struct Rng(u64);

impl Rng {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

async fn settled(api: &Intake) -> (usize, Vec<String>) {
    let (_, v) = api.call(reqwest::Method::GET, "jobs", None).await;
    let jobs = v.as_array().cloned().unwrap_or_default();
    let open = jobs
        .iter()
        .filter(|j| matches!(j["job"]["status"].as_str(), Some("pending" | "claimed")))
        .count();
    let odd = jobs
        .iter()
        .filter(|j| {
            !matches!(
                j["job"]["status"].as_str(),
                Some("pending" | "claimed" | "succeeded_with_warnings")
            )
        })
        .map(|j| format!("{} {} {}", j["job"]["id"], j["job"]["status"], j["error"]))
        .collect();
    (jobs.len() - open, odd)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_jobs_through_random_kills_each_written_once() {
    let seed = std::env::var("HUB_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("HUB_CHAOS_SEED={seed}");
    let mut rng = Rng(seed);
    let cpm = MariaDb::start(&root().join("adapters/crystalpm/sql"));
    let om = Iridium::start(&root().join("adapters/officemate/sql")).await;
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let hub_home = TestHome::new(&revolution_config(&url, &bearer(&url, "sandbox-token")));
    hub_home.install("revolution").await;
    let mut hub = HubProc::start(hub_home, None, &["--practice-rate", "100000"]);
    for p in ["east", "west"] {
        hub.practice(p);
    }
    let (east, west) = (hub.api(&hub.api_key("east")), hub.api(&hub.api_key("west")));
    let mut agents = [
        AgentProc::new(crystalpm_home(&cpm.config_section("crystalpm")).await),
        AgentProc::new(crystalpm_home(&cpm.config_section("crystalpm")).await),
        AgentProc::new(officemate_home(&om.config_section("officemate")).await),
    ];
    for (a, practice) in agents.iter_mut().zip(["east", "east", "west"]) {
        let (c, out, err) = a.pair(&hub, &hub.pair_code(practice, "15m"));
        assert_eq!(c, 0, "{out}{err}");
        a.start();
    }
    for i in 0..CRYSTALPM.max(OFFICEMATE).max(CLOUD) {
        if i < CRYSTALPM {
            let (s, v) = east
                .submit(
                    "crystalpm",
                    &local_snapshot(&format!("J-C-{i:04}"), &format!("chaos crystalpm {i}")),
                )
                .await;
            assert_eq!(s, 201, "{v}");
        }
        if i < OFFICEMATE {
            let (s, v) = west
                .submit(
                    "officemate",
                    &local_snapshot(&format!("J-O-{i:04}"), &format!("chaos officemate {i}")),
                )
                .await;
            assert_eq!(s, 201, "{v}");
        }
        if i < CLOUD {
            let (s, v) = east
                .submit(
                    "revolution",
                    &cloud_snapshot(&format!("J-R-{i:04}"), &format!("chaos cloud {i}")),
                )
                .await;
            assert_eq!(s, 201, "{v}");
        }
    }

    let total = CRYSTALPM + OFFICEMATE + CLOUD;
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut kills = HashMap::<&str, usize>::new();
    loop {
        let done = settled(&east).await.0 + settled(&west).await.0;
        if done == total {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{done} of {total} settled after 5 minutes (seed {seed})\n{}",
            hub.log()
        );
        tokio::time::sleep(Duration::from_millis(1500 + rng.next(2500))).await;
        let victim = rng.next(4) as usize;
        let pause = Duration::from_millis(200 + rng.next(1500));
        if victim == 3 {
            hub.kill();
            *kills.entry("hub").or_default() += 1;
            tokio::time::sleep(pause).await;
            hub.restart();
        } else {
            agents[victim].kill();
            *kills
                .entry(["agent east 1", "agent east 2", "agent west"][victim])
                .or_default() += 1;
            tokio::time::sleep(pause).await;
            agents[victim].start();
        }
    }
    println!("kills: {kills:?}");
    assert!(
        kills.values().sum::<usize>() >= 3,
        "the run was long enough to kill things: {kills:?}"
    );

    let (_, odd_east) = settled(&east).await;
    let (_, odd_west) = settled(&west).await;
    assert!(
        odd_east.is_empty() && odd_west.is_empty(),
        "every job succeeded: {odd_east:?} {odd_west:?}"
    );
    // Exactly once in each EHR.
    assert_eq!(
        cpm.scalar("SELECT COUNT(*) FROM doctora_jobs"),
        CRYSTALPM.to_string()
    );
    assert_eq!(
        cpm.scalar("SELECT COUNT(*) FROM ehr_notes WHERE note_text LIKE 'chaos crystalpm %'"),
        CRYSTALPM.to_string()
    );
    assert_eq!(
        om.scalar("SELECT COUNT(*) FROM dbo.DoctoraJobs").await,
        OFFICEMATE.to_string()
    );
    assert_eq!(
        om.scalar("SELECT COUNT(*) FROM dbo.ExamNotes WHERE NoteText LIKE 'chaos officemate %'")
            .await,
        OFFICEMATE.to_string()
    );
    let state = sandbox.state();
    let notes = &state.encounters["E5001"].notes;
    let mut texts: Vec<&str> = notes.iter().map(|n| n.text.as_str()).collect();
    texts.sort();
    texts.dedup();
    assert_eq!(
        (notes.len(), texts.len()),
        (CLOUD, CLOUD),
        "each cloud note once"
    );
    let mut applied = HashMap::<(String, String), usize>::new();
    for r in state
        .requests
        .iter()
        .filter(|r| r.method != "GET" && (200..300).contains(&r.status) && !r.replayed)
    {
        if let Some(key) = &r.idempotency_key {
            *applied.entry((r.path.clone(), key.clone())).or_default() += 1;
        }
    }
    let twice: Vec<_> = applied.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "idempotency keys applied twice: {twice:?}"
    );
    // The adapter keys each section's write `<job id>:<section>`: every job is there.
    let jobs: std::collections::HashSet<&str> = applied
        .keys()
        .map(|(_, k)| k.split(':').next().unwrap())
        .collect();
    assert_eq!(
        jobs.len(),
        CLOUD,
        "every cloud job's writes, by idempotency key"
    );
}
