//! The Windows agent under Wine: `ehr-host.exe`, cross-built for x86_64-pc-windows-gnu,
//! runs `--version`, `keygen`, `sign`, `trust add`, `verify`, `install` of the real
//! revolution component, `write` of a snapshot to the RevolutionEHR sandbox running
//! natively on loopback, then `status` — the commands a practice's IT runs on Windows.
//!
//! Needs Wine (Debian's `wine64`) and the cross-built binary; `bash tests/setup.sh`
//! installs and builds both. Missing, the test fails with the command that fixes it.

use ehr_e2e::{bearer, fixture, revolution_config, TempDir};
use ehr_sandbox::{Sandbox, SandboxConfig};
use std::path::{Path, PathBuf};
use std::process::Command;

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| ehr_e2e::root().join("target"))
}

/// The Windows binary, cross-built.
fn exe() -> PathBuf {
    let p = target_dir().join("x86_64-pc-windows-gnu/debug/ehr-host.exe");
    assert!(
        p.is_file(),
        "{} is missing: build it with `cargo build -p ehr-host --target x86_64-pc-windows-gnu` \
         (needs `rustup target add x86_64-pc-windows-gnu` and `apt-get install mingw-w64`; \
         `bash tests/setup.sh` does all three)",
        p.display()
    );
    p
}

/// The Wine loader: `wine` on the PATH, else Debian's wine64.
fn wine() -> PathBuf {
    for candidate in ["/usr/bin/wine", "/usr/lib/wine/wine64", "/usr/bin/wine64"] {
        if Path::new(candidate).is_file() {
            return candidate.into();
        }
    }
    panic!(
        "Wine is missing: install it with `apt-get install wine64` (`bash tests/setup.sh` does)"
    );
}

/// Wine 8.0 (Debian 12) lacks `bcryptprimitives.dll`, whose `ProcessPrng` Rust's standard
/// library calls for randomness since Rust 1.78 (Windows 10 and later have it): without
/// it the binary does not load (status c0000135). This stand-in forwards to
/// `BCryptGenRandom`, which Wine has; it goes into the test's Wine prefix only, never
/// into the release archive.
const PROCESS_PRNG_SHIM: &str = r#"#include <windows.h>
#include <bcrypt.h>
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    return BCryptGenRandom(NULL, data, (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG) == 0;
}
"#;

/// The test's Wine prefix, made once, with the `ProcessPrng` stand-in in its system32.
fn prefix() -> PathBuf {
    let prefix = target_dir().join("wine-prefix");
    let system32 = prefix.join("drive_c/windows/system32");
    let dll = system32.join("bcryptprimitives.dll");
    if dll.is_file() {
        return prefix;
    }
    if !system32.is_dir() {
        let made = Command::new(wine())
            .args(["cmd", "/c", "exit"])
            .env("WINEPREFIX", &prefix)
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .env_remove("DISPLAY")
            .output()
            .expect("running wine");
        assert!(system32.is_dir(), "wine did not make its prefix: {made:?}");
    }
    let src = target_dir().join("wine-bcryptprimitives.c");
    let def = target_dir().join("wine-bcryptprimitives.def");
    std::fs::write(&src, PROCESS_PRNG_SHIM).unwrap();
    std::fs::write(&def, "LIBRARY bcryptprimitives\nEXPORTS\n    ProcessPrng\n").unwrap();
    let out = Command::new("x86_64-w64-mingw32-gcc")
        .args(["-shared", "-O2", "-o"])
        .arg(&dll)
        .arg(&src)
        .arg(&def)
        .arg("-lbcrypt")
        .output()
        .expect(
            "x86_64-w64-mingw32-gcc is missing: apt-get install mingw-w64 (tests/setup.sh does)",
        );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    prefix
}

/// A Linux path as the Windows program sees it (Wine maps `/` to drive Z:).
fn win(p: &Path) -> String {
    format!("Z:{}", p.display().to_string().replace('/', "\\"))
}

/// Runs `ehr-host.exe ARGS` under Wine with home `home`; (exit code, stdout, stderr).
fn run(home: &Path, args: &[&str]) -> (i32, String, String) {
    let prefix = prefix();
    let out = Command::new(wine())
        .arg(exe())
        .args(args)
        .env("WINEPREFIX", &prefix)
        // No debug chatter, and no prompts to install Mono or Gecko.
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        .env("EHR_HOST_HOME", win(home))
        .env_remove("EHR_HOST_LOG")
        .env_remove("DISPLAY")
        .output()
        .expect("running wine");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    // Wine's own notices about creating its prefix are not the program's output.
    let err = err
        .lines()
        .filter(|l| !l.starts_with("wine: "))
        .collect::<Vec<_>>()
        .join("\n");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        err,
    )
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
    wine();
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
