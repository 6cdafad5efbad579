//! WireMock, the third-party HTTP mock server (npm package `wiremock`, run on the
//! machine's Java), for HTTP-level faults our own sandbox does not produce the same way:
//! malformed and empty responses, resets from a foreign stack, fixed delays, and stubbed
//! statuses — in front of the sandbox as a proxy, so everything not stubbed still
//! reaches a real EHR imitation.
//!
//! `tests/setup.sh` installs it into `tests/.tools/wiremock`. A missing install or a
//! missing `java` fails the test with the command that fixes it; it never skips.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Where `tests/setup.sh` installs the npm package.
pub fn install_dir() -> PathBuf {
    crate::root().join("tests/.tools/wiremock")
}

/// The standalone jar shipped inside the npm package.
pub fn jar() -> PathBuf {
    let build = install_dir().join("node_modules/wiremock/build");
    let found = std::fs::read_dir(&build).ok().and_then(|entries| {
        entries.filter_map(|e| e.ok().map(|e| e.path())).find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("wiremock-standalone-") && n.ends_with(".jar"))
        })
    });
    found.unwrap_or_else(|| {
        panic!(
            "WireMock is not installed (no wiremock-standalone-*.jar in {}): run `bash tests/setup.sh` \
             (it runs `npm install --prefix tests/.tools/wiremock wiremock`)",
            build.display()
        )
    })
}

/// A running WireMock server on a free loopback port, stopped (by PID) when dropped.
pub struct WireMock {
    child: Child,
    port: u16,
    log: crate::TempDir,
    client: reqwest::Client,
}

impl WireMock {
    /// Starts WireMock and waits until its admin API answers.
    pub async fn start() -> WireMock {
        let jar = jar();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = crate::TempDir::new("wiremock");
        let out = std::fs::File::create(log.path().join("wiremock.log")).unwrap();
        let child = Command::new("java")
            .args(["-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar"])
            .arg(&jar)
            .args([
                "--port",
                &port.to_string(),
                "--bind-address",
                "127.0.0.1",
                "--disable-banner",
            ])
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run `java` for WireMock ({e}): install a Java runtime \
                     (`apt-get install openjdk-17-jre-headless`), then `bash tests/setup.sh`"
                )
            });
        let mut wm = WireMock {
            child,
            port,
            log,
            client: reqwest::Client::new(),
        };
        wm.wait_ready().await;
        wm
    }

    async fn wait_ready(&mut self) {
        for _ in 0..600 {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "WireMock exited ({status}) before it was ready:\n{}",
                    self.log_text()
                );
            }
            let health = self
                .client
                .get(format!("{}/__admin/health", self.url()))
                .send()
                .await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "WireMock did not become ready within 60 s:\n{}",
            self.log_text()
        );
    }

    /// What WireMock printed so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.log.path().join("wiremock.log")).unwrap_or_default()
    }

    /// Its base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Adds one stub mapping (WireMock's JSON mapping format).
    pub async fn stub(&self, mapping: serde_json::Value) {
        let r = self
            .client
            .post(format!("{}/__admin/mappings", self.url()))
            .json(&mapping)
            .send()
            .await
            .expect("posting a WireMock mapping");
        assert!(
            r.status().is_success(),
            "WireMock refused mapping {mapping}: {}",
            r.status()
        );
    }

    /// Proxies every request no other stub matches to `upstream` (lowest priority).
    pub async fn proxy_all_to(&self, upstream: &str) {
        self.stub(serde_json::json!({
            "priority": 10,
            "request": {"method": "ANY", "urlPattern": ".*"},
            "response": {"proxyBaseUrl": upstream},
        }))
        .await;
    }
}

impl Drop for WireMock {
    fn drop(&mut self) {
        // Stops exactly the process this handle started, by its PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
