//! The Windows agent under Wine: the cross-built `ehr-host.exe`, the Wine prefix the tests
//! run it in (`tests/wine/prefix.sh`, made by `bash tests/setup.sh`), and the release
//! archive (`packaging/windows/build.sh`). Anything missing fails with the command that
//! fixes it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The target dir (`CARGO_TARGET_DIR` honoured).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::root().join("target"))
}

/// The cross-built debug binary (tests/setup.sh builds it).
pub fn exe() -> PathBuf {
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

/// A Linux path as Windows programs see it (Wine maps `/` to drive Z:).
pub fn win(p: &Path) -> String {
    format!("Z:{}", p.display().to_string().replace('/', "\\"))
}

/// Runs the project's bash script `script` (relative to the root) with `args`; its
/// stdout, trimmed. A failing script fails the test with what it said.
fn bash(script: &str, args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new("bash")
        .arg(crate::root().join(script))
        .args(args)
        .output()
        .expect("running bash");
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Runs one of the scripts in `tests/wine/`; its stdout, trimmed.
fn script(name: &str) -> String {
    bash(&format!("tests/wine/{name}"), &[])
}

/// Builds the release archive around the cross-built debug binary (no cargo inside
/// cargo: `build.sh --exe`); its path.
pub fn release_zip() -> PathBuf {
    let exe = exe();
    let zip = PathBuf::from(bash(
        "packaging/windows/build.sh",
        &["--exe".as_ref(), exe.as_os_str()],
    ));
    assert!(zip.is_file(), "build.sh printed {}", zip.display());
    zip
}

/// A Wine prefix: a Windows computer of its own for one test.
pub struct Wine {
    /// The prefix (its `drive_c` is the computer's C: drive).
    pub prefix: PathBuf,
    loader: PathBuf,
    owned: bool,
}

impl Wine {
    /// The tests' shared prefix, for programs that leave nothing running behind.
    pub fn shared() -> Wine {
        Wine {
            prefix: script("prefix.sh").into(),
            loader: script("loader.sh").into(),
            owned: false,
        }
    }

    /// A fresh copy of the shared prefix named `name`, for a test that registers services
    /// or restarts Wine; every Wine process in it is stopped when dropped.
    pub fn fresh(name: &str) -> Wine {
        let shared = Wine::shared();
        let prefix = target_dir().join(format!("wine-prefix-{name}"));
        Wine::kill_at(&prefix);
        let _ = std::fs::remove_dir_all(&prefix);
        let out = Command::new("cp")
            .arg("-a")
            .arg(&shared.prefix)
            .arg(&prefix)
            .output()
            .expect("running cp");
        assert!(out.status.success(), "copying the Wine prefix: {out:?}");
        let wine = Wine {
            prefix,
            loader: shared.loader.clone(),
            owned: true,
        };
        wine.boot();
        wine
    }

    /// Switches the computer on: a Wine server that stays up with no program running
    /// (without it, Wine ends its services with the last program), and Wine's boot,
    /// which starts the services registered to start automatically.
    pub fn boot(&self) {
        // Neither is captured: what they start outlives them and would hold the pipes
        // open (the server itself, the service manager).
        let status = Command::new(wineserver())
            .arg("-p")
            .env("WINEPREFIX", &self.prefix)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("running wineserver");
        assert!(status.success(), "wineserver -p: {status}");
        let status = self
            .command("wineboot")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("running wineboot");
        assert!(status.success(), "wineboot: {status}");
    }

    /// `path` inside the computer's C: drive (`C:\ProgramData` → `drive_c/ProgramData`).
    pub fn c(&self, path: &str) -> PathBuf {
        self.prefix.join("drive_c").join(path)
    }

    /// A command running `program ARGS` under Wine in this prefix, quiet and headless.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(&self.loader);
        c.arg(program)
            .env("WINEPREFIX", &self.prefix)
            // No debug chatter, and no prompts to install Mono or Gecko.
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .env_remove("EHR_HOST_LOG")
            .env_remove("EHR_HOST_HOME")
            .env_remove("DISPLAY");
        c
    }

    /// Runs `program ARGS`; (exit code, stdout, stderr without Wine's own notices).
    pub fn run(&self, program: &str, args: &[&str]) -> (i32, String, String) {
        output(
            self.command(program)
                .args(args)
                .output()
                .expect("running wine"),
        )
    }

    /// Switches the computer off: every Wine process of this prefix, services included,
    /// is stopped; returns once they are gone.
    pub fn shut_down(&self) {
        Wine::kill_at(&self.prefix);
    }

    fn kill_at(prefix: &Path) {
        if !prefix.is_dir() {
            return;
        }
        let _ = Command::new(wineserver())
            .arg("-k")
            .env("WINEPREFIX", prefix)
            .output();
        let _ = Command::new(wineserver())
            .arg("-w")
            .env("WINEPREFIX", prefix)
            .output();
    }
}

impl Drop for Wine {
    fn drop(&mut self) {
        if self.owned {
            self.shut_down();
        }
    }
}

/// The Wine server (it holds a prefix's processes and its service manager).
fn wineserver() -> PathBuf {
    for candidate in [
        "/usr/bin/wineserver",
        "/usr/lib/wine/wineserver64",
        "/usr/lib/wine/wineserver",
    ] {
        if Path::new(candidate).is_file() {
            return candidate.into();
        }
    }
    panic!("wineserver is missing: install Wine with `apt-get install -y wine64` (tests/setup.sh does)")
}

/// (exit code, stdout, stderr) of a Wine run, without Wine's notices about its prefix.
pub fn output(out: Output) -> (i32, String, String) {
    let err = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.starts_with("wine: ") && !l.contains(":fixme:"))
        .collect::<Vec<_>>()
        .join("\n");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        err,
    )
}
