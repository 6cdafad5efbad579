//! The registry end to end through the real `ehr-host` binary: a publisher signs and
//! publishes, an agent adds the registry, searches, installs with a pin, updates; and
//! every attack the registry defends against is refused with a message naming it, exit
//! code 3, and the installed version left untouched.

use ehr_e2e::{TempDir, TestHome, TestRegistry};
use ehr_host::package::SecretKey;
use ehr_host::registry::index::Index;
use std::time::Duration;

const CONFIG: &str = "[adapters.misbehaving.settings]\nmode = \"ok\"\n";
const DAY: Duration = Duration::from_secs(86_400);

/// The installed version of misbehaving, or `None`.
fn installed(home: &TestHome) -> Option<String> {
    let (code, out, err) = home.cli(&["list", "--json"]);
    assert_eq!(code, 0, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "misbehaving")
        .map(|a| a["version"].as_str().unwrap().to_string())
}

fn ok(home: &TestHome, args: &[&str]) -> String {
    let (code, out, err) = home.cli(args);
    assert_eq!(code, 0, "ehr-host {args:?} failed: {err}");
    out
}

/// A home trusting the test publisher, with `reg` added and misbehaving 0.1.0 installed
/// from it; 0.2.0 is signed but not published yet (returned).
async fn installed_from(reg: &TestRegistry) -> (TestHome, Vec<u8>) {
    let home = TestHome::new(CONFIG);
    reg.publish(&home.package("misbehaving").await);
    ok(&home, &["registry", "add", &reg.path(), "--name", "test"]);
    let out = ok(&home, &["install", "misbehaving"]);
    assert!(
        out.contains("installed misbehaving 0.1.0 from registry `test`"),
        "{out}"
    );
    let v2 = home.package("misbehaving-0.2.0").await;
    (home, v2)
}

/// Runs `update` expecting a refusal whose message contains `needle`; the installed
/// version must still be 0.1.0.
fn update_refused(home: &TestHome, needle: &str) {
    let (code, _, err) = home.cli(&["update"]);
    assert_eq!(code, 3, "expected a refusal: {err}");
    assert!(err.contains(needle), "expected `{needle}` in: {err}");
    assert_eq!(installed(home).as_deref(), Some("0.1.0"));
}

// Publish over HTTP with `registry serve`'s server: add (trust on first use prints the
// keys), search, install with a pin, `outdated` honours the pin, a wider pin updates, and
// the previous version is kept for rollback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_add_search_install_update_over_http() {
    let reg = TestRegistry::new();
    let (url, _server) = reg.serve().await;
    let home = TestHome::new(CONFIG);
    reg.publish(&home.package("misbehaving").await);
    let key = reg.key.public().to_hex();
    let out = ok(
        &home,
        &[
            "registry",
            "add",
            &url,
            "--name",
            "acme",
            "--root-key",
            &key,
        ],
    );
    assert!(
        out.contains("added registry `acme`") && out.contains("index version 2"),
        "{out}"
    );

    let out = ok(&home, &["search", "misbehav"]);
    assert!(
        out.contains("misbehaving") && out.contains("0.1.0") && out.contains("[acme]"),
        "{out}"
    );
    let out = ok(&home, &["install", "misbehaving@~0.1.0"]);
    assert!(
        out.contains("installed misbehaving 0.1.0 from registry `acme`")
            && out.contains("pinned to ~0.1.0"),
        "{out}"
    );

    reg.publish(&home.package("misbehaving-0.2.0").await);
    let out = ok(&home, &["outdated", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows[0]["installed"], "0.1.0");
    assert_eq!(rows[0]["wanted"], "0.1.0", "the pin ~0.1.0 keeps 0.1.0");
    assert_eq!(rows[0]["latest"], "0.2.0");
    let out = ok(&home, &["update"]);
    assert!(out.contains("misbehaving 0.1.0 is up to date"), "{out}");

    let out = ok(&home, &["install", "misbehaving@^0.2"]);
    assert!(
        out.contains("installed misbehaving 0.2.0") && out.contains("0.1.0 kept"),
        "{out}"
    );
    assert_eq!(installed(&home).as_deref(), Some("0.2.0"));
    let out = ok(&home, &["check", "misbehaving"]);
    assert!(out.contains("session valid"), "{out}");
}

// A root that does not list the key the operator pinned is refused at `registry add`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_refuses_a_root_without_the_pinned_key() {
    let reg = TestRegistry::new();
    let home = TestHome::new(CONFIG);
    let other = SecretKey::generate().unwrap().public().to_hex();
    let (code, _, err) = home.cli(&["registry", "add", &reg.path(), "--root-key", &other]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("does not list the pinned key"), "{err}");
}

// Rollback attack: after the agent has seen index version 3, the registry serves the
// older version 2 again; `update` refuses it by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolled_back_index_is_refused() {
    let reg = TestRegistry::new();
    let (home, v2) = installed_from(&reg).await;
    let old_index = std::fs::read(reg.file("index.json")).unwrap();
    reg.publish(&v2);
    ok(&home, &["outdated"]); // the agent sees index version 3
    std::fs::write(reg.file("index.json"), old_index).unwrap();
    update_refused(&home, "served index version 2, older than version 3 this agent has already seen: a rollback attack");
}

// Freeze attack: an index whose expiry has passed (even correctly signed and newer) is
// refused by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_index_is_refused() {
    let reg = TestRegistry::new();
    let (home, v2) = installed_from(&reg).await;
    reg.publish(&v2);
    let mut index: Index = reg.reg.index().unwrap();
    index.version += 1;
    index.expires = "2020-01-01T00:00:00Z".into();
    reg.reg.write_index(&index, &[&reg.key]).unwrap();
    update_refused(
        &home,
        "serves an expired index version 4 (it expired 2020-01-01T00:00:00Z): a freeze attack",
    );
}

// Tampering: a package file changed on the server after it was indexed is refused as a
// hash mismatch, and it is not kept in the package cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mismatched_hash_is_refused() {
    let reg = TestRegistry::new();
    let (home, v2) = installed_from(&reg).await;
    reg.publish(&v2);
    let path = reg.file("packages/misbehaving/misbehaving-0.2.0.ehrpkg");
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len() - 100;
    bytes[n] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    update_refused(
        &home,
        "the package of misbehaving 0.2.0 does not match the signed index",
    );
    let cached = std::fs::read_dir(home.dir.path().join("packages"))
        .unwrap()
        .count();
    assert_eq!(cached, 1, "only 0.1.0 is cached");
}

// An index re-signed by a key that is not a registry key (a compromised mirror) is
// refused; so is one signed by only one key of a registry that needs two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_signed_by_wrong_or_too_few_keys_is_refused() {
    let reg = TestRegistry::new();
    let (home, v2) = installed_from(&reg).await;
    reg.publish(&v2);
    let mirror = SecretKey::generate().unwrap();
    let index = reg.reg.index().unwrap();
    reg.reg.write_index(&index, &[&mirror]).unwrap();
    update_refused(
        &home,
        "the index carries 0 valid signature(s) from the registry's keys; 1 are required",
    );

    // A 2-of-2 registry: one signature is not enough.
    let dir = TempDir::new("threshold");
    let (a, b) = (
        SecretKey::generate().unwrap(),
        SecretKey::generate().unwrap(),
    );
    let two = ehr_host::registry::publish::RegistryDir::init(
        &dir.path().join("r"),
        &[&a, &b],
        2,
        DAY,
        DAY,
    )
    .unwrap();
    let err = two.publish(&v2, &[&a], DAY).unwrap_err().to_string();
    assert!(err.contains("needs signatures from 2"), "{err}");
    two.publish(&v2, &[&a, &b], DAY).unwrap();
    let home2 = TestHome::new(CONFIG);
    ok(
        &home2,
        &[
            "registry",
            "add",
            two.path().to_str().unwrap(),
            "--name",
            "two",
        ],
    );
    two.write_index(&two.index().unwrap(), &[&a]).unwrap();
    let (code, _, err) = home2.cli(&["install", "misbehaving"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("1 valid signature(s) from the registry's keys; 2 are required"),
        "{err}"
    );
    assert_eq!(installed(&home2), None);
}

// Key rotation: the registry moves to a new key (signed by old and new); the agent
// follows on its next refresh, and from then on an index signed by the old key alone is
// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_is_followed() {
    let reg = TestRegistry::new();
    let (home, v2) = installed_from(&reg).await;
    let new_key = SecretKey::generate().unwrap();
    reg.reg
        .rotate(&[&reg.key], &[&new_key], 1, DAY, DAY)
        .unwrap();
    reg.reg.publish(&v2, &[&new_key], DAY).unwrap();
    let out = ok(&home, &["update"]);
    assert!(out.contains("updated misbehaving to 0.2.0"), "{out}");
    let mut index = reg.reg.index().unwrap();
    index.version += 1;
    reg.reg.write_index(&index, &[&reg.key]).unwrap();
    let (code, _, err) = home.cli(&["update"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("0 valid signature(s)"), "{err}");
}

// A yanked version is never installed: asked for by exact pin it is refused by name, and
// `update` stays on the installed version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yanked_version_is_refused() {
    let reg = TestRegistry::new();
    let (home, v2) = installed_from(&reg).await;
    reg.publish(&v2);
    reg.reg
        .yank(
            "misbehaving",
            &"0.2.0".parse().unwrap(),
            "maps IOP to the wrong eye",
            &[&reg.key],
            DAY,
        )
        .unwrap();
    let (code, _, err) = home.cli(&["install", "misbehaving@=0.2.0"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("misbehaving 0.2.0 was yanked by its publisher (maps IOP to the wrong eye)"),
        "{err}"
    );
    let out = ok(&home, &["update"]);
    assert!(out.contains("misbehaving 0.1.0 is up to date"), "{out}");
    assert_eq!(installed(&home).as_deref(), Some("0.1.0"));
}

// A version signed by a publisher this agent does not trust, even though the registry
// indexed it correctly, is refused by the host's trust store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_publisher_is_refused() {
    let reg = TestRegistry::new();
    let (home, _) = installed_from(&reg).await;
    let stranger = SecretKey::generate().unwrap();
    let v2 = home
        .host()
        .sign_component(ehr_e2e::component("misbehaving-0.2.0"), &stranger)
        .await
        .unwrap()
        .1;
    reg.publish(&v2);
    update_refused(&home, "which is not a trusted publisher key");
}

// A version signed by a publisher key the operator revoked is refused with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_publisher_is_refused() {
    let reg = TestRegistry::new();
    let (home, _) = installed_from(&reg).await;
    let second = SecretKey::generate().unwrap();
    let hex = second.public().to_hex();
    ok(&home, &["trust", "add", &hex, "--name", "Second"]);
    let v2 = home
        .host()
        .sign_component(ehr_e2e::component("misbehaving-0.2.0"), &second)
        .await
        .unwrap()
        .1;
    reg.publish(&v2);
    ok(
        &home,
        &["trust", "revoke", &hex, "--reason", "laptop stolen"],
    );
    update_refused(&home, "which was revoked (laptop stolen)");
}

// Offline: with the registry server stopped, an adapter removed from the store is
// installed again from the package cache and the last verified index, with a warning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_install_from_cache() {
    let reg = TestRegistry::new();
    let (url, server) = reg.serve().await;
    let home = TestHome::new(CONFIG);
    reg.publish(&home.package("misbehaving").await);
    reg.publish(&home.package("misbehaving-0.2.0").await);
    ok(&home, &["registry", "add", &url, "--name", "acme"]);
    ok(&home, &["install", "misbehaving"]);
    ok(&home, &["remove", "misbehaving"]);
    server.abort();
    let _ = server.await;

    let (code, out, err) = home.cli(&["install", "misbehaving"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("registry `acme` unreachable") && err.contains("last verified index"),
        "{err}"
    );
    assert!(
        out.contains("installed misbehaving 0.2.0 from registry `acme`"),
        "{out}"
    );
    // A version never downloaded cannot come from the cache: the error says so.
    let (code, _, err) = home.cli(&["install", "misbehaving@=0.1.0"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot download misbehaving 0.1.0")
            && err.contains("not in the package cache"),
        "{err}"
    );
}

// When nothing can be installed, the error explains each version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explains_when_nothing_matches() {
    let reg = TestRegistry::new();
    let (home, _) = installed_from(&reg).await;
    let (code, _, err) = home.cli(&["install", "misbehaving@^3"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no version of `misbehaving` can be installed for `^3`: 0.1.0 (outside ^3)"),
        "{err}"
    );
    let (code, _, err) = home.cli(&["install", "nosuch"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no registry lists an adapter `nosuch` (searched: test)"),
        "{err}"
    );
}
