//! What the agent records in the store, and repair of entries found inconsistent.

use super::tests::{package, tempdir};
use super::*;
use crate::package::keys::SecretKey;

/// A store with demo 1.0.0 and 1.1.0 (current, on probation); the two hashes.
fn upgraded() -> (AdapterStore, PathBuf, String, String) {
    let key = SecretKey::generate().unwrap();
    let dir = tempdir();
    let store = AdapterStore::new(&dir);
    let (a, b) = (package(&key, "1.0.0", b"a"), package(&key, "1.1.0", b"b"));
    store.install(&a).unwrap();
    store.install(&b).unwrap();
    (store, dir, a.hash, b.hash)
}

fn v(s: &str) -> Version {
    s.parse().unwrap()
}

// Probation errors are kept (never lowered) and a passed probation is cleared; both are
// ignored for a package that is not current.
#[test]
fn probation_is_recorded() {
    let (store, _, old, new) = upgraded();
    store.probation_errors("demo", &new, 2).unwrap();
    store.probation_errors("demo", &new, 1).unwrap();
    store.probation_errors("demo", &old, 5).unwrap();
    assert_eq!(store.get("demo").unwrap().probation.unwrap().errors, 2);
    assert!(!store.probation_passed("demo", &old).unwrap());
    assert!(store.probation_passed("demo", &new).unwrap());
    assert!(store.get("demo").unwrap().probation.is_none());
}

// A failed probation rolls the store back and remembers why; when the store moved on
// meanwhile, the package is only remembered (nothing else changes).
#[test]
fn rollback_after_a_failed_probation() {
    let (store, _, old, new) = upgraded();
    let moved = store
        .roll_back_from("demo", &new, &v("1.1.0"), "3 of 3 calls failed")
        .unwrap();
    assert_eq!(
        moved,
        Some(RolledBackTo {
            from: v("1.1.0"),
            to: v("1.0.0")
        })
    );
    let i = store.get("demo").unwrap();
    assert_eq!(
        (i.version.to_string(), i.hash.clone()),
        ("1.0.0".into(), old.clone())
    );
    let r = &i.rolled_back[0];
    assert_eq!(
        (r.by, r.reason.as_str(), r.hash.as_str()),
        (RolledBackBy::Agent, "3 of 3 calls failed", new.as_str())
    );
    assert!(i.probation.is_none());
    let before = store.entry("demo").unwrap().unwrap().state.generation;
    assert_eq!(
        store
            .roll_back_from("demo", &"f".repeat(64), &v("9.0.0"), "x")
            .unwrap(),
        None
    );
    let i = store.get("demo").unwrap();
    assert_eq!(i.version.to_string(), "1.0.0");
    assert_eq!(i.rolled_back.len(), 2);
    assert_eq!(
        store.entry("demo").unwrap().unwrap().state.generation,
        before
    );

    // Back on 1.1.0 by hand, then rolled back by the agent again: 1.0.0, serving again,
    // is no longer remembered as rolled back from (the operator's rollback had marked it).
    let req = RollbackRequest {
        by: "test".into(),
        retry_rolled_back: true,
    };
    store.rollback_with("demo", &req).unwrap();
    assert!(store
        .get("demo")
        .unwrap()
        .rolled_back
        .iter()
        .any(|r| r.version == v("1.0.0")));
    store
        .roll_back_from("demo", &new, &v("1.1.0"), "again")
        .unwrap()
        .unwrap();
    let i = store.get("demo").unwrap();
    assert!(
        i.rolled_back.iter().all(|r| r.version != v("1.0.0")),
        "{:?}",
        i.rolled_back
    );
}

// A version whose self-check could not run waits behind the previous one, which is
// current meanwhile; when its check passes it becomes current on probation.
#[test]
fn defer_then_promote() {
    let (store, _, old, new) = upgraded();
    let moved = store
        .defer("demo", &new, "EHR unreachable")
        .unwrap()
        .unwrap();
    assert_eq!(
        (moved.from.to_string(), moved.to.to_string()),
        ("1.1.0".into(), "1.0.0".into())
    );
    let i = store.get("demo").unwrap();
    assert_eq!(i.version.to_string(), "1.0.0");
    assert_eq!(i.waiting.as_ref().unwrap().reason, "EHR unreachable");
    assert!(store.promote_waiting("demo", &old, &old).unwrap().is_none());
    store.promote_waiting("demo", &old, &new).unwrap().unwrap();
    let i = store.get("demo").unwrap();
    assert_eq!(i.version.to_string(), "1.1.0");
    assert!(i.waiting.is_none());
    assert_eq!(i.probation.unwrap().hash, new);
}

// A state naming a current version whose package is gone goes back to the previous one,
// with one line saying so; one whose previous is gone forgets it.
#[test]
fn repairs_a_missing_current_or_previous() {
    let (store, dir, _, _) = upgraded();
    std::fs::remove_dir_all(dir.join("demo/1.1.0")).unwrap();
    let lines = store.repair_all().unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("back on its last complete version 1.0.0"),
        "{}",
        lines[0]
    );
    assert_eq!(store.get("demo").unwrap().version.to_string(), "1.0.0");
    assert!(store.repair_all().unwrap().is_empty(), "repaired once");

    let (store, dir, _, _) = upgraded();
    std::fs::remove_dir_all(dir.join("demo/1.0.0")).unwrap();
    let lines = store.repair_all().unwrap();
    assert!(
        lines[0].contains("previous version 1.0.0 is missing"),
        "{lines:?}"
    );
    assert_eq!(store.get("demo").unwrap().previous_version, None);
}

// An unreadable state file is rebuilt from the newest complete version; an entry with no
// complete version left is removed, saying so.
#[test]
fn repairs_a_corrupt_state() {
    let (store, dir, _, new) = upgraded();
    std::fs::write(dir.join("demo/state.json"), b"{not json").unwrap();
    let lines = store.repair_all().unwrap();
    assert!(lines[0].contains("state.json is unreadable"), "{lines:?}");
    let i = store.get("demo").unwrap();
    assert_eq!((i.version.to_string(), i.hash), ("1.1.0".into(), new));

    assert!(
        !dir.join("demo/1.0.0").exists(),
        "versions the new state does not name are pruned"
    );
    std::fs::write(dir.join("demo/1.1.0/package.ehrpkg"), b"junk").unwrap();
    let lines = store.repair_all().unwrap();
    assert!(lines[0].contains("removed `demo`"), "{lines:?}");
    assert!(store.list().unwrap().is_empty());
}
