//! Ids belong to publishers: an installed adapter id is bound to the key that first
//! installed it. Another trusted key's package for it is refused naming both keys, unless
//! the operator transfers the id (and is told what that hands over); a registry can name
//! the only key that may publish an id, and agents refuse any other.

mod reload_common;

use ehr_e2e::{bearer, revolution_config, TestHome, TestRegistry};
use ehr_host::package::SecretKey;
use ehr_sandbox::{Sandbox, SandboxConfig};

/// `revolution` signed by `key`, written as a package file in the home.
async fn revolution_by(home: &TestHome, key: &SecretKey, name: &str) -> String {
    let bytes = home
        .host()
        .sign_component(ehr_e2e::component("revolution"), key)
        .await
        .unwrap()
        .1;
    let path = home.dir.path().join(format!("{name}.ehrpkg"));
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

fn revolution_entry(home: &TestHome) -> serde_json::Value {
    let (code, out, err) = home.cli(&["list", "--json"]);
    assert_eq!(code, 0, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "revolution")
        .cloned()
        .unwrap()
}

// revolution installed by the e2e publisher with a bearer credential: a package for
// `revolution` from a second trusted key is refused (exit 3) naming both keys, with the
// store unchanged; a transfer naming the wrong key is refused; one naming the key the id
// belongs to installs it and says which grants and credentials the new publisher's code
// now gets; from then on the first publisher is the stranger.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_publisher_cannot_take_over_an_id() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let home = TestHome::new(&revolution_config(&url, &bearer(&url, "sandbox-token")));
    home.install("revolution").await;
    let first = home.key.public();
    let second = SecretKey::generate().unwrap();
    let (code, _, err) = home.cli(&[
        "trust",
        "add",
        &second.public().to_hex(),
        "--name",
        "Probe Publisher",
    ]);
    assert_eq!(code, 0, "{err}");
    let theirs = revolution_by(&home, &second, "second").await;
    let before = revolution_entry(&home);

    let (code, out, err) = home.cli(&["install", &theirs]);
    assert_eq!(code, 3, "refused: {out}{err}");
    for needle in [
        format!(
            "`revolution` belongs to publisher key {} (e2e publisher)",
            first.short()
        ),
        format!(
            "this package is signed by {} (Probe Publisher)",
            second.public().short()
        ),
        "[adapters.revolution] in config.toml".to_string(),
        format!("--transfer-from {}", first.to_hex()),
    ] {
        assert!(err.contains(&needle), "`{needle}` missing: {err}");
    }
    assert_eq!(revolution_entry(&home), before, "the store is unchanged");

    let (code, _, err) = home.cli(&[
        "install",
        &theirs,
        "--transfer-from",
        &second.public().to_hex(),
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("not to the key given with --transfer-from"),
        "{err}"
    );

    let (code, out, err) = home.cli(&["install", &theirs, "--transfer-from", &first.to_hex()]);
    assert_eq!(code, 0, "{err}");
    for needle in [
        format!(
            "transferred `revolution` from publisher ed25519:{}",
            &first.to_hex()[..16]
        ),
        format!("to {} (Probe Publisher)", second.public().short()),
        "the former publisher's versions were deleted".to_string(),
        format!("HTTP origins {url}"),
        format!("credentials for {url}"),
        "Review them now".to_string(),
    ] {
        assert!(out.contains(&needle), "`{needle}` missing: {out}");
    }
    let after = revolution_entry(&home);
    assert_eq!(after["bound_publisher"], second.public().to_hex());
    assert_eq!(after["previous_version"], serde_json::Value::Null);
    let (code, out, err) = home.cli(&["check", "revolution"]);
    assert_eq!(code, 0, "the new publisher's code runs: {out}{err}");

    let ours = revolution_by(&home, &home.key, "first").await;
    let (code, _, err) = home.cli(&["install", &ours]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains(&format!(
            "belongs to publisher key {}",
            second.public().short()
        )),
        "{err}"
    );
}

// A registry names the e2e publisher as the only publisher of `misbehaving`: publishing
// another key's version is refused by the registry tool; one that reaches the index
// anyway (written by other means) is never installed: `update` stays, an explicit
// install is refused (exit 3) naming both keys, `outdated` does not offer it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_naming_the_publisher_refuses_other_keys() {
    let home = TestHome::new("[adapters.misbehaving.settings]\nmode = \"ok\"\n");
    let reg = TestRegistry::new();
    let reg_key = home.dir.path().join("registry");
    reg.key.write_pair(&reg_key).unwrap();
    let reg_key = format!("{}.key", reg_key.display());
    reg.publish(&home.package("misbehaving").await);
    let (code, out, err) = home.cli(&[
        "registry",
        "publisher",
        &reg.path(),
        "misbehaving",
        &home.key.public().to_hex(),
        "--key",
        &reg_key,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("may publish `misbehaving` now"), "{out}");

    let stranger = SecretKey::generate().unwrap();
    let (code, _, err) = home.cli(&[
        "trust",
        "add",
        &stranger.public().to_hex(),
        "--name",
        "Other",
    ]);
    assert_eq!(code, 0, "{err}");
    let theirs = home
        .host()
        .sign_component(ehr_e2e::component("misbehaving-0.2.0"), &stranger)
        .await
        .unwrap()
        .1;
    let path = home.dir.path().join("theirs.ehrpkg");
    std::fs::write(&path, &theirs).unwrap();
    let (code, _, err) = home.cli(&[
        "registry",
        "publish",
        &reg.path(),
        path.to_str().unwrap(),
        "--key",
        &reg_key,
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains("as the only publisher of `misbehaving`"),
        "{err}"
    );

    assert_eq!(
        home.cli(&["registry", "add", &reg.path(), "--name", "acme"])
            .0,
        0
    );
    assert_eq!(home.cli(&["install", "misbehaving"]).0, 0);
    // The stranger's version reaches the index without the publish tool's check.
    let mut index = reg.reg.index().unwrap();
    let rel = "packages/misbehaving/misbehaving-0.2.0.ehrpkg";
    std::fs::create_dir_all(reg.file("packages/misbehaving")).unwrap();
    std::fs::write(reg.file(rel), &theirs).unwrap();
    let mut entry = index.adapters["misbehaving"][0].clone();
    entry.version = "0.2.0".parse().unwrap();
    entry.sha256 = ehr_host::package::format::sha256_hex(&theirs);
    entry.size = theirs.len() as u64;
    entry.publisher = stranger.public().to_hex();
    entry.path = rel.into();
    index.adapters.get_mut("misbehaving").unwrap().push(entry);
    index.version += 1;
    reg.reg.write_index(&index, &[&reg.key]).unwrap();

    let (code, out, err) = home.cli(&["update"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("misbehaving 0.1.0 is up to date"), "{out}");
    let (code, _, err) = home.cli(&["install", "misbehaving@=0.2.0"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains(&format!(
            "names {} as the only publisher of `misbehaving`",
            home.key.public().short()
        )) && err.contains(&format!("signed by {}", stranger.public().short())),
        "{err}"
    );
    let (_, out, _) = home.cli(&["outdated", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows[0]["latest"], "0.1.0", "{rows}");
    assert_eq!(reload_common::listed(&home)["version"], "0.1.0");
}
