//! `cargo bench -p ehr-e2e --bench hub`: the cost of the link and how many agents one hub
//! holds.
//!
//! 1. Jobs per second through hub → agent → crystalpm adapter → MariaDB (submitted to the
//!    intake API over HTTPS, handed out over the link, written, reported back), against
//!    the same jobs queued straight into an agent alone, and the time one job takes from
//!    submission to settled (one at a time) both ways. Hub and agent run in this process;
//!    the ratios are the cost of the link. `BENCH_JOBS` (default 200).
//! 2. Simulated agents (`BENCH_AGENTS`, default 1000, across 100 practices) pair, then
//!    each holds a job poll open and heartbeats every 5 s (three times the default rate)
//!    for `BENCH_SECONDS` (default 30) against one hub running as its own process (this
//!    bench re-run in the hub's role, so the hub's memory is its own): heartbeat latency
//!    percentiles and the hub's resident memory.
//!
//! Prints figures and ratios; asserts nothing about speed. Needs `bash tests/setup.sh`
//! (the built components) and MariaDB.

#[path = "support/cpu.rs"]
mod cpu;
#[path = "support/table.rs"]
mod table;

use ehr_e2e::hub::{crystalpm_home, local_snapshot};
use ehr_e2e::mariadb::MariaDb;
use ehr_e2e::{root, TempDir, TestHome};
use ehr_host::agent::run::{self, RunOptions};
use ehr_host::hub::ratelimit::Rate;
use ehr_host::hub::state::Limits;
use ehr_host::hub::store::{HubStore, SqliteHubStore};
use ehr_host::hub::{ops, HubOptions};
use ehr_host::jobs::{submit, Clock, Queue, Sealer, SqliteQueue, Status, SystemClock};
use ehr_host::link::client::{self, LinkClient};
use ehr_host::link::protocol::{
    AdapterHealth, EhrConnectivity, Heartbeat, PairRequest, QueueCounts,
};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use table::{row, Goal};

const HUB_ROLE: &str = "EHR_BENCH_HUB_HOME";
/// Jobs timed one at a time for the latency figures.
const LATENCY_JOBS: usize = 20;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn generous() -> Limits {
    let lots = Rate {
        per_minute: 1_000_000,
        burst: 100_000,
    };
    Limits {
        practice: lots,
        agent: lots,
        pairing: lots,
        in_flight: 16,
    }
}

/// A hub on SQLite files in `home`, in this process.
async fn hub_in(
    home: &Path,
    heartbeat: u32,
) -> ehr_host::hub::RunningHub<SqliteQueue, SqliteHubStore> {
    let store = SqliteHubStore::open(&home.join("hub.sqlite")).unwrap();
    let mut settings = store.settings().await.unwrap();
    settings.intervals.heartbeat_seconds = heartbeat;
    store.save_settings(&settings).await.unwrap();
    let queue = SqliteQueue::open(&home.join("jobs.sqlite"), Arc::new(SystemClock)).unwrap();
    let mut options = HubOptions::new(home.to_path_buf(), SocketAddr::from(([127, 0, 0, 1], 0)));
    options.limits = generous();
    ehr_host::hub::start(queue, store, options).await.unwrap()
}

async fn wait_all<Q: Queue>(q: &Q, n: usize) {
    while q
        .list(Some(Status::SucceededWithWarnings))
        .await
        .unwrap()
        .len()
        < n
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn rate(name: &str, n: usize, t: Duration) -> f64 {
    let r = n as f64 / t.as_secs_f64();
    println!(
        "{name:44} {n:5} jobs in {:>7.2} s = {r:>7.1} jobs/s",
        t.as_secs_f64()
    );
    r
}

/// Part 1: an agent alone, then the same through a hub.
async fn throughput(n: usize) {
    let db = MariaDb::start(&root().join("adapters/crystalpm/sql"));
    let section = db.config_section("crystalpm");

    let alone_home = crystalpm_home(&section).await;
    let q = SqliteQueue::open(&alone_home.home().jobs(), Arc::new(SystemClock)).unwrap();
    let agent = run::start(alone_home.host(), q, bench_options(&alone_home), "bench")
        .await
        .unwrap();
    let sealer = Sealer::load_or_create(&alone_home.home().jobs_key()).unwrap();
    let known = vec!["crystalpm".to_string()];
    let t = Instant::now();
    for i in 0..n {
        let s = local_snapshot(&format!("A-{i:05}"), &format!("alone {i}")).to_string();
        submit(agent.queue(), &sealer, &known, "crystalpm", s.as_bytes())
            .await
            .unwrap();
    }
    wait_all(agent.queue(), n).await;
    let alone = rate("agent alone (queue → adapter → MariaDB)", n, t.elapsed());
    let t = Instant::now();
    for i in 0..LATENCY_JOBS {
        let s = local_snapshot(&format!("A1-{i:05}"), &format!("alone one {i}")).to_string();
        submit(agent.queue(), &sealer, &known, "crystalpm", s.as_bytes())
            .await
            .unwrap();
        wait_all(agent.queue(), n + i + 1).await;
    }
    let alone_one = t.elapsed() / LATENCY_JOBS as u32;
    agent.stop().await;

    let hub_dir = TempDir::new("bench-hub");
    let hub = hub_in(hub_dir.path(), 2).await;
    ops::create_practice(hub.hub().store.as_ref(), "east", "East", 0)
        .await
        .unwrap();
    let key = ops::create_api_key(hub.hub().store.as_ref(), "east", "bench", 0)
        .await
        .unwrap()
        .key;
    let code = ops::create_pair_code(
        hub.hub().store.as_ref(),
        "east",
        Duration::from_secs(600),
        SystemClock.now_ms(),
    )
    .await
    .unwrap();
    let linked_home = crystalpm_home(&section).await;
    ehr_host::link::pairing::pair(
        &linked_home.home(),
        &code.code,
        &hub.url(),
        Some(hub.fingerprint()),
        None,
    )
    .await
    .unwrap();
    let q = SqliteQueue::open(&linked_home.home().jobs(), Arc::new(SystemClock)).unwrap();
    let agent = run::start(linked_home.host(), q, bench_options(&linked_home), "bench")
        .await
        .unwrap();
    while hub.hub().store.agents(None).await.unwrap()[0]
        .heartbeat
        .is_none()
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let http = client::http(Some(hub.fingerprint())).unwrap();
    let t = Instant::now();
    for i in 0..n {
        let body = serde_json::json!({"ehr": "crystalpm", "snapshot": local_snapshot(&format!("H-{i:05}"), &format!("hub {i}"))});
        let r = http
            .post(format!("{}/api/v1/jobs", hub.url()))
            .bearer_auth(&key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
    }
    wait_all(hub.hub().queue.as_ref(), n).await;
    let linked = rate("hub → link → agent → MariaDB → result", n, t.elapsed());
    let t = Instant::now();
    for i in 0..LATENCY_JOBS {
        let snapshot = local_snapshot(&format!("H1-{i:05}"), &format!("hub one {i}"));
        let body = serde_json::json!({"ehr": "crystalpm", "snapshot": snapshot});
        let r = http
            .post(format!("{}/api/v1/jobs", hub.url()))
            .bearer_auth(&key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        wait_all(hub.hub().queue.as_ref(), n + i + 1).await;
    }
    let linked_one = t.elapsed() / LATENCY_JOBS as u32;
    println!(
        "throughput ratio agent alone / through the hub: {:.2}x",
        alone / linked
    );
    println!(
        "one job, submitted to settled: {:.1} ms alone, {:.1} ms through the hub ({:.2}x, +{:.1} ms for the link)",
        alone_one.as_secs_f64() * 1000.0,
        linked_one.as_secs_f64() * 1000.0,
        linked_one.as_secs_f64() / alone_one.as_secs_f64(),
        (linked_one.as_secs_f64() - alone_one.as_secs_f64()) * 1000.0
    );
    agent.stop().await;
    hub.stop().await;
}

fn bench_options(home: &TestHome) -> RunOptions {
    RunOptions {
        jobs_interval: Duration::from_millis(20),
        ..RunOptions::for_home(&home.home())
    }
}

/// The hub's role for part 2: serve until killed.
async fn hub_role(home: &Path) {
    let hub = hub_in(home, 5).await;
    std::fs::write(
        home.join("bench-hub.url"),
        format!("{}\n{}", hub.url(), hub.fingerprint()),
    )
    .unwrap();
    std::future::pending::<()>().await;
}

fn rss_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Part 2: many agents on one hub.
async fn capacity(agents: usize, seconds: u64) {
    let dir = TempDir::new("bench-capacity");
    let store = SqliteHubStore::open(&dir.path().join("hub.sqlite")).unwrap();
    let practices = 100.min(agents.max(1));
    for p in 0..practices {
        ops::create_practice(&store, &format!("p{p:03}"), "bench", 0)
            .await
            .unwrap();
    }
    let mut codes = vec![];
    for a in 0..agents {
        let c = ops::create_pair_code(
            &store,
            &format!("p{:03}", a % practices),
            Duration::from_secs(3600),
            SystemClock.now_ms(),
        )
        .await
        .unwrap();
        codes.push(c.code);
    }
    drop(store);
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .env(HUB_ROLE, dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url_file = dir.path().join("bench-hub.url");
    while !url_file.exists() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let text = std::fs::read_to_string(&url_file).unwrap();
    let (url, fp) = text.split_once('\n').unwrap();
    let (url, fp) = (url.to_string(), fp.trim().parse().unwrap());
    let idle_kb = rss_kb(child.id(), "VmRSS:");
    let http = client::http(Some(fp)).unwrap();
    let t = Instant::now();
    let mut clients = vec![];
    for code in codes {
        let key = ehr_host::package::SecretKey::generate().unwrap();
        let req = PairRequest {
            code,
            public_key: key.public().to_hex(),
            name: "sim".into(),
            version: "0.1.0".into(),
        };
        let paired = client::pair(&http, &url, &req).await.unwrap();
        clients.push(Arc::new(LinkClient::new(
            http.clone(),
            &url,
            &paired.agent_id,
            key,
            "0.1.0",
        )));
    }
    println!(
        "paired {agents} simulated agents in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let hb = Heartbeat {
        version: "0.1.0".into(),
        adapters: vec![AdapterHealth {
            id: "crystalpm".into(),
            version: "1.0.0".into(),
            ehr: EhrConnectivity::Connected { checked_ms: 0 },
        }],
        queue: QueueCounts::default(),
    };
    let until = Instant::now() + Duration::from_secs(seconds);
    let (cpu_before, wall) = (cpu::cpu_time(child.id()), Instant::now());
    let mut tasks = vec![];
    for (i, c) in clients.iter().enumerate() {
        let (c, hb) = (c.clone(), hb.clone());
        // Spread the agents over the interval, as real ones starting at random times are.
        let offset = Duration::from_millis((i as u64 * 5000) / agents as u64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(offset).await;
            let poller = c.clone();
            let poll = tokio::spawn(async move {
                loop {
                    let _ = poller.poll(Duration::from_secs(50)).await;
                }
            });
            let mut samples = vec![];
            let mut errors = 0;
            while Instant::now() < until {
                let t = Instant::now();
                match c.heartbeat(&hb).await {
                    Ok(_) => samples.push(t.elapsed()),
                    Err(_) => errors += 1,
                }
                tokio::time::sleep(Duration::from_secs(5).saturating_sub(t.elapsed())).await;
            }
            poll.abort();
            (samples, errors)
        }));
    }
    let mut all = vec![];
    let mut errors = 0;
    let mut peak_kb = 0;
    for t in tasks {
        let (s, e) = t.await.unwrap();
        all.extend(s);
        errors += e;
        peak_kb = peak_kb.max(rss_kb(child.id(), "VmRSS:"));
    }
    let hwm_kb = rss_kb(child.id(), "VmHWM:");
    let cpu = cpu::cpu_time(child.id()).saturating_sub(cpu_before);
    let busy = cpu.as_secs_f64() / wall.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    all.sort();
    let pct =
        |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1000.0;
    println!(
        "{agents} agents, each a held poll and a heartbeat every 5 s for {seconds} s: {} heartbeats, {errors} failed",
        all.len()
    );
    println!(
        "heartbeat latency: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(0.5),
        pct(0.95),
        pct(0.99),
        pct(1.0)
    );
    println!(
        "hub memory: {:.0} MB idle, {:.0} MB with the agents (peak {:.0} MB)",
        idle_kb as f64 / 1024.0,
        peak_kb as f64 / 1024.0,
        hwm_kb as f64 / 1024.0
    );
    println!(
        "hub CPU with the agents: {:.1} s in {:.0} s, {:.1} % of one core",
        cpu.as_secs_f64(),
        wall.elapsed().as_secs_f64(),
        busy * 100.0
    );
    let held = format!("hub holding {agents} agents");
    row(
        &format!("{held}: resident memory"),
        peak_kb as f64 / 1024.0,
        "MB",
        Goal::None,
    );
    row(
        &format!("{held}: CPU"),
        busy * 100.0,
        "% of a core",
        Goal::None,
    );
    row(
        &format!("{held}: heartbeat p99"),
        pct(0.99),
        "ms",
        Goal::None,
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if let Some(home) = std::env::var_os(HUB_ROLE) {
        return rt.block_on(hub_role(Path::new(&home)));
    }
    rt.block_on(async {
        throughput(env("BENCH_JOBS", 200)).await;
        capacity(env("BENCH_AGENTS", 1000), env("BENCH_SECONDS", 30) as u64).await;
    });
}
