//! `cargo bench -p ehr-e2e --bench reload`: what hot reload costs.
//!
//! 1. Time to serve: from a new version appearing in a registry (published, and the
//!    agent's poll triggered at that instant) to the agent serving it: index refresh and
//!    verification, download, hash and signature checks, compile, self-check, swap. Add up
//!    to one `--poll-interval` for the wait until the next poll. Also from a change in the
//!    store (here `rollback`, code already compiled) to serving.
//! 2. Call latency: `write-encounter` calls (misbehaving `relay` mode, one GET to the
//!    sandbox each, 16 in flight) in steady state, while `ehr-host install` compiles a new
//!    version in another process, in the window where the agent loads, self-checks and
//!    swaps it, and after; with ratios to steady state.
//!
//! Prints figures only (no assertions); needs `bash tests/setup.sh` first.

use ehr_e2e::{fixture, TestHome, TestRegistry};
use ehr_host::agent::{Agent, AgentOptions};
use ehr_host::registry::client::RegistryClient;
use ehr_host::registry::pull;
use ehr_sandbox::{Sandbox, SandboxConfig};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn stats(name: &str, mut samples: Vec<Duration>) -> Option<Duration> {
    if samples.is_empty() {
        println!("{name:44} no samples");
        return None;
    }
    samples.sort();
    let n = samples.len();
    let mean = samples.iter().sum::<Duration>() / n as u32;
    let p = |q: f64| samples[((n as f64 * q) as usize).min(n - 1)];
    println!(
        "{name:44} n={n:5}  mean {:>8.2} ms  p50 {:>8.2} ms  p95 {:>8.2} ms  max {:>8.2} ms",
        ms(mean),
        ms(p(0.5)),
        ms(p(0.95)),
        ms(samples[n - 1])
    );
    Some(p(0.95))
}

fn config(url: &str) -> String {
    format!(
        "[adapters.misbehaving]\nhttp = [\"{url}\"]\n\n[adapters.misbehaving.settings]\nmode = \"relay\"\nurl = \"{url}/api/v1/patients/\"\n"
    )
}

fn options() -> AgentOptions {
    AgentOptions {
        poll_interval: Duration::from_secs(3600),
        watch_interval: Duration::from_millis(10),
        ..AgentOptions::default()
    }
}

fn serving(agent: &Agent) -> String {
    agent.serving()["misbehaving"].version.clone()
}

async fn wait_serving(agent: &Agent, version: &str) {
    let until = Instant::now() + Duration::from_secs(120);
    while serving(agent) != version {
        assert!(Instant::now() < until, "the agent never served {version}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

async fn time_to_serve(url: &str, iterations: usize) {
    let mut from_registry = Vec::new();
    let mut from_store = Vec::new();
    for _ in 0..iterations {
        let home = TestHome::new(&config(url));
        let reg = TestRegistry::new();
        reg.publish(&home.package("misbehaving").await);
        let v2 = home.package("misbehaving-0.2.0").await;
        let client = RegistryClient::new(&home.home()).unwrap();
        client.add(&reg.path(), Some("bench"), &[]).await.unwrap();
        let host = home.host();
        let idx = pull::indexes(&client).await.unwrap();
        pull::install_spec(
            &host,
            &client,
            &idx,
            ("misbehaving", &semver::VersionReq::STAR, false),
            &Default::default(),
        )
        .await
        .unwrap();
        let agent = Agent::start(home.host(), options()).await.unwrap();

        let t = Instant::now();
        reg.publish(&v2);
        agent.poll_now();
        wait_serving(&agent, "0.2.0").await;
        from_registry.push(t.elapsed());

        let t = Instant::now();
        host.store.rollback("misbehaving").unwrap();
        wait_serving(&agent, "0.1.0").await;
        from_store.push(t.elapsed());
        agent.stop().await;
    }
    println!("time to serve a new version (cold compile, poll triggered at publish):");
    stats("  registry publish -> serving", from_registry);
    stats("  store change -> serving (code cached)", from_store);
}

async fn latency_during_swap(url: &str, seconds: f64) {
    let home = TestHome::new(&config(url));
    home.install("misbehaving").await;
    let v2 = home.dir.path().join("v2.ehrpkg");
    std::fs::write(&v2, home.package("misbehaving-0.2.0").await).unwrap();
    let agent = Arc::new(Agent::start(home.host(), options()).await.unwrap());
    let slot = agent.slot("misbehaving").unwrap();
    let text = std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap();
    let snapshot = ehr_host::snapshot::parse(&text).unwrap();

    let t0 = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let samples: Arc<Mutex<Vec<(Duration, Duration, bool)>>> = Arc::default();
    let mut workers = Vec::new();
    for w in 0..16 {
        let (slot, stop, samples, snapshot) = (
            slot.clone(),
            stop.clone(),
            samples.clone(),
            snapshot.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let mut s = snapshot.clone();
                s.job_id = format!("W{w}-{i}");
                i += 1;
                let start = t0.elapsed();
                let (_, r) = slot.write_encounter(s).await;
                samples
                    .lock()
                    .unwrap()
                    .push((start, t0.elapsed() - start, r.is_ok()));
            }
        }));
    }
    let steady = Duration::from_secs_f64(seconds);
    tokio::time::sleep(steady).await;
    let install_start = t0.elapsed();
    let (home_dir, pkg) = (home.dir.path().to_path_buf(), v2.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(ehr_e2e::ehr_host_bin())
            .args(["install", pkg.to_str().unwrap()])
            .env("EHR_HOST_HOME", home_dir)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let installed = t0.elapsed();
    wait_serving(&agent, "0.2.0").await;
    let swapped = t0.elapsed();
    tokio::time::sleep(steady).await;
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    let samples = samples.lock().unwrap().clone();
    let failed = samples.iter().filter(|s| !s.2).count();
    let window = |from: Duration, to: Duration| -> Vec<Duration> {
        samples
            .iter()
            .filter(|s| s.0 >= from && s.0 < to)
            .map(|s| s.1)
            .collect()
    };
    println!(
        "call latency, 16 calls in flight ({} calls, {failed} failed); install took {:.0} ms, store change -> serving {:.0} ms:",
        samples.len(),
        ms(installed - install_start),
        ms(swapped - installed)
    );
    let base = stats(
        "  steady state (before)",
        window(Duration::ZERO, install_start),
    );
    let during_install = stats(
        "  while `ehr-host install` compiles",
        window(install_start, installed),
    );
    let during_swap = stats(
        "  agent verify+load+self-check+swap",
        window(installed, swapped + Duration::from_millis(100)),
    );
    let after = stats(
        "  after the swap",
        window(swapped + Duration::from_millis(100), Duration::MAX),
    );
    if let Some(base) = base {
        for (name, p95) in [
            ("install", during_install),
            ("swap", during_swap),
            ("after", after),
        ] {
            if let Some(p) = p95 {
                println!(
                    "  p95 ratio {name:8} / steady: {:.2}",
                    p.as_secs_f64() / base.as_secs_f64()
                );
            }
        }
    }
    Arc::try_unwrap(agent).ok().unwrap().stop().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let iterations: usize = std::env::var("BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    time_to_serve(&sandbox.url(), iterations).await;
    latency_during_swap(&sandbox.url(), 2.0).await;
}
