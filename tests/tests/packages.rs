//! The package lifecycle through the real `ehr-host` binary: sign, verify, install,
//! list, rollback, remove, and every refusal (tampered, unsigned, untrusted, revoked,
//! incompatible contract) leaving nothing installed.

use ehr_e2e::{TempDir, TestHome};
use ehr_host::package::format::Package;
use ehr_host::package::Manifest;

const CONFIG: &str = "[adapters.misbehaving.settings]\nmode = \"ok\"\n";

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_string_lossy().into_owned()
}

fn installed_ids(home: &TestHome) -> Vec<String> {
    let (code, out, err) = home.cli(&["list", "--json"]);
    assert_eq!(code, 0, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

// `keygen` and `sign` on the command line produce a package that `verify` accepts once
// the key is trusted, and refuses (exit 3) before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keygen_sign_verify_via_cli() {
    let home = TestHome::new(CONFIG);
    let dir = TempDir::new("cli");
    let stem = dir.path().join("acme");
    let (code, out, err) = home.cli(&["keygen", stem.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("acme.pub"));
    let wasm = write(&dir, "misbehaving.wasm", &ehr_e2e::component("misbehaving"));
    let pkg = dir.path().join("m.ehrpkg");
    let (code, out, err) = home.cli(&[
        "sign",
        &wasm,
        "--key",
        stem.with_extension("key").to_str().unwrap(),
        "-o",
        pkg.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("signed misbehaving 0.1.0 (contract 0.2.0)"),
        "{out}"
    );

    let (code, _, err) = home.cli(&["verify", pkg.to_str().unwrap()]);
    assert_eq!(code, 3, "an untrusted key must be refused");
    assert!(err.contains("not a trusted publisher key"), "{err}");

    let (code, _, err) = home.cli(&[
        "trust",
        "add",
        stem.with_extension("pub").to_str().unwrap(),
        "--name",
        "Acme",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = home.cli(&["verify", pkg.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["publisher"], "Acme");
    assert_eq!(v["manifest"]["id"], "misbehaving");
}

// A single flipped byte in the component part of a signed package is refused as
// tampered, and nothing is installed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_package_is_refused_and_nothing_installed() {
    let home = TestHome::new(CONFIG);
    let dir = TempDir::new("tamper");
    let mut bytes = home.package("misbehaving").await;
    let middle = bytes.len() - 1000;
    bytes[middle] ^= 0x40;
    let path = write(&dir, "tampered.ehrpkg", &bytes);
    let (code, _, err) = home.cli(&["install", &path]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("tampered with or corrupted"), "{err}");
    assert!(installed_ids(&home).is_empty());
    assert!(!home.dir.path().join("adapters/misbehaving").exists());
}

// Unsigned and revoked-key packages are refused with their own reasons; revoking a key
// also stops an adapter it signed that is already installed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_and_revoked_are_refused() {
    let home = TestHome::new(CONFIG);
    let dir = TempDir::new("revoke");
    let signed = home.package("misbehaving").await;
    let mut unsigned = Package::parse(&signed).unwrap();
    unsigned.signature.clear();
    let path = write(&dir, "unsigned.ehrpkg", &unsigned.to_bytes());
    let (code, _, err) = home.cli(&["install", &path]);
    assert_eq!(code, 3);
    assert!(err.contains("package `misbehaving` is unsigned"), "{err}");

    let path = write(&dir, "signed.ehrpkg", &signed);
    let (code, _, err) = home.cli(&["install", &path]);
    assert_eq!(code, 0, "{err}");
    let key = home.key.public().to_hex();
    let (code, _, err) = home.cli(&["trust", "revoke", &key, "--reason", "key leaked"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = home.cli(&["check", "misbehaving"]);
    assert_ne!(code, 0);
    assert!(err.contains("revoked (key leaked)"), "{err}");
    let (code, _, err) = home.cli(&["install", &path]);
    assert_eq!(code, 3);
    assert!(err.contains("revoked (key leaked)"), "{err}");
}

// A package whose manifest needs a newer contract is refused before compilation with
// "update the agent", even though its component is a real adapter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newer_contract_is_refused() {
    let home = TestHome::new(CONFIG);
    let dir = TempDir::new("contract");
    let signed = Package::parse(&home.package("misbehaving").await).unwrap();
    let mut manifest = Manifest::parse(&signed.manifest).unwrap();
    manifest.contract = "0.3.0".parse().unwrap();
    let bytes = ehr_host::package::verify::build_signed(&manifest, signed.component, &home.key);
    let path = write(&dir, "future.ehrpkg", &bytes);
    let (code, _, err) = home.cli(&["install", &path]);
    assert_eq!(code, 3);
    assert!(
        err.contains("needs host contract 0.3.0; update the agent"),
        "{err}"
    );
    assert!(installed_ids(&home).is_empty());
}

// A correctly signed package whose manifest disagrees with what its component says of
// itself is caught by the install self-check, and nothing is installed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifest_must_match_component() {
    let home = TestHome::new(CONFIG);
    let signed = Package::parse(&home.package("misbehaving").await).unwrap();
    let mut manifest = Manifest::parse(&signed.manifest).unwrap();
    manifest.version = "9.9.9".parse().unwrap();
    let bytes = ehr_host::package::verify::build_signed(&manifest, signed.component, &home.key);
    let err = home.host().install(&bytes).await.unwrap_err().to_string();
    assert!(
        err.contains("self-check") && err.contains("misbehaving 0.1.0"),
        "{err}"
    );
    assert!(installed_ids(&home).is_empty());
}

// `list --json` shows id, version, EHR, contract, publisher key and hash; installing a
// second version keeps the first, `rollback` returns to it, `remove` deletes everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_rollback_remove() {
    let home = TestHome::new(CONFIG);
    let dir = TempDir::new("list");
    let v1 = home.package("misbehaving").await;
    let path = write(&dir, "v1.ehrpkg", &v1);
    let (code, out, err) = home.cli(&["install", &path]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("installed misbehaving 0.1.0"), "{out}");

    let (_, out, _) = home.cli(&["list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let a = &list[0];
    assert_eq!(a["id"], "misbehaving");
    assert_eq!(a["version"], "0.1.0");
    assert_eq!(a["ehr"], "Test");
    assert_eq!(a["contract"], "0.2.0");
    assert_eq!(a["publisher_key"], home.key.public().to_hex());
    assert_eq!(a["hash"], ehr_host::package::format::sha256_hex(&v1));

    // Reinstalling the same package is a no-op; a rollback with nothing before fails.
    let (code, out, _) = home.cli(&["install", &path]);
    assert_eq!(code, 0);
    assert!(out.contains("already installed"), "{out}");
    let (code, _, err) = home.cli(&["rollback", "misbehaving"]);
    assert_eq!(code, 1);
    assert!(err.contains("no previous version"), "{err}");

    // A second version straight into the store (its describe still says 0.1.0, so the
    // install self-check would refuse it; the store itself is what rollback exercises).
    let p1 = Package::parse(&v1).unwrap();
    let mut m2 = Manifest::parse(&p1.manifest).unwrap();
    m2.version = "0.2.0".parse().unwrap();
    let v2 = ehr_host::package::verify::build_signed(&m2, p1.component, &home.key);
    let host = home.host();
    host.store.install(&host.verify(&v2).unwrap()).unwrap();
    let (code, out, err) = home.cli(&["rollback", "misbehaving"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("rolled misbehaving back from 0.2.0 to 0.1.0"),
        "{out}"
    );
    let (_, out, _) = home.cli(&["list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (
            list[0]["version"].as_str(),
            list[0]["previous_version"].as_str()
        ),
        (Some("0.1.0"), Some("0.2.0"))
    );
    let (code, _, err) = home.cli(&["check", "misbehaving"]);
    assert_eq!(code, 0, "the rolled-back version runs: {err}");

    let (code, out, _) = home.cli(&["remove", "misbehaving"]);
    assert_eq!(code, 0);
    assert!(out.contains("removed misbehaving"));
    assert!(installed_ids(&home).is_empty());
    let (code, _, err) = home.cli(&["check", "misbehaving"]);
    assert_eq!(code, 1);
    assert!(err.contains("`misbehaving` is not installed"), "{err}");
}

// One package has one hash: the signature block is covered too, so a package whose
// signature JSON was re-formatted (pretty-printed, upper-case hex, a trailing space) is
// refused by `verify` and `install` (exit 3), although its signature is still valid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reformatted_signature_block_is_refused() {
    let home = TestHome::new(CONFIG);
    let dir = TempDir::new("reformatted");
    let original = home.package("misbehaving").await;
    let good = write(&dir, "good.ehrpkg", &original);
    let (code, _, err) = home.cli(&["verify", &good]);
    assert_eq!(code, 0, "{err}");
    let parsed = Package::parse(&original).unwrap();
    let block: serde_json::Value = serde_json::from_slice(&parsed.signature).unwrap();
    let upper = serde_json::json!({
        "key": block["key"].as_str().unwrap().to_uppercase(),
        "signature": block["signature"].as_str().unwrap().to_uppercase(),
    });
    let mut spaced = parsed.signature.clone();
    spaced.push(b' ');
    for (name, signature) in [
        ("pretty", serde_json::to_vec_pretty(&block).unwrap()),
        ("upper", serde_json::to_vec(&upper).unwrap()),
        ("spaced", spaced),
    ] {
        let bytes = Package {
            signature,
            ..parsed.clone()
        }
        .to_bytes();
        assert_ne!(bytes, original);
        let path = write(&dir, &format!("{name}.ehrpkg"), &bytes);
        for cmd in ["verify", "install"] {
            let (code, out, err) = home.cli(&[cmd, &path]);
            assert_eq!(code, 3, "{name} {cmd}: {out}{err}");
            assert!(
                err.contains("signature block is not in the form"),
                "{name}: {err}"
            );
        }
    }
    assert!(installed_ids(&home).is_empty());
}
