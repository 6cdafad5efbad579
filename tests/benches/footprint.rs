//! `cargo bench -p ehr-e2e --bench footprint`: what the agent costs a practice PC. Starts
//! `ehr-host run` (the real process) with four adapters installed and their compiled code
//! already cached, times it until its job API is up (every adapter loaded and served),
//! and reads its resident memory once it has settled, idle.
//!
//! Prints table rows (`support/table.rs`); needs `bash tests/setup.sh` first.

#[path = "support/table.rs"]
mod table;

use ehr_e2e::TestHome;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use table::{row, stats, Goal};

const ADAPTERS: [&str; 4] = ["revolution", "eyefinity", "crystalpm", "officemate"];

/// Every adapter granted what it needs, pointing at nothing: an idle agent never calls.
const CONFIG: &str = "\
[databases.crystalpm]\ndriver = \"mysql\"\nhost = \"127.0.0.1\"\nport = 1\ndatabase = \"c\"\nuser = \"u\"\npassword = \"p\"\n\n\
[databases.officemate]\ndriver = \"mssql\"\nhost = \"127.0.0.1\"\nport = 1\ndatabase = \"o\"\nuser = \"u\"\npassword = \"p\"\n\n\
[adapters.revolution]\nhttp = [\"http://127.0.0.1:1\"]\n\n\
[adapters.eyefinity]\nhttp = [\"http://127.0.0.1:1\"]\n\n\
[adapters.crystalpm]\ndatabases = [\"crystalpm\"]\n\n\
[adapters.officemate]\ndatabases = [\"officemate\"]\n";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let home = TestHome::new(CONFIG);
    for a in ADAPTERS {
        home.install(a).await;
    }
    // The first start after install may still write caches; time the ones after it.
    start_and_measure(&home, Duration::ZERO);
    let mut starts = Vec::new();
    for _ in 0..5 {
        starts.push(start_and_measure(&home, Duration::ZERO).0);
    }
    let (_, rss) = start_and_measure(&home, Duration::from_secs(3));
    let s = stats(starts);
    row(
        "agent start, 4 adapters, warm code cache",
        s.p50.as_secs_f64() * 1e3,
        "ms p50",
        Goal::AtMost(150.0),
    );
    row(
        "agent idle resident memory (RSS)",
        rss as f64 / 1024.0,
        "MB",
        Goal::AtMost(40.0),
    );
}

/// The release build of `ehr-host`: what a practice runs (the debug build the tests use
/// is several times slower to start).
fn release_bin() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| ehr_e2e::root().join("target"));
    let bin = target.join("release/ehr-host");
    assert!(
        bin.is_file(),
        "{} is missing: build it with `cargo build --release -p ehr-host` (tests/bench.sh does)",
        bin.display()
    );
    bin
}

/// Starts the agent, waits for its job API line, lets it idle `settle`, reads its RSS
/// (KiB), and stops it.
fn start_and_measure(home: &TestHome, settle: Duration) -> (Duration, u64) {
    let t = Instant::now();
    let mut child = Command::new(release_bin())
        .args(["run", "--jobs-interval", "1s"])
        .env("EHR_HOST_HOME", home.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting ehr-host run");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = loop {
        match lines.next() {
            Some(Ok(line)) if line.starts_with("jobs API:") => break t.elapsed(),
            Some(Ok(_)) => {}
            other => panic!("the agent stopped before its job API was up: {other:?}"),
        }
    };
    std::thread::sleep(settle);
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status");
    let served =
        std::fs::read_to_string(home.dir.path().join("agent-status.json")).unwrap_or_default();
    for a in ADAPTERS {
        assert!(
            settle.is_zero() || served.contains(a),
            "{a} not served: {served}"
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();
    (started, rss)
}
