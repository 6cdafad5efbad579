//! `ehr-host jobs` through the real binary: submission refuses malformed snapshots and
//! duplicate job ids without accepting anything; list, show, cancel and retry follow the
//! lifecycle and refuse what it forbids.

use ehr_e2e::{fixture, TempDir, TestHome};

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

// A malformed snapshot is refused naming the exact field and nothing is queued; a good
// one is queued once, encrypted at rest, and the same job id again is refused.
#[test]
fn submit_validates_and_refuses_duplicates() {
    let home = TestHome::new("");
    let dir = TempDir::new("jobs");
    let mut bad: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap())
            .unwrap();
    bad["fields"]["iop.os"] = 95.into();
    let bad_path = dir.path().join("bad.json");
    std::fs::write(&bad_path, bad.to_string()).unwrap();
    let (code, _, err) = home.cli(&["jobs", "submit", "revolution", bad_path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("fields.iop.os: 95 is outside 0..80"), "{err}");
    let (_, out, _) = home.cli(&["jobs", "list", "--json"]);
    assert_eq!(
        json(&out).as_array().unwrap().len(),
        0,
        "nothing may be half-accepted"
    );

    let good = fixture("snapshot-e5001.json");
    let (code, out, err) = home.cli(&["jobs", "submit", "revolution", good.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("queued job J-2026-11-21-0001 for revolution"),
        "{out}"
    );
    let (code, _, err) = home.cli(&["jobs", "submit", "revolution", good.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
    // The snapshot is encrypted at rest: the patient's name is in no queue file.
    for f in ["jobs.sqlite", "jobs.sqlite-wal"] {
        let bytes = std::fs::read(home.dir.path().join(f)).unwrap_or_default();
        assert!(
            !bytes.windows(6).any(|w| w == b"Okafor"),
            "patient data in clear in {f}"
        );
    }
    let (_, out, _) = home.cli(&["jobs", "list", "--status", "pending", "--json"]);
    let list = json(&out);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["job"]["status"], "pending");
    assert_eq!(list[0]["stuck"], false);
}

// Cancel takes a pending job out; retrying a cancelled job is refused with the reason;
// unknown ids and statuses are named in the error.
#[test]
fn cancel_retry_show() {
    let home = TestHome::new("");
    let good = fixture("snapshot-e5001.json");
    home.cli(&["jobs", "submit", "revolution", good.to_str().unwrap()]);
    let (code, out, _) = home.cli(&["jobs", "cancel", "J-2026-11-21-0001"]);
    assert_eq!((code, out.trim()), (0, "job J-2026-11-21-0001 cancelled"));
    let (code, _, err) = home.cli(&["jobs", "retry", "J-2026-11-21-0001"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot retry a job that has not failed"),
        "{err}"
    );
    let (code, out, _) = home.cli(&["jobs", "show", "J-2026-11-21-0001", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(json(&out)["job"]["status"], "cancelled");
    let (code, _, err) = home.cli(&["jobs", "show", "nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("there is no job `nope`"), "{err}");
    let (code, _, err) = home.cli(&["jobs", "list", "--status", "done"]);
    assert_eq!(code, 1);
    assert!(err.contains("`done` is not a job status"), "{err}");
}
