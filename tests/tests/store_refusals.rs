//! What the store refuses, and what it does while another operation holds an adapter:
//! the exit codes the README documents (3 refused, 7 another operation), with the store
//! left as it was.

use ehr_e2e::TestHome;
use std::time::{Duration, Instant};

const CONFIG: &str = "[adapters.misbehaving.settings]\nmode = \"ok\"\n";

/// `wasm` with a custom section appended: the same component, other bytes.
fn with_custom_section(mut wasm: Vec<u8>) -> Vec<u8> {
    let name = b"rebuilt";
    let payload = b"same code, other bytes";
    let size = 1 + name.len() + payload.len();
    wasm.push(0); // custom section id
    wasm.push(size as u8); // LEB128 of a size below 128
    wasm.push(name.len() as u8);
    wasm.extend_from_slice(name);
    wasm.extend_from_slice(payload);
    wasm
}

fn state(home: &TestHome) -> Vec<u8> {
    std::fs::read(home.dir.path().join("adapters/misbehaving/state.json")).unwrap()
}

// The same version with other bytes is refused as a package would be (exit 3), naming
// both hashes, with the store unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_version_other_bytes_is_refused() {
    let home = TestHome::new(CONFIG);
    home.install("misbehaving").await;
    let wasm = with_custom_section(ehr_e2e::component("misbehaving"));
    let bytes = home.host().sign_component(wasm, &home.key).await.unwrap().1;
    let path = home.dir.path().join("rebuilt.ehrpkg");
    std::fs::write(&path, bytes).unwrap();
    let before = state(&home);
    let (code, _, err) = home.cli(&["install", path.to_str().unwrap()]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("misbehaving 0.1.0 is already installed with different content")
            && err.contains("release a new version number"),
        "{err}"
    );
    assert_eq!(state(&home), before);
}

// While another process holds the adapter's lock, `rollback` waits; released within the
// wait, it goes ahead; held longer, it gives up (exit 7) naming the holder's operation and
// changing nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_lock_makes_others_wait_then_give_up_naming_it() {
    let home = TestHome::new(CONFIG);
    home.install("misbehaving").await;
    home.install("misbehaving-0.2.0").await;
    let adapters = home.dir.path().join("adapters");
    let lock = |what: &str| {
        ehr_host::store::lock::acquire(&adapters, "misbehaving", what, Duration::ZERO).unwrap()
    };

    let held = lock("a test holding the lock briefly");
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        drop(held);
    });
    let (code, out, err) = home.cli(&["rollback", "misbehaving"]);
    assert_eq!(code, 0, "it waited and went ahead: {err}");
    assert!(
        out.contains("rolled misbehaving back from 0.2.0 to 0.1.0"),
        "{out}"
    );
    release.join().unwrap();

    let _held = lock("`ehr-host install` of misbehaving 9.9.9 (a stuck test)");
    let before = state(&home);
    let t = Instant::now();
    let (code, _, err) = home.cli(&["rollback", "misbehaving", "--retry-rolled-back"]);
    assert_eq!(code, 7, "{err}");
    assert!(
        err.contains("`misbehaving` is being changed by another operation: `ehr-host install` of misbehaving 9.9.9 (a stuck test) (process")
            && err.contains("Nothing was changed"),
        "{err}"
    );
    assert!(
        t.elapsed() >= ehr_host::store::lock::LOCK_WAIT,
        "it waited first"
    );
    assert_eq!(state(&home), before);
}
