//! The Windows release archive: `packaging/windows/build.sh` builds a zip holding the
//! cross-built `ehr-host.exe` (here the debug build setup.sh made, via `--exe`), the README for practice IT (the guide's five-minute
//! steps) and the PowerShell script that installs the service and pairs the agent.
//!
//! Needs mingw-w64, the x86_64-pc-windows-gnu target, zip and unzip: `bash tests/setup.sh`
//! installs them. Missing, the build script fails and says what to install.

use std::path::{Path, PathBuf};
use std::process::Command;

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| ehr_e2e::root().join("target"))
}

/// `unzip ARGS ZIP`'s stdout.
fn unzip(args: &[&str], zip: &Path) -> Vec<u8> {
    let out = Command::new("unzip")
        .args(args)
        .arg(zip)
        .output()
        .expect("unzip is missing: apt-get install -y unzip (tests/setup.sh does)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The cross-built debug binary (tests/setup.sh builds it).
fn built_exe() -> PathBuf {
    let p = target_dir().join("x86_64-pc-windows-gnu/debug/ehr-host.exe");
    assert!(
        p.is_file(),
        "{} is missing: build it with `cargo build -p ehr-host --target x86_64-pc-windows-gnu` \
         (`bash tests/setup.sh` installs the target and mingw-w64 and builds it)",
        p.display()
    );
    p
}

// One command builds the archive; it holds exactly the binary just built, a README that
// walks practice IT through install, pairing code and a green status, and an install
// script that registers the service, pairs and starts it; text files use CRLF.
#[test]
fn build_script_makes_the_windows_archive() {
    let out = Command::new("bash")
        .arg(ehr_e2e::root().join("packaging/windows/build.sh"))
        .arg("--exe")
        .arg(built_exe())
        .output()
        .expect("running bash");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "build.sh failed: {stderr}");
    let zip = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(zip.is_file(), "build.sh printed {}", zip.display());
    let name = zip.file_stem().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("ehr-host-") && name.ends_with("-windows-x86_64"),
        "{name}"
    );

    let listing = String::from_utf8(unzip(&["-Z1"], &zip)).unwrap();
    let mut files: Vec<&str> = listing.lines().filter(|l| !l.ends_with('/')).collect();
    files.sort();
    assert_eq!(
        files,
        [
            format!("{name}/README.txt"),
            format!("{name}/ehr-host.exe"),
            format!("{name}/install.ps1"),
        ]
    );

    let inside = unzip_file(&zip, &format!("{name}/ehr-host.exe"));
    let built = std::fs::read(built_exe()).unwrap();
    assert!(
        inside == built,
        "the archive's ehr-host.exe is not the one just built"
    );
    assert_eq!(&inside[..2], b"MZ", "not a Windows executable");

    let readme = String::from_utf8(unzip_file(&zip, &format!("{name}/README.txt"))).unwrap();
    assert!(
        readme.contains("\r\n"),
        "README.txt needs Windows line endings"
    );
    for step in [
        "Windows 10 or later",
        "1. Install.",
        "2. Enter your pairing code.",
        "Settings > Integrations > Windows Agent",
        "3. Verify the connection.",
        "Status: Connected",
        "Restart the agent",
        "logs\\agent.log",
    ] {
        assert!(readme.contains(step), "README.txt lacks {step:?}");
    }

    let script = String::from_utf8(unzip_file(&zip, &format!("{name}/install.ps1"))).unwrap();
    assert!(
        script.contains("\r\n"),
        "install.ps1 needs Windows line endings"
    );
    for part in [
        "service install --data-dir $DataDir",
        "'pair', $PairingCode.Trim(), '--hub', $Hub",
        "service start",
        "status",
        "WindowsBuiltInRole]::Administrator",
        "service uninstall",
    ] {
        assert!(script.contains(part), "install.ps1 lacks {part:?}");
    }
}

/// One file of the archive.
fn unzip_file(zip: &Path, name: &str) -> Vec<u8> {
    let out = Command::new("unzip")
        .arg("-p")
        .arg(zip)
        .arg(name)
        .output()
        .expect("unzip");
    assert!(out.status.success(), "{name} is not in {}", zip.display());
    out.stdout
}
