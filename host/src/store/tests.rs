use super::*;
use crate::package::keys::SecretKey;
use crate::package::manifest::Requested;
use crate::package::verify::build_signed;
use crate::package::{verify, TrustStore};

fn package(key: &SecretKey, version: &str, body: &[u8]) -> VerifiedPackage {
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

fn tempdir() -> PathBuf {
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

// Installing a second version keeps the first for rollback; rollback swaps them; a
// second rollback swaps back.
#[test]
fn install_upgrade_and_rollback() {
    let key = SecretKey::generate().unwrap();
    let store = AdapterStore::new(tempdir());
    assert_eq!(
        store.install(&package(&key, "1.0.0", b"a")).unwrap(),
        InstallOutcome::Installed { previous: None }
    );
    let out = store.install(&package(&key, "1.1.0", b"b")).unwrap();
    assert_eq!(
        out,
        InstallOutcome::Installed {
            previous: Some("1.0.0".parse().unwrap())
        }
    );
    let listed = store.get("demo").unwrap();
    assert_eq!(listed.version.to_string(), "1.1.0");
    assert_eq!(listed.previous_version.unwrap().to_string(), "1.0.0");
    assert_eq!(listed.publisher_key, key.public().to_hex());

    let (from, to) = store.rollback("demo").unwrap();
    assert_eq!(
        (from.to_string(), to.to_string()),
        ("1.1.0".into(), "1.0.0".into())
    );
    assert_eq!(store.get("demo").unwrap().version.to_string(), "1.0.0");
    store.rollback("demo").unwrap();
    assert_eq!(store.get("demo").unwrap().version.to_string(), "1.1.0");
}

// Only current and previous are kept; reinstalling the current package is a no-op; the
// same version with other content is refused and changes nothing.
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
    let err = store
        .install(&package(&key, "1.2.0", b"X"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("already installed with different content"),
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
