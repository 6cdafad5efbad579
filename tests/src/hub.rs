//! A hub and agents as real processes on loopback: `ehr-host hub serve` on a home of its
//! own (fast intervals, a port chosen up front so a restarted hub keeps its address),
//! the operator's commands through the CLI, the intake API over HTTPS with the hub's
//! certificate pinned, and `ehr-host run` agents paired with `ehr-host pair`. Processes
//! are stopped (SIGKILL) when dropped; their homes are removed.

use crate::mariadb::free_port;
use crate::{ehr_host_bin, fixture, TestHome};
use ehr_host::link::pin::Fingerprint;
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The intervals tests run with: heartbeats every second, polls held 10 s, leases of 6 s
/// (renewed every 2 s), so lapses and reconnections happen within seconds.
pub const FAST: &[&str] = &["--heartbeat", "1s", "--poll", "10s", "--lease", "6s"];

/// Runs `ehr-host` with `home`; returns (exit code, stdout, stderr).
pub fn ehr_host(home: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(ehr_host_bin())
        .args(args)
        .env("EHR_HOST_HOME", home)
        .env_remove("EHR_HOST_LOG")
        .env_remove("EHR_HUB_DB")
        .output()
        .expect("running ehr-host");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A hub process.
pub struct HubProc {
    /// Its home (cloud adapters installed there are written by the hub).
    pub home: TestHome,
    args: Vec<String>,
    db: Option<String>,
    port: u16,
    child: Option<Child>,
    starts: u32,
}

impl HubProc {
    /// Starts `hub serve` on `home` with [`FAST`] intervals, `db` (PostgreSQL) when
    /// given, and `extra` arguments; waits until it answers.
    pub fn start(home: TestHome, db: Option<&str>, extra: &[&str]) -> HubProc {
        let mut args: Vec<String> = FAST.iter().chain(extra).map(|s| s.to_string()).collect();
        args.extend(["--workers", "2", "--worker-lease", "6s"].map(String::from));
        let mut hub = HubProc {
            home,
            args,
            db: db.map(str::to_string),
            port: free_port(),
            child: None,
            starts: 0,
        };
        hub.restart();
        hub
    }

    fn dir(&self) -> &Path {
        self.home.dir.path()
    }

    /// Starts the (killed) hub again on the same home and port.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "the hub is running");
        let url_file = self.dir().join("hub.url");
        let _ = std::fs::remove_file(&url_file);
        self.starts += 1;
        let log =
            std::fs::File::create(self.dir().join(format!("hub-{}.log", self.starts))).unwrap();
        let mut cmd = Command::new(ehr_host_bin());
        cmd.arg("-v")
            .args([
                "hub",
                "serve",
                "--addr",
                &format!("127.0.0.1:{}", self.port),
            ])
            .args(&self.args);
        if let Some(db) = &self.db {
            cmd.args(["--db", db]);
        }
        let child = cmd
            .env("EHR_HOST_HOME", self.dir())
            .env_remove("EHR_HUB_DB")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("starting ehr-host hub serve");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !url_file.exists() {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("the hub exited with {status}: {}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "the hub did not start within 60s: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the hub at once (SIGKILL).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Everything the hub printed, all starts.
    pub fn log(&self) -> String {
        (1..=self.starts)
            .map(|n| {
                std::fs::read_to_string(self.dir().join(format!("hub-{n}.log"))).unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("\n--- restart ---\n")
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// Its certificate's fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        ehr_host::hub::tls::fingerprint_file(&self.dir().join("hub-cert.pem"))
            .expect("the hub made its certificate")
    }

    /// Runs `ehr-host hub ARGS` on the hub's home (and database).
    pub fn cli(&self, args: &[&str]) -> (i32, String, String) {
        let mut all = vec!["hub"];
        all.extend(args);
        if let Some(db) = &self.db {
            all.extend(["--db", db]);
        }
        ehr_host(self.dir(), &all)
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.cli(args);
        assert_eq!(code, 0, "hub {args:?}: {out}{err}");
        out
    }

    /// Adds practice `id`.
    pub fn practice(&self, id: &str) {
        self.ok(&["practice", "add", id, "--name", &format!("{id} eye care")]);
    }

    /// A new API key for `practice`.
    pub fn api_key(&self, practice: &str) -> String {
        self.ok(&["api-key", "create", "--practice", practice])
            .trim()
            .to_string()
    }

    /// A new pairing code for `practice`, valid for `ttl` (`15m`).
    pub fn pair_code(&self, practice: &str, ttl: &str) -> String {
        self.ok(&["pair-code", "--practice", practice, "--ttl", ttl])
            .trim()
            .to_string()
    }

    /// `hub agents --json`.
    pub fn agents(&self) -> Vec<Value> {
        serde_json::from_str(&self.ok(&["agents", "--json"])).unwrap()
    }

    /// The intake API.
    pub fn api(&self, key: &str) -> Intake {
        Intake {
            http: ehr_host::link::client::http(Some(self.fingerprint())).unwrap(),
            base: self.url(),
            key: key.to_string(),
        }
    }
}

impl Drop for HubProc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The intake API as the scribe platform calls it.
pub struct Intake {
    /// A client pinned to the hub's certificate.
    pub http: reqwest::Client,
    /// The hub's URL.
    pub base: String,
    /// The practice's API key.
    pub key: String,
}

impl Intake {
    /// `METHOD /api/v1/PATH` with `body`; returns the status and the JSON answer (Null
    /// when empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}/api/v1/{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.expect("the hub answers");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            },
        )
    }

    /// Submits a job; returns the status and answer.
    pub async fn submit(&self, ehr: &str, snapshot: &Value) -> (u16, Value) {
        self.call(
            reqwest::Method::POST,
            "jobs",
            Some(&serde_json::json!({"ehr": ehr, "snapshot": snapshot})),
        )
        .await
    }

    /// One job's view (panics unless 200).
    pub async fn job(&self, id: &str) -> Value {
        let (status, v) = self
            .call(reqwest::Method::GET, &format!("jobs/{id}"), None)
            .await;
        assert_eq!(status, 200, "{v}");
        v
    }

    /// Waits (up to `limit`) until job `id` is in a final state; returns its view.
    pub async fn settled(&self, id: &str, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let v = self.job(id).await;
            let s = v["job"]["status"].as_str().unwrap().to_string();
            if !matches!(s.as_str(), "pending" | "claimed") {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "job {id} still {s} after {limit:?}: {v}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// An agent process (`ehr-host run`) on a home with its adapters and EHR configured.
pub struct AgentProc {
    /// Its home.
    pub home: TestHome,
    child: Option<Child>,
    starts: u32,
}

impl AgentProc {
    /// An agent on `home`, not yet paired or started.
    pub fn new(home: TestHome) -> AgentProc {
        AgentProc {
            home,
            child: None,
            starts: 0,
        }
    }

    /// `ehr-host pair CODE --hub URL --fingerprint F`.
    pub fn pair(&self, hub: &HubProc, code: &str) -> (i32, String, String) {
        let fp = hub.fingerprint().to_string();
        self.home.cli(&[
            "pair",
            code,
            "--hub",
            &hub.url(),
            "--fingerprint",
            &fp,
            "--name",
            "front desk",
        ])
    }

    /// Starts `ehr-host run`.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "the agent is running");
        self.starts += 1;
        let log = std::fs::File::create(
            self.home
                .dir
                .path()
                .join(format!("agent-{}.log", self.starts)),
        )
        .unwrap();
        let child = Command::new(ehr_host_bin())
            .args([
                "-v",
                "run",
                "--jobs-interval",
                "100ms",
                "--ehr-check-interval",
                "1s",
                "--lease",
                "10s",
            ])
            .env("EHR_HOST_HOME", self.home.dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("starting ehr-host run");
        self.child = Some(child);
    }

    /// Kills the agent at once (SIGKILL).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Everything the agent printed, all starts.
    pub fn log(&self) -> String {
        (1..=self.starts)
            .map(|n| {
                std::fs::read_to_string(self.home.dir.path().join(format!("agent-{n}.log")))
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("\n--- restart ---\n")
    }

    /// `ehr-host status --json`: the exit code and the status.
    pub fn status(&self) -> (i32, Value) {
        let (code, out, err) = self.home.cli(&["status", "--json"]);
        (
            code,
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("status --json: {e}: {out}{err}")),
        )
    }

    /// Waits (up to `limit`) until `ehr-host status` satisfies `pred`; returns it.
    pub async fn wait_status(&self, limit: Duration, pred: impl Fn(i32, &Value) -> bool) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let (code, v) = self.status();
            if pred(code, &v) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "status not as expected after {limit:?}: {v}\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for AgentProc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The local-EHR snapshot fixture (encounter 5001 of patient 1001) as job `id`, with
/// `note` as its notes (so each job's write is told apart in the EHR).
pub fn local_snapshot(id: &str, note: &str) -> Value {
    let mut v: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("snapshot-local-5001.json")).unwrap(),
    )
    .unwrap();
    v["job_id"] = id.into();
    v["fields"]["notes"] = note.into();
    v
}

/// The RevolutionEHR snapshot fixture (encounter E5001) as job `id` with `note`.
pub fn cloud_snapshot(id: &str, note: &str) -> Value {
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap())
            .unwrap();
    v["job_id"] = id.into();
    v["fields"]["notes"] = note.into();
    v
}

/// A home with the crystalpm adapter installed, granted the MariaDB at `section`
/// (`MariaDb::config_section`).
pub async fn crystalpm_home(section: &str) -> TestHome {
    let home = TestHome::new(&format!("[limits]\ntimeout_secs = 60\n\n{section}\n[adapters.crystalpm]\ndatabases = [\"crystalpm\"]\n"));
    home.install("crystalpm").await;
    home
}

/// A home with the officemate adapter installed, granted the emulator at `section`.
pub async fn officemate_home(section: &str) -> TestHome {
    let home = TestHome::new(&format!("[limits]\ntimeout_secs = 60\n\n{section}\n[adapters.officemate]\ndatabases = [\"officemate\"]\n"));
    home.install("officemate").await;
    home
}
