//! Registry attacks on the edges, with the registry's own tools (the library a
//! publisher's `ehr-host registry` runs, and the CLI itself) and the real `ehr-host`
//! agent side: a download path that climbs out of the registry once percent-decoded, a
//! rotation to an expired root (refused, and never saved as the trusted root), and
//! registry text (yank reasons, names, descriptions) that tries to act on the terminal.

use ehr_e2e::{TempDir, TestHome, TestRegistry};
use ehr_host::package::SecretKey;
use std::path::Path;
use std::time::Duration;

const DAY: Duration = Duration::from_secs(86_400);
const CONFIG: &str = "[adapters.hostile.settings]\nmode = \"ok\"\n";

fn ok(home: &TestHome, args: &[&str]) -> String {
    let (code, out, err) = home.cli(args);
    assert_eq!(code, 0, "ehr-host {args:?} failed: {out}{err}");
    out
}

fn installed(home: &TestHome) -> bool {
    let out = ok(home, &["list", "--json"]);
    out.contains("\"hostile\"")
}

/// Rewrites every entry of `reg`'s index with `edit` and signs it as a new version.
fn edit_index(reg: &TestRegistry, edit: impl Fn(&str, &mut ehr_host::registry::index::Entry)) {
    let mut index = reg.reg.index().unwrap();
    for (id, entries) in index.adapters.iter_mut() {
        for e in entries {
            edit(id, e);
        }
    }
    index.version += 1;
    reg.reg.write_index(&index, &[&reg.key]).unwrap();
}

// An index entry whose download path is `packages/%2e%2e/%2e%2e/outside.ehrpkg` (which a
// web server reads as `../../outside.ehrpkg`) is refused before anything is fetched,
// over HTTP and from a folder, with a message showing what it decodes to; nothing is
// installed, although a valid package waits at that outside address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encoded_dot_segments_cannot_leave_the_registry() {
    let reg = TestRegistry::new();
    let home = TestHome::new(CONFIG);
    let package = home.package("hostile").await;
    reg.publish(&package);
    // The registry lives in <dir>/reg; the server serves <dir>, so the outside file is
    // reachable at the URL the encoded path resolves to.
    std::fs::write(reg.dir.path().join("outside.ehrpkg"), &package).unwrap();
    edit_index(&reg, |_, e| {
        e.path = "packages/%2e%2e/%2e%2e/outside.ehrpkg".into()
    });
    let (listener, addr) = ehr_host::registry::serve::bind(0).await.unwrap();
    let _server = tokio::spawn(ehr_host::registry::serve::serve(
        listener,
        reg.dir.path().to_path_buf(),
    ));
    let key = reg.key.public().to_hex();
    for (name, location) in [
        ("web", format!("http://{addr}/reg/")),
        ("folder", reg.path()),
    ] {
        ok(
            &home,
            &[
                "registry",
                "add",
                &location,
                "--name",
                name,
                "--root-key",
                &key,
            ],
        );
        let (code, out, err) = home.cli(&["install", "hostile"]);
        assert_eq!(code, 3, "{name}: {out}{err}");
        assert!(
            err.contains(
                "download path `packages/%2e%2e/%2e%2e/outside.ehrpkg` leaves the registry"
            ) && err.contains("decodes to `packages/../../outside.ehrpkg`"),
            "{name}: {err}"
        );
        assert!(!installed(&home), "{name}");
        ok(&home, &["registry", "remove", name]);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

// A validly signed next root that has already expired is refused, and the trusted root
// stays byte for byte what it was, so when the registry re-issues root 2 with a proper
// expiry the agent follows it (before, the expired root was saved as trusted and every
// later refresh failed until the file was restored by hand).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_next_root_never_replaces_the_trusted_one() {
    let reg = TestRegistry::new();
    let home = TestHome::new(CONFIG);
    reg.publish(&home.package("hostile").await);
    let key = reg.key.public().to_hex();
    ok(
        &home,
        &[
            "registry",
            "add",
            &reg.path(),
            "--name",
            "test",
            "--root-key",
            &key,
        ],
    );
    let trusted = home.dir.path().join("registries/test/root.json");
    let before = std::fs::read(&trusted).unwrap();
    let pristine = TempDir::new("registry-pristine");
    copy_dir(reg.reg.path(), pristine.path());

    let new_key = SecretKey::generate().unwrap();
    reg.reg
        .rotate(&[&reg.key], &[&new_key], 1, Duration::ZERO, DAY)
        .unwrap();
    for _ in 0..2 {
        let (code, out, err) = home.cli(&["search"]);
        assert_eq!(code, 3, "{out}{err}");
        assert!(err.contains("serves an expired root version 2"), "{err}");
        assert_eq!(
            std::fs::read(&trusted).unwrap(),
            before,
            "the refused root was saved"
        );
    }

    // The registry operator re-issues root 2, this time with a year's validity.
    std::fs::remove_dir_all(reg.reg.path()).unwrap();
    copy_dir(pristine.path(), reg.reg.path());
    reg.reg
        .rotate(&[&reg.key], &[&new_key], 1, DAY * 365, DAY)
        .unwrap();
    let out = ok(&home, &["search"]);
    assert!(out.contains("hostile"), "{out}");
    assert_ne!(
        std::fs::read(&trusted).unwrap(),
        before,
        "root 2 is trusted now"
    );
    ok(&home, &["install", "hostile"]);
    assert!(installed(&home));
}

/// Text a registry could serve to drive an operator's terminal.
const HOSTILE: &str = "bad\x1b[2J\x1b[32m all good\x1b[0m\r\nINFO installed";

/// The host's own log lines are coloured; what must not appear is the registry's
/// screen clear and colour, or a bare carriage return.
fn inert(what: &str, text: &str) {
    assert!(
        !text.contains("\x1b[2J") && !text.contains("\x1b[32m all good") && !text.contains('\r'),
        "{what}: raw escapes: {text:?}"
    );
    assert!(
        text.contains("\\u{1b}[2J"),
        "{what}: the text is not shown: {text}"
    );
    assert!(
        !text.lines().any(|l| l.starts_with("INFO installed")),
        "{what}: a forged line: {text}"
    );
}

// A yank reason with escapes, set with `ehr-host registry yank`, and an EHR name and
// description with escapes in the signed index: `search` and the refused `install` show
// them inert; an index entry under an id no adapter can have is left out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_text_is_made_safe_to_show() {
    let reg = TestRegistry::new();
    let home = TestHome::new(CONFIG);
    reg.publish(&home.package("hostile").await);
    reg.publish(&home.package("misbehaving").await);
    let keys = TempDir::new("registry-key");
    let (key_file, _) = reg.key.write_pair(&keys.path().join("registry")).unwrap();
    ok(
        &home,
        &[
            "registry",
            "yank",
            &reg.path(),
            "hostile@0.1.0",
            "--reason",
            HOSTILE,
            "--key",
            key_file.to_str().unwrap(),
        ],
    );
    let mut index = reg.reg.index().unwrap();
    for e in index.adapters.values_mut().flatten() {
        e.ehr = HOSTILE.into();
        e.description = HOSTILE.into();
    }
    let stray = index.adapters["hostile"].clone();
    index.adapters.insert(format!("evil{HOSTILE}"), stray);
    index.version += 1;
    reg.reg.write_index(&index, &[&reg.key]).unwrap();

    ok(&home, &["registry", "add", &reg.path(), "--name", "test"]);
    let (code, out, err) = home.cli(&["search"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("misbehaving"), "{out}");
    inert("search", &format!("{out}{err}"));
    assert!(!out.contains("evil"), "{out}");
    let (code, out, err) = home.cli(&["install", "hostile@=0.1.0"]);
    assert_eq!(code, 3, "{out}{err}");
    inert("install", &format!("{out}{err}"));
    assert!(
        err.contains("yanked") && err.contains("\\u{1b}[2J"),
        "{err}"
    );
}
