//! Secrets never leave the host, driven through the real `hostile` component and a
//! granted origin that reflects every request header back (the sandbox's
//! `/_sandbox/echo`): the bearer token the host adds comes back to the adapter, which
//! logs it, returns it in errors and reports, raw and base64-encoded as in a Basic header.
//! None of it reaches the CLI's output, the agent's log, or the bytes of any file the
//! host writes, the job store's SQLite database and WAL included. Also: files holding
//! secrets are private, and a config with inline secrets readable by others is flagged.

use base64::Engine as _;
use ehr_e2e::{ehr_host_bin, fixture, TempDir, TestHome};
use ehr_sandbox::{Sandbox, SandboxConfig};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The static token: in an environment variable, so no file of the home holds it.
const TOKEN: &str = "e2e-reflected-token-7Qx9Lm2Pz8Kd";
const TOKEN_ENV: &str = "EHR_E2E_REFLECTED_TOKEN";

fn config(url: &str, mode: &str, credential: &str) -> String {
    format!(
        "[adapters.hostile]\nhttp = [\"{url}\"]\n\n[adapters.hostile.settings]\nmode = \"{mode}\"\n\
         url = \"{url}/_sandbox/echo\"\n\n[[adapters.hostile.credentials]]\norigin = \"{url}\"\n{credential}"
    )
}

fn bearer_env() -> String {
    format!("kind = \"bearer\"\ntoken_env = \"{TOKEN_ENV}\"\n")
}

fn oauth2(url: &str) -> String {
    format!("kind = \"oauth2\"\ntoken_url = \"{url}/oauth/token\"\nclient_id = \"ehr-host\"\nclient_secret = \"sandbox-secret\"\n")
}

/// `ehr-host` with the token in its environment; (exit code, stdout + stderr).
fn cli(home: &TestHome, args: &[&str]) -> (i32, String) {
    let out = Command::new(ehr_host_bin())
        .args(args)
        .env("EHR_HOST_HOME", home.dir.path())
        .env(TOKEN_ENV, TOKEN)
        .env("EHR_HOST_LOG", "debug")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Every form of `secret` the adapter hands back: raw and in its `user:` Basic form.
fn forms(secret: &str) -> Vec<String> {
    let b64 = &base64::engine::general_purpose::STANDARD;
    vec![
        secret.to_string(),
        b64.encode(format!("user:{secret}")),
        b64.encode(secret),
    ]
}

fn assert_clean(what: &str, bytes: &[u8], secret: &str) {
    for form in forms(secret) {
        assert!(
            !bytes.windows(form.len()).any(|w| w == form.as_bytes()),
            "{what} holds the secret (as `{form}`)"
        );
    }
}

/// Every file under `dir`, but the operator's own config.
fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.file_name().is_some_and(|n| n != "config.toml") {
            out.push(path);
        }
    }
}

// `check` and `patient` of an adapter that got the host's static token reflected: the
// EHR's echo is there, the token is not, in any form, in human or JSON output or the
// debug log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reflected_static_token_is_redacted_from_cli_output() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    for mode in ["reflect", "reflect-report"] {
        let home = TestHome::new(&config(&url, mode, &bearer_env()));
        home.install("hostile").await;
        let mut commands = vec![&["check", "hostile"][..], &["check", "hostile", "--json"]];
        if mode == "reflect-report" {
            commands.push(&["patient", "hostile", "P1", "--json"]);
            commands.push(&["schedule", "hostile", "--from", "2026-11-16"]);
        }
        for args in commands {
            let (_, out) = cli(&home, args);
            assert!(
                out.contains("_sandbox/echo"),
                "{mode} {args:?}: the echo did not come back: {out}"
            );
            assert!(out.contains("[redacted]"), "{mode} {args:?}: {out}");
            assert_clean(&format!("{mode} {args:?}"), out.as_bytes(), TOKEN);
        }
    }
}

// The OAuth2 access token the host obtained (the adapter never saw it before the echo)
// is redacted just the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reflected_oauth2_token_is_redacted_from_cli_output() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let home = TestHome::new(&config(&url, "reflect-report", &oauth2(&url)));
    home.install("hostile").await;
    let (code, out) = cli(&home, &["check", "hostile"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Bearer [redacted]"), "{out}");
    assert!(
        !out.contains("rev_"),
        "a sandbox access token leaked: {out}"
    );
    let basic = out.split("basic ").nth(1).unwrap_or("");
    assert!(
        basic.contains("[redacted]"),
        "the Basic form was not redacted: {out}"
    );
}

struct Agent(Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn agent(home: &TestHome, log: &Path) -> Agent {
    Agent(
        Command::new(ehr_host_bin())
            .args([
                "run",
                "--jobs-interval",
                "100ms",
                "--host-id",
                "secrets-test",
            ])
            .env("EHR_HOST_HOME", home.dir.path())
            .env(TOKEN_ENV, TOKEN)
            .env("EHR_HOST_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap(),
    )
}

/// Waits (bounded) until job `id` has settled; its `jobs show --json` then. On time-out
/// the agent's `log` is part of the message.
fn settled(home: &TestHome, id: &str, log: &Path) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, out) = cli(home, &["jobs", "show", id, "--json"]);
        let v: serde_json::Value = serde_json::from_str(
            out.lines()
                .skip_while(|l| !l.starts_with('{'))
                .collect::<Vec<_>>()
                .join("\n")
                .as_str(),
        )
        .unwrap_or_default();
        let status = v["job"]["status"].as_str().unwrap_or("").to_string();
        if !status.is_empty() && status != "pending" && status != "claimed" {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "job {id} did not settle: {out}\nagent log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

// The reflection case end to end: jobs written by the agent against the echo, one
// failing with the echo in its error, one succeeding with it in its report. The token
// is in no byte of any file the host wrote (the SQLite job store and its WAL included,
// where the redacted echo itself is), in the agent's debug log, or in `jobs show`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reflected_token_is_in_no_stored_byte() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let home = TestHome::new(&config(&url, "reflect", &bearer_env()));
    home.install("hostile").await;
    let logs = TempDir::new("secrets-logs");
    let snapshot = std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap();
    for (round, (mode, job)) in [
        ("reflect", "J-REFLECT-ERROR"),
        ("reflect-report", "J-REFLECT-REPORT"),
    ]
    .into_iter()
    .enumerate()
    {
        std::fs::write(
            home.dir.path().join("config.toml"),
            config(&url, mode, &bearer_env()),
        )
        .unwrap();
        let log = logs.path().join(format!("agent-{round}.log"));
        let running = agent(&home, &log);
        let mut s: serde_json::Value = serde_json::from_str(&snapshot).unwrap();
        s["job_id"] = job.into();
        let path = logs.path().join(format!("{job}.json"));
        std::fs::write(&path, s.to_string()).unwrap();
        let (code, out) = cli(
            &home,
            &["jobs", "submit", "hostile", path.to_str().unwrap()],
        );
        assert_eq!(code, 0, "{out}");
        let shown = settled(&home, job, &log).to_string();
        assert!(
            shown.contains("[redacted]"),
            "{mode}: the echo was not kept: {shown}"
        );
        assert_clean(&format!("jobs show {job}"), shown.as_bytes(), TOKEN);
        let (_, human) = cli(&home, &["jobs", "show", job]);
        assert_clean(&format!("jobs show {job} (human)"), human.as_bytes(), TOKEN);
        // Scanned while the agent still holds the store open, so its WAL is there.
        scan_home_with_wal(&home);
        drop(running);
        let log_text = std::fs::read(&log).unwrap();
        assert!(!log_text.is_empty());
        assert_clean(&format!("agent log {round}"), &log_text, TOKEN);
    }
    scan_home(&home);
}

/// Asserts no file of `home` but its config holds the token, and that the job store
/// (database or WAL) holds the redacted echo, so the scan looked where the text went.
fn scan_home(home: &TestHome) {
    let mut all = Vec::new();
    files(home.dir.path(), &mut all);
    let mut redacted_in_store = false;
    for path in &all {
        let bytes = std::fs::read(path).unwrap();
        assert_clean(&path.display().to_string(), &bytes, TOKEN);
        let name = path.file_name().unwrap().to_string_lossy();
        if name.starts_with("jobs.sqlite") && bytes.windows(10).any(|w| w == b"[redacted]") {
            redacted_in_store = true;
        }
    }
    assert!(
        redacted_in_store,
        "the store holds the redacted echo: {all:?}"
    );
}

/// Like [`scan_home`], and the job store's WAL file was among the files scanned.
fn scan_home_with_wal(home: &TestHome) {
    scan_home(home);
    let wal = home.dir.path().join("jobs.sqlite-wal");
    assert!(
        wal.is_file() && wal.metadata().unwrap().len() > 0,
        "no WAL to scan"
    );
}

// Files the host writes that hold secrets are private from creation: the publisher key
// (`keygen`), and the job key and job API token the agent makes on its first start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let home = TestHome::new("");
    let dir = TempDir::new("secret-files");
    let stem = dir.path().join("publisher");
    let (code, out) = cli(&home, &["keygen", stem.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let log = dir.path().join("agent.log");
    let running = agent(&home, &log);
    let token = home.dir.path().join("api.token");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !token.exists() {
        assert!(Instant::now() < deadline, "the agent wrote no api.token");
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(running);
    let secrets = [
        stem.with_extension("key"),
        token,
        home.dir.path().join("jobs.key"),
    ];
    for path in secrets {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
}

// A config.toml holding an inline token that other users can read gets a warning naming
// the file and `chmod 600` whenever the host reads it; made private, the warning goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_readable_config_with_inline_secrets_is_flagged() {
    use std::os::unix::fs::PermissionsExt;
    let home = TestHome::new(&config(
        "http://127.0.0.1:9",
        "ok",
        "kind = \"bearer\"\ntoken = \"inline-token-123\"\n",
    ));
    home.install("hostile").await;
    let path = home.dir.path().join("config.toml");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, out, err) = home.cli(&["check", "hostile"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains(&path.display().to_string()) && err.contains("chmod 600"),
        "{err}"
    );
    assert!(!err.contains("inline-token-123"), "{err}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, _, err) = home.cli(&["check", "hostile"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("chmod 600"), "{err}");
}
