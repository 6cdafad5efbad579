//! Shared by the hot-reload tests that run the agent as a process (`ehr-host run`) or
//! look at what it wrote: its status file, `ehr-host list`, jobs submitted through the
//! command line.

#![allow(dead_code)] // each test file uses its own part

use ehr_e2e::{ehr_host_bin, fixture, TestHome};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long any wait in these tests lasts at most.
pub const WAIT: Duration = Duration::from_secs(60);

/// misbehaving in `relay` mode against the sandbox at `url` (every write does one GET of
/// `/api/v1/patients/<job id>`, so the sandbox's log shows each write), plus `extra`
/// settings lines.
pub fn relay_config(url: &str, extra: &str) -> String {
    format!(
        "[adapters.misbehaving]\nhttp = [\"{url}\"]\n\n[adapters.misbehaving.settings]\nmode = \"relay\"\nurl = \"{url}/api/v1/patients/\"\n{extra}\n"
    )
}

/// `ehr-host run` on a home, killed with SIGKILL (by its own pid) when dropped.
pub struct AgentProcess {
    child: Child,
    /// Its standard output (the events it printed).
    pub log: PathBuf,
}

impl AgentProcess {
    /// Starts the agent with quick intervals and the given extra arguments; its output
    /// goes to `agent-<n>.log` in the home.
    pub fn start(home: &TestHome, extra: &[&str]) -> AgentProcess {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log = home.dir.path().join(format!("agent-{n}.log"));
        // A killed agent leaves its last status behind; the tests read the new one's.
        let _ = std::fs::remove_file(home.dir.path().join("agent-status.json"));
        let child = Command::new(ehr_host_bin())
            .args(["run", "--watch-interval", "50ms", "--jobs-interval", "50ms"])
            .args(extra)
            .env("EHR_HOST_HOME", home.dir.path())
            .env_remove("EHR_HOST_LOG")
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        AgentProcess { child, log }
    }

    /// SIGKILL, as a crash or a power cut would stop it; waits until it is gone.
    pub fn kill_9(mut self) -> String {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The agent's status file, once it can be read.
pub fn status(home: &TestHome) -> serde_json::Value {
    std::fs::read(home.dir.path().join("agent-status.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Waits until the agent's status file satisfies `ok`; fails naming `what` with the last
/// status seen.
pub fn wait_status(
    home: &TestHome,
    what: &str,
    ok: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let until = Instant::now() + WAIT;
    loop {
        let s = status(home);
        if ok(&s) {
            return s;
        }
        assert!(Instant::now() < until, "never saw {what}; status: {s:#}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// What the agent's status says about misbehaving.
pub fn adapter(s: &serde_json::Value) -> &serde_json::Value {
    &s["adapters"]["misbehaving"]
}

/// The version the agent's status says serves misbehaving.
pub fn serving(s: &serde_json::Value) -> Option<&str> {
    adapter(s)["serving"]["version"].as_str()
}

/// `ehr-host list --json`'s line for misbehaving.
pub fn listed(home: &TestHome) -> serde_json::Value {
    let (code, out, err) = home.cli(&["list", "--json"]);
    assert_eq!(code, 0, "ehr-host list failed: {err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "misbehaving")
        .cloned()
        .unwrap_or_default()
}

/// Asserts that the store (`ehr-host list`), the agent's status and what it serves name
/// the same version, `version`.
pub fn all_agree(home: &TestHome, version: &str) {
    let s = wait_status(home, &format!("serving {version}"), |s| {
        serving(s) == Some(version)
    });
    assert_eq!(adapter(&s)["store_version"], version, "{s:#}");
    assert_eq!(listed(home)["version"], version);
}

/// Submits the snapshot fixture as job `id` for misbehaving with `ehr-host jobs submit`.
pub fn submit(home: &TestHome, id: &str) {
    let mut s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap())
            .unwrap();
    s["job_id"] = id.into();
    let path = home.dir.path().join(format!("{id}.json"));
    std::fs::write(&path, s.to_string()).unwrap();
    let (code, _, err) = home.cli(&["jobs", "submit", "misbehaving", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
}

/// The job's status once it has left pending and claimed (waits for it).
pub fn settled(home: &TestHome, id: &str) -> String {
    let until = Instant::now() + WAIT;
    loop {
        let (_, out, _) = home.cli(&["jobs", "show", id, "--json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        let status = v["job"]["status"].as_str().unwrap_or("").to_string();
        if !status.is_empty() && status != "pending" && status != "claimed" {
            return status;
        }
        assert!(Instant::now() < until, "job {id} never settled: {out}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Submits job `id` and waits for its outcome.
pub fn run_job(home: &TestHome, id: &str) -> String {
    submit(home, id);
    settled(home, id)
}

/// The package of a built misbehaving version, signed with the home's key, as a file.
pub async fn package_file(home: &TestHome, component: &str) -> String {
    let path = home.dir.path().join(format!("{component}.ehrpkg"));
    std::fs::write(&path, home.package(component).await).unwrap();
    path.to_string_lossy().into_owned()
}

/// Waits until job `id` — failed as an adapter bug on a version that was then rolled
/// back — has been given back to the queue once and written by the version serving now.
pub fn given_back_and_written(home: &TestHome, id: &str) {
    let until = Instant::now() + WAIT;
    loop {
        let (_, out, _) = home.cli(&["jobs", "show", id, "--json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        let status = v["job"]["status"].as_str().unwrap_or("");
        if status.starts_with("succeeded") {
            assert_eq!(
                v["job"]["given_back"], true,
                "{id} succeeded without being given back: {out}"
            );
            return;
        }
        assert!(
            Instant::now() < until,
            "job {id} was not given back and written: {out}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Submits job `id`, which fails as an adapter bug and makes the version on probation
/// roll back; returns once the rollback happened (the job itself is then given back).
pub fn last_straw(home: &TestHome, id: &str) {
    submit(home, id);
    let until = Instant::now() + WAIT;
    while listed(home)["version"] != "0.1.0" {
        assert!(Instant::now() < until, "{id} did not roll the version back");
        std::thread::sleep(Duration::from_millis(50));
    }
}
