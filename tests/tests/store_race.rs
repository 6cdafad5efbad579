//! Installs serialised across processes: two `ehr-host install` processes of different
//! versions started at the same moment, many times. Every time the store is whole (the
//! versions its state names are on disk, nothing else is, `ehr-host list` works) and each
//! process either installed its version or lost the race, changed nothing, exited 7 and
//! named the operation that won.

mod reload_common;

use ehr_e2e::{ehr_host_bin, TestHome};
use reload_common::{listed, package_file};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Races run (the review raced two installs a hundred times).
const TRIALS: usize = 100;

fn install(home: &TestHome, package: &str) -> std::process::Child {
    Command::new(ehr_host_bin())
        .args(["install", package])
        .env("EHR_HOST_HOME", home.dir.path())
        .env_remove("EHR_HOST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// The folders and files in the adapter's store entry.
fn entry_files(home: &TestHome) -> Vec<String> {
    let dir = home.dir.path().join("adapters/misbehaving");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Checks one trial's outcome; returns how many processes lost.
fn check(home: &TestHome, trial: usize, results: &[(&str, Output)]) -> usize {
    let entry = listed(home);
    let current = entry["version"]
        .as_str()
        .unwrap_or_else(|| panic!("trial {trial}: no entry: {entry}"));
    let previous = entry["previous_version"].as_str();
    let mut expected: Vec<String> = vec![current.to_string()];
    expected.extend(previous.map(str::to_string));
    expected.push("state.json".into());
    expected.sort();
    assert_eq!(
        entry_files(home),
        expected,
        "trial {trial}: only what the state names is on disk"
    );
    let mut lost = 0;
    for (version, out) in results {
        let err = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => assert!(
                current == *version || previous == Some(version),
                "trial {trial}: {version} said installed but the store holds {current}/{previous:?}"
            ),
            Some(7) => {
                lost += 1;
                let other = if *version == "0.1.0" {
                    "0.2.0"
                } else {
                    "0.1.0"
                };
                assert!(
                    err.contains("lost the race")
                        && err.contains(&format!("ehr-host install of misbehaving {other}")),
                    "trial {trial}: the loser must name the winner: {err}"
                );
                assert_ne!(
                    current, *version,
                    "trial {trial}: the loser changed nothing"
                );
                assert_ne!(
                    previous,
                    Some(*version),
                    "trial {trial}: the loser changed nothing"
                );
            }
            code => panic!("trial {trial}: install of {version} exited {code:?}: {err}"),
        }
    }
    assert!(lost < 2, "trial {trial}: somebody must win");
    lost
}

// Two installs of different versions at once, TRIALS times, from an empty store each
// time (the compiled code stays cached, so the processes reach the store together).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_installs_leave_a_whole_store() {
    let home = TestHome::new("[adapters.misbehaving.settings]\nmode = \"ok\"\n");
    let v1 = package_file(&home, "misbehaving").await;
    let v2 = package_file(&home, "misbehaving-0.2.0").await;
    for p in [&v1, &v2] {
        assert_eq!(home.cli(&["install", p]).0, 0, "warming the code cache");
    }
    let started = Instant::now();
    let (mut lost, mut both) = (0, 0);
    for trial in 0..TRIALS {
        std::fs::remove_dir_all(home.dir.path().join("adapters/misbehaving")).unwrap();
        let a = install(&home, &v1);
        let b = install(&home, &v2);
        let results = [
            ("0.1.0", a.wait_with_output().unwrap()),
            ("0.2.0", b.wait_with_output().unwrap()),
        ];
        match check(&home, trial, &results) {
            0 => both += 1,
            _ => lost += 1,
        }
    }
    println!(
        "{TRIALS} races in {:.1}s: {lost} with a loser that knew it, {both} serialised (both installed, one after the other)",
        started.elapsed().as_secs_f64()
    );
    assert!(
        lost > 0,
        "the installs never overlapped: the test raced nothing"
    );
    assert!(started.elapsed() < Duration::from_secs(300));
}
