//! `cargo bench -p ehr-e2e --bench adapter`: what the WebAssembly layer costs, each
//! compared pair measured side by side in the same run (this machine is shared and noisy:
//! the ratios are what count).
//!
//! 1. Instantiation: fresh store + instantiate + `describe`, and fresh store +
//!    instantiate alone, through the host versus the same component on bare wasmtime
//!    tuned for fast instantiation (`support/bare.rs`), samples interleaved.
//! 2. `write-encounter` through host + adapter against the RevolutionEHR sandbox, versus
//!    the very same HTTP requests made directly with reqwest, at 1 and at 16 in flight.
//!
//! Prints a table row per figure (`support/table.rs`); needs `bash tests/setup.sh` first.
//!
//! `BENCH_PROFILE=host-describe|bare-describe|host-instantiate|bare-instantiate|host-write|
//! direct-write` runs only that loop, `BENCH_ITERATIONS` times, on one thread: for
//! `valgrind --tool=callgrind` (instruction counts are stable on a noisy machine; run it
//! with 0 and with N iterations and divide the difference by N).

#[path = "support/bare.rs"]
mod bare;
#[path = "support/direct.rs"]
mod direct;
#[path = "support/table.rs"]
mod table;

use direct::send_directly;
use ehr_e2e::{bearer, component, fixture, revolution_config, TestHome};
use ehr_host::runtime::LoadedAdapter;
use ehr_sandbox::{Sandbox, SandboxConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};
use table::{row, stats, us, Goal};

fn main() {
    let iterations: usize = std::env::var("BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    if let Ok(what) = std::env::var("BENCH_PROFILE") {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        return rt.block_on(profile(&what, iterations));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(bench(iterations));
}

/// Everything the sandbox, home and adapter of a run need.
async fn setup() -> (Sandbox, TestHome, Arc<LoadedAdapter>) {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let home = TestHome::new(&revolution_config(&url, &bearer(&url, "sandbox-token")));
    home.install("revolution").await;
    let host = home.host();
    println!("allocator: {}", host.runtime().allocator());
    let adapter = Arc::new(host.load("revolution").unwrap());
    (sandbox, home, adapter)
}

async fn bench(iterations: usize) {
    let (sandbox, _home, adapter) = setup().await;
    instantiation(&adapter, iterations * 20).await;
    writes(&sandbox, adapter, iterations).await;
}

/// One loop alone, for callgrind.
async fn profile(what: &str, n: usize) {
    let (sandbox, _home, adapter) = setup().await;
    let bare = what
        .starts_with("bare")
        .then(|| bare::Bare::new(&component("revolution"), false));
    let snapshot = {
        let text = std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap();
        ehr_host::snapshot::parse(&text).unwrap()
    };
    let mut s = snapshot.clone();
    s.job_id = "bench-host-0".into();
    adapter.write_encounter(s).await.unwrap();
    let replay = direct::replay_of(&sandbox, "bench-host-0");
    let client = reqwest::Client::new();
    send_directly(&client, &sandbox.url(), &replay, "warm").await;
    for i in 0..n {
        match what {
            "host-describe" => drop(adapter.describe().await.unwrap()),
            "host-instantiate" => adapter.instantiate_only().await.unwrap(),
            "bare-describe" => drop(bare.as_ref().unwrap().describe()),
            "bare-instantiate" => bare.as_ref().unwrap().instantiate(),
            "host-write" => {
                let mut s = snapshot.clone();
                s.job_id = format!("profile-{i}");
                adapter.write_encounter(s).await.unwrap();
            }
            "direct-write" => {
                send_directly(&client, &sandbox.url(), &replay, &format!("profile-{i}")).await
            }
            other => panic!("unknown BENCH_PROFILE {other}"),
        }
    }
}

async fn instantiation(adapter: &LoadedAdapter, n: usize) {
    let wasm = component("revolution");
    let bare = bare::Bare::new(&wasm, false);
    let bare_epoch = bare::Bare::new(&wasm, true);
    assert_eq!(bare.describe().id, adapter.describe().await.unwrap().id);
    let [mut host_d, mut bare_d, mut epoch_d, mut host_i, mut bare_i] = Default::default();
    let time = |samples: &mut Vec<Duration>, t: Instant| samples.push(t.elapsed());
    for _ in 0..n {
        let t = Instant::now();
        adapter.describe().await.unwrap();
        time(&mut host_d, t);
        let t = Instant::now();
        bare.describe();
        time(&mut bare_d, t);
        let t = Instant::now();
        bare_epoch.describe();
        time(&mut epoch_d, t);
        let t = Instant::now();
        adapter.instantiate_only().await.unwrap();
        time(&mut host_i, t);
        let t = Instant::now();
        bare.instantiate();
        time(&mut bare_i, t);
    }
    let (hd, bd, ed) = (stats(host_d).p50, stats(bare_d).p50, stats(epoch_d).p50);
    let (hi, bi) = (stats(host_i).p50, stats(bare_i).p50);
    let p50 = "p50, µs";
    row(
        "fresh store + instantiate + describe: host",
        us(hd),
        p50,
        Goal::None,
    );
    row(
        "… the same on bare wasmtime (fast-instantiation setup)",
        us(bd),
        p50,
        Goal::None,
    );
    row(
        "… host ÷ bare wasmtime",
        us(hd) / us(bd),
        "×",
        Goal::AtMost(1.15),
    );
    row(
        "… bare wasmtime with epoch interruption ÷ without",
        us(ed) / us(bd),
        "×",
        Goal::None,
    );
    // The host keeps epoch interruption (it is how a guest that never yields is
    // stopped): against bare wasmtime with it too, what is left is the host's own cost.
    row(
        "… host ÷ bare wasmtime with epoch interruption",
        us(hd) / us(ed),
        "×",
        Goal::None,
    );
    row(
        "fresh store + instantiate alone: host",
        us(hi),
        p50,
        Goal::AtMost(20.0),
    );
    row("… the same on bare wasmtime", us(bi), p50, Goal::None);
}

async fn writes(sandbox: &Sandbox, adapter: Arc<LoadedAdapter>, n: usize) {
    let text = std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap();
    let snapshot = ehr_host::snapshot::parse(&text).unwrap();
    let write = |key: String| {
        let adapter = adapter.clone();
        let mut s = snapshot.clone();
        s.job_id = key;
        async move {
            adapter.write_encounter(s).await.unwrap();
        }
    };
    write("bench-host-0".into()).await;
    let replay = Arc::new(direct::replay_of(sandbox, "bench-host-0"));
    let client = reqwest::Client::new();
    let url = sandbox.url();
    let direct = |key: String| {
        let (client, replay, url) = (client.clone(), replay.clone(), url.clone());
        async move { send_directly(&client, &url, &replay, &key).await }
    };
    println!("one write = {} HTTP requests", replay.len());
    let mut host_1 = Vec::new();
    let mut direct_1 = Vec::new();
    for i in 0..n {
        let t = Instant::now();
        write(format!("bench-host-1-{i}")).await;
        host_1.push(t.elapsed());
        let t = Instant::now();
        direct(format!("bench-direct-1-{i}")).await;
        direct_1.push(t.elapsed());
    }
    let (h, d) = (stats(host_1).mean, stats(direct_1).mean);
    row(
        "write-encounter, 1 in flight: host + adapter",
        us(h) / 1e3,
        "ms mean",
        Goal::None,
    );
    row(
        "… the same HTTP requests made directly",
        us(d) / 1e3,
        "ms mean",
        Goal::None,
    );
    row(
        "… host ÷ direct, 1 in flight",
        us(h) / us(d),
        "×",
        Goal::AtMost(1.10),
    );

    // 16 in flight: rounds of 16 × `per` writes, host and direct alternating.
    let (mut host_16, mut direct_16) = (Duration::ZERO, Duration::ZERO);
    let per = (n / 16).max(4);
    for round in 0..4 {
        let t = Instant::now();
        in_flight(16, per, |k| write(format!("bench-host-16-{round}-{k}"))).await;
        host_16 += t.elapsed();
        let t = Instant::now();
        in_flight(16, per, |k| direct(format!("bench-direct-16-{round}-{k}"))).await;
        direct_16 += t.elapsed();
    }
    let count = (4 * 16 * per) as f64;
    let (h, d) = (
        count / host_16.as_secs_f64(),
        count / direct_16.as_secs_f64(),
    );
    row(
        "write-encounter, 16 in flight: host + adapter",
        h,
        "writes/s",
        Goal::None,
    );
    row(
        "… the same HTTP requests made directly",
        d,
        "writes/s",
        Goal::None,
    );
    row(
        "… host ÷ direct time, 16 in flight",
        d / h,
        "×",
        Goal::AtMost(1.10),
    );
}

/// Runs `tasks` tasks, each making `per` calls of `call` one after another.
async fn in_flight<F, Fut>(tasks: usize, per: usize, call: F)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut handles = Vec::new();
    for t in 0..tasks {
        let calls: Vec<Fut> = (0..per).map(|i| call(t * per + i)).collect();
        handles.push(tokio::spawn(async move {
            for c in calls {
                c.await;
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
}
