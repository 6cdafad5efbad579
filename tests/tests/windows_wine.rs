//! The Windows agent under Wine: `ehr-host.exe`, cross-built for x86_64-pc-windows-gnu,
//! runs `--version`, `keygen`, `sign`, `trust add`, `verify`, `install` of the real
//! revolution component, `write` of a snapshot to the RevolutionEHR sandbox running
//! natively on loopback, then `status` — the commands a practice's IT runs on Windows.
//!
//! Then practice IT's five minutes (`service_installs_pairs_writes_and_survives_a_restart`):
//! the release archive's `install.cmd` installs the Windows service, pairs it with a hub
//! running natively and waits for green; the service writes a hub job into CrystalPM's
//! MariaDB; it stops cleanly, starts again by itself when the computer boots, and
//! `install.cmd /uninstall` removes it.
//!
//! Needs Wine (Debian's `wine64`), mingw-w64 and the cross-built binary; `bash
//! tests/setup.sh` installs and builds them and makes the tests' Wine prefix. Missing,
//! the test fails with the command that fixes it.

use ehr_e2e::wine::{exe, output, win, Wine};
use ehr_e2e::{bearer, fixture, revolution_config, TempDir};
use ehr_sandbox::{Sandbox, SandboxConfig};
use std::path::Path;

/// Runs `ehr-host.exe ARGS` under Wine with home `home`; (exit code, stdout, stderr).
fn run(home: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Wine::shared()
        .command(&exe().to_string_lossy())
        .args(args)
        .env("EHR_HOST_HOME", win(home))
        .output()
        .expect("running wine");
    output(out)
}

/// [`run`] off the async runtime, so the sandbox keeps serving meanwhile.
async fn run_async(home: &Path, args: &[&str]) -> (i32, String, String) {
    let home = home.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&home, &args)
    })
    .await
    .unwrap()
}

// The whole path a practice's IT takes, by the Windows binary under Wine: keys, signing,
// trust, verification, installation (compiled by the JIT and self-checked), a write that
// lands in the sandbox with an honest report, and the tray's answer from `status`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_agent_installs_and_writes_under_wine() {
    // Fail first, and loudly, when Wine or the binary is missing.
    exe();
    Wine::shared();
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let dir = TempDir::new("wine");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("config.toml"),
        revolution_config(&url, &bearer(&url, "sandbox-token")),
    )
    .unwrap();

    let (code, out, err) = run_async(&home, &["--version"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("ehr-host "), "{out}");

    let stem = dir.path().join("acme");
    let (code, out, err) = run_async(&home, &["keygen", &win(&stem)]).await;
    assert_eq!(code, 0, "keygen: {err}");
    assert!(out.contains("acme.pub"), "{out}");
    let secret = std::fs::read_to_string(stem.with_extension("key")).unwrap();
    assert_eq!(secret.trim().len(), 64, "a 32-byte key in hex: {secret}");

    let component = dir.path().join("revolution.wasm");
    std::fs::write(&component, ehr_e2e::component("revolution")).unwrap();
    let pkg = dir.path().join("revolution.ehrpkg");
    let key = win(&stem.with_extension("key"));
    let (code, out, err) = run_async(
        &home,
        &["sign", &win(&component), "--key", &key, "-o", &win(&pkg)],
    )
    .await;
    assert_eq!(code, 0, "sign: {err}");
    assert!(out.contains("signed revolution"), "{out}");

    let (code, _, err) = run_async(&home, &["verify", &win(&pkg)]).await;
    assert_eq!(code, 3, "an untrusted key must be refused: {err}");
    let public = win(&stem.with_extension("pub"));
    let (code, _, err) = run_async(&home, &["trust", "add", &public, "--name", "Acme"]).await;
    assert_eq!(code, 0, "trust add: {err}");
    let (code, out, err) = run_async(&home, &["verify", &win(&pkg), "--json"]).await;
    assert_eq!(code, 0, "verify: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["publisher"], "Acme");
    assert_eq!(v["manifest"]["id"], "revolution");

    let (code, out, err) = run_async(&home, &["install", &win(&pkg)]).await;
    assert_eq!(code, 0, "install: {out}\n{err}");
    let (code, out, err) = run_async(&home, &["list", "--json"]).await;
    assert_eq!(code, 0, "list: {err}");
    assert!(out.contains("\"revolution\""), "{out}");

    let snapshot = fixture("snapshot-e5001.json");
    let (code, out, err) =
        run_async(&home, &["write", "revolution", &win(&snapshot), "--json"]).await;
    assert_eq!(code, 0, "write: {out}\n{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["outcome"], "succeeded_with_warnings", "{report}");
    assert_eq!(
        ehr_e2e::report_field(&report, "iop.od")["status"],
        "written"
    );
    let state = sandbox.state();
    let e = &state.encounters["E5001"];
    assert_eq!(e.sections["iop"]["iopOd"], 17);
    assert_eq!(e.diagnoses[0].icd10, "H25.13");

    // Not paired and no agent running: the tray would be red, and says why (exit 1).
    let (code, out, err) = run_async(&home, &["status"]).await;
    assert_eq!(code, 1, "status: {out}\n{err}");
    assert!(out.starts_with("Status: "), "{out}");
    let (code, out, err) = run_async(&home, &["status", "--json"]).await;
    assert_eq!(code, 1, "status: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["tray"]["colour"], "red", "{v}");
    assert!(
        v["tray"]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("Agent not running")),
        "{v}"
    );
}

/// `ehr-host.exe` as installed by `install.cmd`, run under `wine` with the service's home.
fn installed(wine: &Wine, args: &[&str]) -> (i32, String, String) {
    let exe = wine.c("Program Files/ehr-host/ehr-host.exe");
    let mut all = vec!["--home", r"C:\ProgramData\ehr-host"];
    all.extend_from_slice(args);
    wine.run(&exe.to_string_lossy(), &all)
}

/// Waits (up to `limit`) until `service status` says `state`; what it said last.
fn wait_service(wine: &Wine, state: &str, limit: std::time::Duration) -> String {
    let deadline = std::time::Instant::now() + limit;
    loop {
        let (_, out, err) = installed(wine, &["service", "status"]);
        if out.contains(state) || std::time::Instant::now() > deadline {
            return format!("{out}{err}");
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

// The seed's five minutes under Wine, with the archive practice IT receives: install.cmd
// installs and starts the service, pairs it (code and fingerprint on its command line)
// and waits for green, which here stops at "connected, but no EHR adapter" (said, exit
// code 1). Support then sets up the EHR (config, trusted package); the service,
// restarted, is green and writes a job sent through the hub into CrystalPM's MariaDB. A stop
// is clean (the service says so in its log under ProgramData); after the computer is
// switched off and on (every Wine process killed, Wine booted again) the service is
// running again by itself; `install.cmd /uninstall` removes it and keeps the settings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_installs_pairs_writes_and_survives_a_restart() {
    use ehr_e2e::hub::{ehr_host, local_snapshot, HubProc};
    use ehr_e2e::mariadb::MariaDb;
    use ehr_e2e::{root, TestHome};
    use std::time::Duration;

    exe();
    let wine = Wine::fresh("service");
    let db = MariaDb::start(&root().join("adapters/crystalpm/sql"));
    let hub = HubProc::start(TestHome::new(""), None, &[]);
    hub.practice("east");
    let key = hub.api_key("east");
    let pairing = hub.pair_code("east", "15m");

    // 1-3: unzip the archive, run install.cmd; it ends green.
    let dir = TempDir::new("wine-service");
    let zip = ehr_e2e::wine::release_zip();
    let out = std::process::Command::new("unzip")
        .arg("-q")
        .arg(&zip)
        .arg("-d")
        .arg(dir.path())
        .output()
        .expect("unzip is missing: apt-get install -y unzip (tests/setup.sh does)");
    assert!(out.status.success(), "{out:?}");
    let unpacked = dir.path().join(zip.file_stem().unwrap());
    let script = win(&unpacked.join("install.cmd"));
    let fingerprint = hub.fingerprint().to_string();
    let (code, out, err) = tokio::task::block_in_place(|| {
        wine.run("cmd", &["/c", &script, &hub.url(), &pairing, &fingerprint])
    });
    // Connected to the hub; not green until the practice's EHR adapter is installed,
    // which the script's last lines say (exit code 1: not green yet).
    assert_eq!(code, 1, "install.cmd: {out}\n{err}\n{}", hub.log());
    assert!(out.contains("Status: Connected"), "{out}\n{err}");
    assert!(
        out.contains("no EHR adapter is installed") && out.contains("not green yet"),
        "{out}\n{err}"
    );
    assert!(wine.c("Program Files/ehr-host/ehr-host.exe").is_file());
    assert!(wine.c("ProgramData/ehr-host/link.json").is_file());
    let said = wait_service(&wine, "running", Duration::from_secs(5));
    assert!(said.contains("ehr-host service: running"), "{said}");
    assert_eq!(hub.agents().len(), 1, "paired once");

    // Support sets up the EHR: its database in the config, the adapter from a trusted
    // publisher (signed on the publisher's machine, here natively).
    let publisher = TestHome::new("");
    let stem = dir.path().join("publisher");
    let (c, _, e) = ehr_host(publisher.dir.path(), &["keygen", &stem.to_string_lossy()]);
    assert_eq!(c, 0, "{e}");
    let component = dir.path().join("crystalpm.wasm");
    std::fs::write(&component, ehr_e2e::component("crystalpm")).unwrap();
    let pkg = dir.path().join("crystalpm.ehrpkg");
    let (c, _, e) = ehr_host(
        publisher.dir.path(),
        &[
            "sign",
            &component.to_string_lossy(),
            "--key",
            &stem.with_extension("key").to_string_lossy(),
            "-o",
            &pkg.to_string_lossy(),
        ],
    );
    assert_eq!(c, 0, "{e}");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[limits]\ntimeout_secs = 60\n\n{}\n[adapters.crystalpm]\ndatabases = [\"crystalpm\"]\n",
            db.config_section("crystalpm")
        ),
    )
    .unwrap();
    // Copied in by Windows, so the file takes the private folder's access list.
    let (c, out, e) = wine.run(
        "cmd",
        &[
            "/c",
            "copy",
            "/y",
            &win(&config),
            r"C:\ProgramData\ehr-host\config.toml",
        ],
    );
    assert_eq!(c, 0, "{out}{e}");
    let public = win(&stem.with_extension("pub"));
    let (c, out, e) = installed(&wine, &["trust", "add", &public, "--name", "Acme"]);
    assert_eq!(c, 0, "trust add: {out}{e}");
    let (c, out, e) = installed(&wine, &["install", &win(&pkg)]);
    assert_eq!(c, 0, "install: {out}{e}");

    // Restarted (a clean stop, then a start), the service writes a hub job.
    let (c, out, e) = installed(&wine, &["service", "stop"]);
    assert_eq!(c, 0, "service stop: {out}{e}");
    assert!(out.contains("ehr-host service stopped"), "{out}{e}");
    let log = std::fs::read_to_string(wine.c("ProgramData/ehr-host/logs/agent.log"))
        .expect("the service logs under ProgramData\\ehr-host\\logs");
    assert!(log.contains("ehr-host service running"), "{log}");
    assert!(
        log.contains("ehr-host service stopped (exit code 0)"),
        "{log}"
    );
    let (c, out, e) = installed(&wine, &["service", "start"]);
    assert_eq!(c, 0, "service start: {out}{e}");
    let (c, out, e) = installed(&wine, &["status", "--wait", "60s"]);
    assert_eq!(c, 0, "status after restart: {out}{e}");
    assert!(out.starts_with("Status: Connected"), "{out}");
    // Wine's `copy` gives the file no entries from the private folder: the config with a
    // database password is readable by Everyone, and the agent, started again, says so, naming
    // the file and the `icacls` command that fixes it.
    let log = std::fs::read_to_string(wine.c("ProgramData/ehr-host/logs/agent.log")).unwrap();
    assert!(
        log.contains("config.toml holds inline secrets")
            && log.contains("(Everyone)")
            && log.contains("icacls"),
        "{log}"
    );

    let api = hub.api(&key);
    let (s, v) = api
        .submit(
            "crystalpm",
            &local_snapshot("J-WIN-1", "note via the Windows service"),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let done = api.settled("J-WIN-1", Duration::from_secs(90)).await;
    assert_eq!(
        done["job"]["status"],
        "succeeded_with_warnings",
        "{done}\n{}\n{}",
        hub.log(),
        std::fs::read_to_string(wine.c("ProgramData/ehr-host/logs/agent.log")).unwrap_or_default()
    );
    assert_eq!(
        db.scalar(
            "SELECT COUNT(*) FROM ehr_notes WHERE note_text LIKE 'note via the Windows service%'"
        ),
        "1"
    );

    // The computer is switched off and on: the service starts by itself.
    wine.shut_down();
    wine.boot();
    let said = wait_service(&wine, "running", Duration::from_secs(60));
    assert!(
        said.contains("ehr-host service: running"),
        "not started at boot: {said}"
    );
    let (c, out, e) = installed(&wine, &["status", "--wait", "60s"]);
    assert_eq!(c, 0, "status after boot: {out}{e}");

    // Uninstalled: no service, no program; settings and pairing kept.
    let (code, out, err) =
        tokio::task::block_in_place(|| wine.run("cmd", &["/c", &script, "/uninstall"]));
    assert_eq!(code, 0, "install.cmd /uninstall: {out}\n{err}");
    assert!(out.contains("ehr-host is removed"), "{out}");
    assert!(!wine.c("Program Files/ehr-host/ehr-host.exe").exists());
    assert!(wine.c("ProgramData/ehr-host/link.json").is_file());
    let (c, out, e) = wine.run(
        &unpacked.join("ehr-host.exe").to_string_lossy(),
        &["service", "status"],
    );
    assert_ne!(c, 0, "{out}{e}");
    assert!(e.contains("not installed"), "{e}");
}
