//! The audit trail end to end: every attempt's transaction id reaches the EHR (the
//! `x-transaction-id` header the sandbox logs; the job ledger row in MariaDB), the EHR's
//! request ids come back into the trail, an auditor finds the write by encounter id and
//! proves the trail untouched, and a tampered trail is caught.

use ehr_e2e::mariadb::MariaDb;
use ehr_e2e::{bearer, fixture, revolution_config, root, TestHome};
use ehr_sandbox::{Sandbox, SandboxConfig};

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

// A write through revolution: the trail holds the attempt with the transaction id the
// sandbox saw on every request and the request ids it answered with; no clinical text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_is_found_by_encounter_with_the_ehr_side_keys() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let home = TestHome::new(&revolution_config(&url, &bearer(&url, "sandbox-token")));
    home.install("revolution").await;
    let (code, _, err) = home.cli(&[
        "write",
        "revolution",
        fixture("snapshot-e5001.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");

    let (code, out, err) = home.cli(&["audit", "search", "--encounter", "E5001", "--json"]);
    assert_eq!(code, 0, "{err}");
    let found = json(&out);
    let entry = &found.as_array().unwrap()[0];
    let txn = entry["transaction_id"].as_str().unwrap().to_string();
    assert_eq!(entry["patient_id"], "P1001");
    assert_eq!(entry["job_id"], "J-2026-11-21-0001");
    let requests = sandbox.state().requests;
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|r| r.transaction_id.as_deref() == Some(txn.as_str())),
        "every request of the attempt carries its transaction id"
    );
    let ids: Vec<String> = entry["ehr_request_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let answered: Vec<String> = requests
        .iter()
        .filter_map(|r| r.request_id.clone())
        .collect();
    assert!(
        !ids.is_empty() && ids.iter().all(|i| answered.contains(i)),
        "{ids:?} vs {answered:?}"
    );
    let (_, by_txn, _) = home.cli(&["audit", "search", "--transaction", &txn, "--json"]);
    assert_eq!(json(&by_txn).as_array().unwrap().len(), 1);

    // Ids, statuses and times only: no patient name, no clinical text.
    let trail = std::fs::read_to_string(home.dir.path().join("audit/audit.jsonl")).unwrap();
    let snapshot = std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap();
    let s: serde_json::Value = serde_json::from_str(&snapshot).unwrap();
    for text in [
        s["patient"]["last_name"].as_str().unwrap(),
        s["fields"]["chief_complaint"].as_str().unwrap(),
    ] {
        assert!(
            !trail.contains(text),
            "clinical or identifying text `{text}` in the trail"
        );
    }

    let (code, out, _) = home.cli(&["audit", "verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("audit trail whole: 1 entries"), "{out}");
    std::fs::write(
        home.dir.path().join("audit/audit.jsonl"),
        trail.replace("E5001", "E5002"),
    )
    .unwrap();
    let (code, _, err) = home.cli(&["audit", "verify"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("AUDIT TRAIL DAMAGED") && err.contains("was changed after it was written"),
        "{err}"
    );
}

// Over SQL the transaction id is in the job ledger row, beside the data, in the same
// transaction: the EHR's own database names the attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_row_holds_the_transaction_id() {
    let db = MariaDb::start(&root().join("adapters/crystalpm/sql"));
    let config = format!(
        "[limits]\ntimeout_secs = 60\n\n{}\n[adapters.crystalpm]\ndatabases = [\"crystalpm\"]\n",
        db.config_section("crystalpm")
    );
    let home = TestHome::new(&config);
    home.install("crystalpm").await;
    let (code, _, err) = home.cli(&[
        "write",
        "crystalpm",
        fixture("snapshot-local-5001.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = home.cli(&["audit", "export"]);
    let entry = json(out.lines().next().unwrap());
    let txn = entry["transaction_id"].as_str().unwrap();
    assert_eq!(db.scalar("SELECT transaction_id FROM doctora_jobs"), txn);
}
