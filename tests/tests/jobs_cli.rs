//! `ehr-host jobs` through the real binary: submission refuses malformed snapshots and
//! duplicate job ids without accepting anything; list, show, cancel and retry follow the
//! lifecycle and refuse what it forbids.

use ehr_e2e::{fixture, TempDir, TestHome};

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

// A malformed snapshot is refused naming the exact field and nothing is queued; a good
// one is queued once, encrypted at rest, and the same job id again is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_validates_and_refuses_duplicates() {
    let home = TestHome::new("");
    home.install("revolution").await;
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
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_retry_show() {
    let home = TestHome::new("");
    home.install("revolution").await;
    let good = fixture("snapshot-e5001.json");
    home.cli(&["jobs", "submit", "revolution", good.to_str().unwrap()]);
    let (code, out, _) = home.cli(&["jobs", "cancel", "J-2026-11-21-0001"]);
    assert_eq!(
        (code, out.trim()),
        (
            0,
            "job J-2026-11-21-0001 cancelled; nothing of it was written"
        )
    );
    let (code, _, err) = home.cli(&["jobs", "retry", "J-2026-11-21-0001"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("job `J-2026-11-21-0001` is cancelled: cannot be retried: it was cancelled"),
        "{err}"
    );
    assert!(
        !err.contains("Cancelled"),
        "no type names in messages: {err}"
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

// What intake refuses, with the reason and nothing queued: an EHR that is not installed
// (or is no adapter id at all), a key given twice, an oversized snapshot; a UTF-8 BOM is
// fine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_refusals() {
    let home = TestHome::new("");
    home.install("revolution").await;
    let dir = TempDir::new("intake");
    let text = std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap();
    let good = fixture("snapshot-e5001.json");
    for ehr in ["../../x", "officemate"] {
        let (code, _, err) = home.cli(&["jobs", "submit", ehr, good.to_str().unwrap()]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("is installed on this host") && err.contains("installed: revolution"),
            "{err}"
        );
    }
    let dup = dir.path().join("dup.json");
    std::fs::write(
        &dup,
        text.replacen("\"fields\": {", "\"fields\": {\"iop.od\": 30, ", 1),
    )
    .unwrap();
    let (code, _, err) = home.cli(&["jobs", "submit", "revolution", dup.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("`fields.iop.od` appears twice"), "{err}");
    let big = dir.path().join("big.json");
    let note = "x".repeat(2 * 1024 * 1024);
    std::fs::write(
        &big,
        text.replacen(
            "\"fields\": {",
            &format!("\"fields\": {{\"notes\": \"{note}\", "),
            1,
        ),
    )
    .unwrap();
    let (code, _, err) = home.cli(&["jobs", "submit", "revolution", big.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("the limit is 1048576 bytes"), "{err}");
    let (_, out, _) = home.cli(&["jobs", "list", "--json"]);
    assert_eq!(
        json(&out).as_array().unwrap().len(),
        0,
        "nothing may be queued"
    );
    let bom = dir.path().join("bom.json");
    std::fs::write(&bom, format!("\u{feff}{text}")).unwrap();
    let (code, _, err) = home.cli(&["jobs", "submit", "revolution", bom.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
}

// The job key is guarded: with sealed jobs queued, a deleted key is not silently
// replaced and a different key is refused, each naming the file; restoring the key
// works again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_key_is_guarded() {
    let home = TestHome::new("");
    home.install("revolution").await;
    let good = fixture("snapshot-e5001.json");
    let (code, _, err) = home.cli(&["jobs", "submit", "revolution", good.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let key = home.dir.path().join("jobs.key");
    let saved = std::fs::read(&key).unwrap();
    std::fs::remove_file(&key).unwrap();
    let other = TempDir::new("other-snapshot");
    let second = other.path().join("s.json");
    std::fs::write(
        &second,
        std::fs::read_to_string(&good)
            .unwrap()
            .replace("J-2026-11-21-0001", "J-2"),
    )
    .unwrap();
    let (code, _, err) = home.cli(&["jobs", "submit", "revolution", second.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("jobs.key is missing") && err.contains("1 sealed job"),
        "{err}"
    );
    assert!(
        !key.exists(),
        "no new key may be made for a queue holding jobs"
    );
    std::fs::write(&key, format!("{}\n", "ab".repeat(32))).unwrap();
    let (code, _, err) = home.cli(&["jobs", "submit", "revolution", second.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("is not the key this job queue's jobs were sealed with"),
        "{err}"
    );
    std::fs::write(&key, &saved).unwrap();
    let (code, _, err) = home.cli(&["jobs", "submit", "revolution", second.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
}
