use super::*;
use crate::package::keys::SecretKey;
use crate::package::manifest::Requested;
use crate::package::verify::build_signed;
use crate::package::{verify, TrustStore, VerifiedPackage};

pub(super) fn package(key: &SecretKey, version: &str, body: &[u8]) -> VerifiedPackage {
    let m = Manifest {
        id: "demo".into(),
        version: version.parse().unwrap(),
        ehr: "Demo".into(),
        contract: "0.1.0".parse().unwrap(),
        description: "d".into(),
        capabilities: Requested::default(),
    };
    let mut trust = TrustStore::default();
    trust.add(&key.public(), "t").unwrap();
    verify(&build_signed(&m, body.to_vec(), key), &trust).unwrap()
}

pub(super) fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "ehr-store-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn refusal(e: anyhow::Error) -> StoreRefusal {
    e.downcast::<StoreRefusal>().expect("a StoreRefusal")
}

// Installing a second version keeps the first for rollback and puts the new one on
// probation; rollback swaps them and remembers the version left as rolled back from, so
// going forward again needs --retry-rolled-back and puts it on probation again.
#[test]
fn install_upgrade_and_rollback() {
    let key = SecretKey::generate().unwrap();
    let store = AdapterStore::new(tempdir());
    let first = store.install(&package(&key, "1.0.0", b"a")).unwrap();
    assert!(matches!(
        first,
        InstallOutcome::Installed {
            previous: None,
            probation: false,
            ..
        }
    ));
    let out = store.install(&package(&key, "1.1.0", b"b")).unwrap();
    assert!(matches!(
        out,
        InstallOutcome::Installed { previous: Some(ref v), probation: true, .. } if v.to_string() == "1.0.0"
    ));
    let listed = store.get("demo").unwrap();
    assert_eq!(listed.version.to_string(), "1.1.0");
    assert_eq!(listed.previous_version.unwrap().to_string(), "1.0.0");
    assert_eq!(listed.publisher_key, key.public().to_hex());
    assert_eq!(listed.probation.unwrap().version.to_string(), "1.1.0");

    let (from, to) = store.rollback("demo").unwrap();
    assert_eq!(
        (from.to_string(), to.to_string()),
        ("1.1.0".into(), "1.0.0".into())
    );
    let listed = store.get("demo").unwrap();
    assert_eq!(listed.version.to_string(), "1.0.0");
    assert!(listed.probation.is_none());
    assert_eq!(listed.rolled_back[0].by, RolledBackBy::Operator);

    let before = std::fs::read(store.state_path("demo")).unwrap();
    let err = refusal(store.rollback("demo").unwrap_err());
    assert!(matches!(err, StoreRefusal::RolledBack { .. }), "{err}");
    assert!(err.to_string().contains("--retry-rolled-back"), "{err}");
    assert_eq!(
        std::fs::read(store.state_path("demo")).unwrap(),
        before,
        "refused: unchanged"
    );
    let req = RollbackRequest {
        by: "test".into(),
        retry_rolled_back: true,
    };
    let r = store.rollback_with("demo", &req).unwrap();
    assert!(r.probation && r.to.to_string() == "1.1.0");
}

// Only the versions the state names are kept; reinstalling the current package is a
// no-op; the same version with other content is refused (exit 3) and changes nothing.
#[test]
fn prune_reinstall_and_conflict() {
    let key = SecretKey::generate().unwrap();
    let dir = tempdir();
    let store = AdapterStore::new(&dir);
    for (v, b) in [("1.0.0", b"a"), ("1.1.0", b"b"), ("1.2.0", b"c")] {
        store.install(&package(&key, v, b)).unwrap();
    }
    assert!(!dir.join("demo/1.0.0").exists());
    assert!(dir.join("demo/1.1.0").exists());
    assert_eq!(
        store.install(&package(&key, "1.2.0", b"c")).unwrap(),
        InstallOutcome::AlreadyCurrent
    );
    let err = refusal(store.install(&package(&key, "1.2.0", b"X")).unwrap_err());
    assert!(
        matches!(err, StoreRefusal::SameVersionOtherContent { .. }),
        "{err}"
    );
    assert_eq!(
        store.get("demo").unwrap().hash,
        package(&key, "1.2.0", b"c").hash
    );
}

// Rolling back with nothing to go back to, and removing or rolling back an unknown
// adapter, fail with messages naming the adapter; remove deletes everything.
#[test]
fn errors_and_remove() {
    let key = SecretKey::generate().unwrap();
    let dir = tempdir();
    let store = AdapterStore::new(&dir);
    store.install(&package(&key, "1.0.0", b"a")).unwrap();
    assert!(store
        .rollback("demo")
        .unwrap_err()
        .to_string()
        .contains("no previous version"));
    assert!(store
        .remove("nope")
        .unwrap_err()
        .to_string()
        .contains("`nope` is not installed"));
    store.remove("demo").unwrap();
    assert!(!dir.join("demo").exists());
    assert!(store.list().unwrap().is_empty());
}

// An id belongs to the key that first installed it: another trusted key's package is
// refused naming both keys; a transfer must name the current key, and then starts the
// id afresh under the new key (the old publisher's versions are gone).
#[test]
fn ids_belong_to_publishers() {
    let (a, b) = (
        SecretKey::generate().unwrap(),
        SecretKey::generate().unwrap(),
    );
    let dir = tempdir();
    let store = AdapterStore::new(&dir);
    store.install(&package(&a, "1.0.0", b"a")).unwrap();
    let mut req = InstallRequest::by("test");
    req.key_names.insert(a.public().to_hex(), "Alpha".into());
    let err = refusal(
        store
            .install_with(&package(&b, "2.0.0", b"b"), &req)
            .unwrap_err(),
    );
    let text = err.to_string();
    assert!(
        text.contains(&a.public().short()) && text.contains("(Alpha)"),
        "{text}"
    );
    assert!(text.contains(&b.public().short()), "{text}");
    assert!(text.contains("--transfer-from"), "{text}");

    req.transfer_from = Some(b.public().to_hex());
    let err = refusal(
        store
            .install_with(&package(&b, "2.0.0", b"b"), &req)
            .unwrap_err(),
    );
    assert!(
        matches!(err, StoreRefusal::TransferFromWrongKey { .. }),
        "{err}"
    );

    req.transfer_from = Some(a.public().to_hex());
    let out = store
        .install_with(&package(&b, "1.0.0", b"b"), &req)
        .unwrap();
    assert!(matches!(
        out,
        InstallOutcome::Installed { previous: None, transferred_from: Some(ref k), .. } if *k == a.public().to_hex()
    ));
    let listed = store.get("demo").unwrap();
    assert_eq!(listed.bound_publisher, b.public().to_hex());
    assert_eq!(listed.hash, package(&b, "1.0.0", b"b").hash);
    let err = refusal(store.install(&package(&a, "1.1.0", b"c")).unwrap_err());
    assert!(
        matches!(err, StoreRefusal::OtherPublisher { .. }),
        "the old key is now the other one: {err}"
    );
}

// A state file written before binding existed binds the id to the current package's
// key.
#[test]
fn old_entries_bind_to_their_current_signer() {
    let (a, b) = (
        SecretKey::generate().unwrap(),
        SecretKey::generate().unwrap(),
    );
    let store = AdapterStore::new(tempdir());
    store.install(&package(&a, "1.0.0", b"a")).unwrap();
    let path = store.state_path("demo");
    std::fs::write(
        &path,
        br#"{"current": "1.0.0", "previous": null, "changed": "x"}"#,
    )
    .unwrap();
    assert!(store.install(&package(&b, "1.1.0", b"b")).is_err());
    store.install(&package(&a, "1.1.0", b"b")).unwrap();
    assert_eq!(
        store.get("demo").unwrap().bound_publisher,
        a.public().to_hex()
    );
}

// An operation that read the entry before another one changed it loses: nothing is
// changed and the message names the operation that won.
#[test]
fn the_loser_of_a_race_knows_it_lost() {
    let key = SecretKey::generate().unwrap();
    let store = AdapterStore::new(tempdir());
    store
        .install_with(
            &package(&key, "1.0.0", b"a"),
            &InstallRequest::by("ehr-host install of demo 1.0.0"),
        )
        .unwrap();
    let mut late = InstallRequest::by("ehr-host install of demo 1.1.0");
    late.seen = Seen::Absent;
    let err = store
        .install_with(&package(&key, "1.1.0", b"b"), &late)
        .unwrap_err();
    let busy = err.downcast_ref::<StoreBusy>().expect("a StoreBusy");
    assert!(
        busy.to_string().contains("ehr-host install of demo 1.0.0"),
        "{busy}"
    );
    assert_eq!(store.get("demo").unwrap().version.to_string(), "1.0.0");
    late.seen = Seen::Generation(store.entry("demo").unwrap().unwrap().state.generation);
    store
        .install_with(&package(&key, "1.1.0", b"b"), &late)
        .unwrap();
}

// Threads installing different versions into one store at once (the lock is the same
// across processes): every trial ends with a whole entry, and each install either
// succeeded (its version is current or previous) or lost the race and said so.
#[test]
fn concurrent_installs_leave_a_whole_store() {
    let key = SecretKey::generate().unwrap();
    let packages: Vec<VerifiedPackage> = ["1.0.0", "1.1.0", "1.2.0"]
        .iter()
        .map(|v| package(&key, v, v.as_bytes()))
        .collect();
    for _ in 0..20 {
        let dir = tempdir();
        let store = AdapterStore::new(&dir);
        let results: Vec<Result<InstallOutcome, String>> = std::thread::scope(|s| {
            let handles: Vec<_> = packages
                .iter()
                .map(|p| {
                    let store = store.clone();
                    s.spawn(move || {
                        let mut req =
                            InstallRequest::by(format!("install of {}", p.manifest.version));
                        req.seen = Seen::Absent;
                        store.install_with(p, &req).map_err(|e| e.to_string())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let installed = store.get("demo").expect("the entry is whole");
        let won: Vec<_> = results.iter().filter(|r| r.is_ok()).collect();
        assert_eq!(won.len(), 1, "{results:?}");
        for r in results.iter().filter_map(|r| r.as_ref().err()) {
            assert!(
                r.contains("lost the race") && r.contains("install of 1."),
                "{r}"
            );
        }
        let dirs: Vec<_> = std::fs::read_dir(dir.join("demo"))
            .unwrap()
            .flatten()
            .collect();
        assert_eq!(dirs.len(), 2, "one version folder and state.json: {dirs:?}");
        assert!(store.package("demo", &installed.version).is_ok());
        let _ = std::fs::remove_dir_all(dir);
    }
}
