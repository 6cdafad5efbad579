//! The operator console in a real browser: Debian's Chromium driven by playwright-core
//! (`tests/browser/console.mjs`) against a real hub process writing to the RevolutionEHR
//! sandbox. An operator logs in, sees a job that failed on a sandbox fault with its
//! reason, fixes the sandbox, presses Retry and watches the job turn green; cancels a
//! job through the confirm step; a POST without the session's CSRF token is refused; a
//! practice user (on a phone-sized window) cannot open another practice's job.
//! Screenshots go to `target/console-screenshots/`. `bash tests/setup.sh` installs
//! Chromium and the script's npm packages; without them this test fails saying so.

use ehr_e2e::hub::{cloud_snapshot, local_snapshot, HubProc};
use ehr_e2e::{ehr_host_bin, root, TestHome};
use ehr_sandbox::{Fault, FaultMode, Sandbox, SandboxConfig};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";

fn browser_dir() -> PathBuf {
    root().join("tests/browser")
}

fn screenshots() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("console-screenshots")
}

/// Fails loudly, with the command that fixes it, when the browser or the script's
/// packages are missing.
fn require_browser() {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: install Debian's Chromium with `apt-get install -y chromium` \
         (or run `bash tests/setup.sh`)"
    );
    assert!(
        browser_dir().join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: run `cd tests/browser && npm ci` (or `bash tests/setup.sh`)"
    );
}

/// `ehr-host hub user add NAME ROLE...` with the password on standard input.
fn add_user(hub: &HubProc, name: &str, role: &[&str], password: &str) {
    let mut child = Command::new(ehr_host_bin())
        .args(["hub", "user", "add", name])
        .args(role)
        .env("EHR_HOST_HOME", hub.home.dir.path())
        .env_remove("EHR_HUB_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "hub user add {name}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_and_practice_user_in_a_real_browser() {
    require_browser();
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    // Every exam write is refused for a missing permission until the test clears it.
    sandbox.set_fault(
        Fault::new(FaultMode::Forbidden {
            missing_permission: Some("exam.write".into()),
        })
        .on_path("/exam/"),
    );
    let home = TestHome::new(&ehr_e2e::revolution_config(
        &url,
        &ehr_e2e::bearer(&url, "sandbox-token"),
    ));
    home.install("revolution").await;
    let hub = HubProc::start(home, None, &[]);
    hub.practice("east");
    hub.practice("west");
    add_user(&hub, "olga", &["--operator"], "operator password 1");
    add_user(&hub, "wes", &["--practice", "west"], "west front desk 2");
    let (code, out, err) = hub.cli(&["user", "add", "nobody", "--practice", "nowhere"]);
    assert_ne!(
        code, 0,
        "a user of an unknown practice is refused: {out}{err}"
    );

    let east = hub.api(&hub.api_key("east"));
    let west = hub.api(&hub.api_key("west"));
    let (s, v) = east
        .submit("revolution", &cloud_snapshot("J-FAIL", "console retry"))
        .await;
    assert_eq!(s, 201, "{v}");
    let failed = east.settled("J-FAIL", Duration::from_secs(60)).await;
    assert_eq!(failed["job"]["status"], "failed", "{failed}");
    // No agent is paired, so these wait.
    for (api, id) in [(&east, "J-CANCEL"), (&east, "J-CSRF"), (&west, "J-WEST")] {
        let (s, v) = api.submit("crystalpm", &local_snapshot(id, "waits")).await;
        assert_eq!(s, 201, "{v}");
    }

    let shots = screenshots();
    let _ = std::fs::remove_dir_all(&shots);
    let out = tokio::process::Command::new("node")
        .arg(browser_dir().join("console.mjs"))
        .current_dir(browser_dir())
        .env("HUB_URL", hub.url())
        .env("SANDBOX_URL", &url)
        .env("SHOTS", &shots)
        .env("CHROMIUM", CHROMIUM)
        .env("OPERATOR", "olga")
        .env("OPERATOR_PASSWORD", "operator password 1")
        .env("PRACTICE_USER", "wes")
        .env("PRACTICE_PASSWORD", "west front desk 2")
        .env("FAILED_JOB", "J-FAIL")
        .env("CANCEL_JOB", "J-CANCEL")
        .env("CSRF_JOB", "J-CSRF")
        .env("OTHER_JOB", "J-WEST")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(300), out)
        .await
        .expect("the browser script finished within 5 minutes")
        .expect("running node (install Node.js 20 or newer)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    assert!(
        out.status.success(),
        "the browser script failed: {stdout}{}\n--- hub log ---\n{}",
        String::from_utf8_lossy(&out.stderr),
        hub.log()
    );
    for step in [
        "login",
        "failed-reason",
        "retry-green",
        "cancel",
        "csrf",
        "logout",
        "practice-user",
    ] {
        assert!(
            stdout.contains(&format!("step: {step} ok")),
            "step {step} did not run: {stdout}"
        );
    }

    // What the browser did is what the hub recorded.
    // Written with warnings (blue): the sandbox template skips some of its fields.
    assert_eq!(
        east.job("J-FAIL").await["job"]["status"],
        "succeeded_with_warnings"
    );
    assert_eq!(east.job("J-CANCEL").await["job"]["status"], "cancelled");
    assert_eq!(east.job("J-CSRF").await["job"]["status"], "pending");
    assert_eq!(west.job("J-WEST").await["job"]["status"], "pending");
    let log = hub.log();
    assert!(
        log.contains("job retried by a person in the console"),
        "{log}"
    );
    for name in [
        "03-failed-banner",
        "05-retried-green",
        "06-cancel-confirm",
        "09-other-practice-refused",
    ] {
        let png = std::fs::read(shots.join(format!("{name}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{name}.png is a PNG");
    }
}
