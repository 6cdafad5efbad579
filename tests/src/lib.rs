//! Support for the end-to-end tests: the built adapter components, throw-away host homes
//! with a trusted test publisher, and the `ehr-host` binary.
//!
//! The components and the binary are built by `tests/run.sh` before the tests run; when
//! one is missing the test fails with the command that builds it, never skips.

#![warn(missing_docs)]

pub mod cloud;
pub mod faults;
pub mod gives_back;
pub mod hub;
pub mod noop;
pub mod wine;
pub mod wiremock;

pub mod iridium;
pub mod mariadb;
pub mod paused;
pub mod postgres;
pub mod schedule_cases;
pub mod signals;

use ehr_host::home::Home;
use ehr_host::host::Host;
use ehr_host::package::{SecretKey, TrustStore};
use ehr_host::registry::publish::RegistryDir;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Where a built adapter component is (`revolution`, `eyefinity`, `misbehaving`).
pub fn component_path(name: &str) -> PathBuf {
    target_dir().join(format!("wasm32-wasip2/release/{name}.wasm"))
}

/// The bytes of a built adapter component (`revolution`, `eyefinity`, `misbehaving`).
pub fn component(name: &str) -> Vec<u8> {
    let path = component_path(name);
    std::fs::read(&path).unwrap_or_else(|_| {
        panic!(
            "adapter component {} is missing: build it with `bash tests/setup.sh` \
             (or `cargo build --release --target wasm32-wasip2 -p {name}`)",
            path.display()
        )
    })
}

/// The `ehr-host` binary.
pub fn ehr_host_bin() -> PathBuf {
    let path = target_dir().join("debug/ehr-host");
    assert!(
        path.is_file(),
        "{} is missing: build it with `cargo build -p ehr-host` (tests/run.sh does)",
        path.display()
    );
    path
}

/// A fresh directory under the system temp dir, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory.
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("ehr-e2e-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A host home with a trusted test publisher key.
pub struct TestHome {
    /// The directory (removed on drop).
    pub dir: TempDir,
    /// The trusted publisher's secret key.
    pub key: SecretKey,
}

impl TestHome {
    /// A new home trusting a fresh key, with `config` (TOML) as its config file.
    pub fn new(config: &str) -> TestHome {
        TestHome::at(TempDir::new("home"), config)
    }

    fn at(dir: TempDir, config: &str) -> TestHome {
        let key = SecretKey::generate().unwrap();
        let mut trust = TrustStore::load(&dir.path().join("trust.json")).unwrap();
        trust.add(&key.public(), "e2e publisher").unwrap();
        trust.save().unwrap();
        // Private, as the host asks of a config holding inline secrets (a readable one is
        // warned about at every start; `hostile_secrets.rs` tests that warning itself).
        let path = dir.path().join("config.toml");
        std::fs::write(&path, config).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        TestHome { dir, key }
    }

    /// The home.
    pub fn home(&self) -> Home {
        Home::new(self.dir.path())
    }

    /// Opens the host on this home.
    pub fn host(&self) -> Host {
        Host::open(self.home()).unwrap()
    }

    /// Signs a built component with the trusted key; returns the package bytes.
    pub async fn package(&self, component_name: &str) -> Vec<u8> {
        self.host()
            .sign_component(component(component_name), &self.key)
            .await
            .unwrap()
            .1
    }

    /// Signs and installs a built component.
    pub async fn install(&self, component_name: &str) {
        let bytes = self.package(component_name).await;
        self.host().install(&bytes).await.unwrap();
    }

    /// Runs `ehr-host` with this home; returns (exit code, stdout, stderr).
    pub fn cli(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(ehr_host_bin())
            .args(args)
            .env("EHR_HOST_HOME", self.dir.path())
            .env_remove("EHR_HOST_LOG")
            .output()
            .expect("running ehr-host");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// The config for the revolution adapter against a sandbox at `url`, with `credentials`
/// as the TOML of its credential entries.
pub fn revolution_config(url: &str, credentials: &str) -> String {
    format!(
        "[limits]\ntimeout_secs = 10\n\n[adapters.revolution]\nhttp = [\"{url}\"]\n\n[adapters.revolution.settings]\nbase_url = \"{url}\"\n\n{credentials}\n"
    )
}

/// A bearer credential entry for `url`.
pub fn bearer(url: &str, token: &str) -> String {
    format!("[[adapters.revolution.credentials]]\norigin = \"{url}\"\nkind = \"bearer\"\ntoken = \"{token}\"\n")
}

/// An OAuth2 client-credentials entry for `url` (the sandbox's default client).
pub fn oauth2(url: &str) -> String {
    format!(
        "[[adapters.revolution.credentials]]\norigin = \"{url}\"\nkind = \"oauth2\"\ntoken_url = \"{url}/oauth/token\"\nclient_id = \"ehr-host\"\nclient_secret = \"sandbox-secret\"\n"
    )
}

/// The path of a fixture file in `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// The snapshot fixture `name`, changed by `edit`, written as `snapshot.json` in `dir`;
/// returns its path.
pub fn edited_fixture(dir: &TempDir, name: &str, edit: impl Fn(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap();
    edit(&mut v);
    let p = dir.path().join("snapshot.json");
    std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
    p.to_string_lossy().into_owned()
}

/// The line for field `id` in a `--json` write report; fails naming the field if absent.
pub fn report_field<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == id)
        .unwrap_or_else(|| panic!("no report line for {id}: {report}"))
}

/// A registry folder signed by one fresh registry key, valid for a day.
pub struct TestRegistry {
    /// Holds the registry folder (removed on drop).
    pub dir: TempDir,
    /// The registry key.
    pub key: SecretKey,
    /// The registry.
    pub reg: RegistryDir,
}

impl TestRegistry {
    /// A new, empty registry.
    pub fn new() -> TestRegistry {
        let dir = TempDir::new("registry");
        let key = SecretKey::generate().unwrap();
        let day = std::time::Duration::from_secs(86_400);
        let reg = RegistryDir::init(&dir.path().join("reg"), &[&key], 1, day, day).unwrap();
        TestRegistry { dir, key, reg }
    }

    /// The registry folder (what `registry add` takes).
    pub fn path(&self) -> String {
        self.reg.path().to_string_lossy().into_owned()
    }

    /// Publishes package bytes, signing the index with the registry key.
    pub fn publish(&self, package: &[u8]) {
        self.reg
            .publish(
                package,
                &[&self.key],
                std::time::Duration::from_secs(86_400),
            )
            .unwrap();
    }

    /// A file inside the registry folder.
    pub fn file(&self, rel: &str) -> PathBuf {
        self.reg.path().join(rel)
    }

    /// Serves the registry over HTTP on loopback (in this process); returns its URL and
    /// the server task (abort it to take the registry offline).
    pub async fn serve(&self) -> (String, tokio::task::JoinHandle<anyhow::Result<()>>) {
        let (listener, addr) = ehr_host::registry::serve::bind(0).await.unwrap();
        let task = tokio::spawn(ehr_host::registry::serve::serve(
            listener,
            self.reg.path().to_path_buf(),
        ));
        (format!("http://{addr}/"), task)
    }
}

impl Default for TestRegistry {
    fn default() -> Self {
        Self::new()
    }
}

/// A report of job `id`: one field written by `revolution 0.1.0`, for queue tests that
/// record outcomes without running an adapter.
pub fn sample_report(id: &str) -> ehr_host::report::WriteReport {
    use ehr_host::report::{AdapterRef, FieldLine, FieldOutcome, WriteReport};
    let line = FieldLine {
        field: "iop.od".into(),
        outcome: FieldOutcome::Written {
            target: Some("exam.iop".into()),
        },
        warnings: vec![],
    };
    let adapter = AdapterRef {
        id: "revolution".into(),
        version: semver::Version::new(0, 1, 0),
        hash: "0".repeat(64),
    };
    WriteReport::from_lines(id, adapter, "E5001", vec![line], None)
}
