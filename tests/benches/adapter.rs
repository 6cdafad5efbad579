//! `cargo bench -p ehr-e2e --bench adapter`: what the WebAssembly layer costs.
//!
//! 1. `describe`: a fresh store + instance + call, the fixed cost every call pays.
//! 2. `write-encounter` through the host against the RevolutionEHR sandbox, versus the
//!    very same HTTP requests made directly with reqwest (same methods, paths and bodies,
//!    taken from what the adapter wrote). The ratio is the cost of the adapter layer.
//!
//! Prints figures and ratios; needs `bash tests/setup.sh` first (the built component).

use ehr_e2e::{bearer, fixture, revolution_config, TestHome};
use ehr_sandbox::{Sandbox, SandboxConfig};
use std::time::{Duration, Instant};

fn stats(name: &str, mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let n = samples.len();
    let mean = samples.iter().sum::<Duration>() / n as u32;
    let p = |q: f64| samples[((n as f64 * q) as usize).min(n - 1)];
    println!(
        "{name:44} n={n:4}  mean {:>9.3} ms  p50 {:>9.3} ms  p95 {:>9.3} ms",
        ms(mean),
        ms(p(0.5)),
        ms(p(0.95))
    );
    mean
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let iterations: usize = std::env::var("BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let home = TestHome::new(&revolution_config(&url, &bearer(&url, "sandbox-token")));
    home.install("revolution").await;
    let host = home.host();
    let adapter = host.load("revolution").unwrap();

    adapter.describe().await.unwrap();
    let mut describe = Vec::new();
    for _ in 0..iterations * 2 {
        let t = Instant::now();
        adapter.describe().await.unwrap();
        describe.push(t.elapsed());
    }
    stats("instantiate + describe (fresh store)", describe);

    let text = std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap();
    let snapshot = ehr_host::snapshot::parse(&text).unwrap();
    let mut via_host = Vec::new();
    for i in 0..iterations {
        let mut s = snapshot.clone();
        s.job_id = format!("bench-host-{i}");
        let t = Instant::now();
        adapter.write_encounter(s).await.unwrap();
        via_host.push(t.elapsed());
    }

    // Replay the same requests directly: one write's log gives methods and paths, the
    // sandbox's stored state gives the exact bodies.
    let state = sandbox.state();
    let e = &state.encounters["E5001"];
    let one_write: Vec<_> = state
        .requests
        .iter()
        .skip_while(|r| r.idempotency_key.is_some() || r.method != "GET")
        .take_while(|r| {
            r.idempotency_key
                .as_deref()
                .is_none_or(|k| k.starts_with("bench-host-0:"))
        })
        .cloned()
        .collect();
    let client = reqwest::Client::new();
    let body_for = |path: &str| -> Option<serde_json::Value> {
        if let Some(section) = path.split("/exam/").nth(1) {
            return Some(e.sections[section].clone());
        }
        if path.ends_with("/diagnoses") {
            return Some(serde_json::to_value(&e.diagnoses).unwrap());
        }
        if path.ends_with("/notes") {
            return Some(serde_json::json!({"text": e.notes[0].text}));
        }
        None
    };
    let mut direct = Vec::new();
    for i in 0..iterations {
        let t = Instant::now();
        for r in &one_write {
            let method: reqwest::Method = r.method.parse().unwrap();
            let mut req = client
                .request(method, format!("{url}{}", r.path))
                .bearer_auth("sandbox-token");
            if let Some(body) = body_for(&r.path).filter(|_| r.method != "GET") {
                req = req
                    .json(&body)
                    .header("idempotency-key", format!("bench-direct-{i}:{}", r.path));
            }
            let resp = req.send().await.unwrap();
            assert!(
                resp.status().is_success(),
                "{} {} -> {}",
                r.method,
                r.path,
                resp.status()
            );
            resp.bytes().await.unwrap();
        }
        direct.push(t.elapsed());
    }
    println!("one write = {} HTTP requests", one_write.len());
    let h = stats("write-encounter through host + adapter", via_host);
    let d = stats("same HTTP requests made directly", direct);
    println!(
        "ratio host/direct: {:.2}x (the cost of the WebAssembly layer per write: {:.3} ms)",
        ms(h) / ms(d),
        ms(h) - ms(d)
    );
}
