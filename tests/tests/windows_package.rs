//! The Windows release archive: `packaging/windows/build.sh` builds a zip holding the
//! cross-built `ehr-host.exe` (here the debug build setup.sh made, via `--exe`), the README for practice IT (the guide's five-minute
//! steps) and `install.cmd`, which installs the service, pairs the agent and waits for
//! green (run for real under Wine by `windows_wine.rs`).
//!
//! Needs mingw-w64, the x86_64-pc-windows-gnu target, zip and unzip: `bash tests/setup.sh`
//! installs them. Missing, the build script fails and says what to install.

use ehr_e2e::wine::{exe, release_zip};
use std::path::Path;
use std::process::Command;

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

// One command builds the archive; it holds exactly the binary just built, a README that
// walks practice IT through install, pairing code and a green status, and an install
// script that registers the service, pairs and starts it; text files use CRLF.
#[test]
fn build_script_makes_the_windows_archive() {
    let zip = release_zip();
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
            format!("{name}/install.cmd"),
        ]
    );

    let inside = unzip_file(&zip, &format!("{name}/ehr-host.exe"));
    let built = std::fs::read(exe()).unwrap();
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

    // What the script does is tested by running it under Wine (windows_wine.rs); here,
    // that cmd can read it (CRLF) and that it is the whole setup.
    let script = String::from_utf8(unzip_file(&zip, &format!("{name}/install.cmd"))).unwrap();
    assert!(
        script.split_terminator('\n').all(|l| l.ends_with('\r')),
        "install.cmd needs Windows line endings on every line"
    );
    for part in [
        "service install --data-dir",
        "pair \"%CODE%\" --hub \"%HUB%\"",
        "service start",
        "status --wait",
        "service uninstall",
    ] {
        assert!(script.contains(part), "install.cmd lacks {part:?}");
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
