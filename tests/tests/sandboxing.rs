//! The runtime's promises, checked against the real `misbehaving` component: limits stop
//! bad adapters without taking the host down, and guests get no filesystem, environment,
//! sockets or secrets.

use ehr_e2e::TestHome;
use ehr_host::runtime::bindings::latest::AdapterError;
use ehr_host::runtime::CallError;

fn config(mode: &str, extra: &str) -> String {
    format!(
        "[limits]\ntimeout_secs = 2\nmemory_mb = 32\n\n[adapters.misbehaving]\nhttp = [\"http://127.0.0.1:1\"]\n\n[adapters.misbehaving.settings]\nmode = \"{mode}\"\n{extra}\n"
    )
}

/// Installs `misbehaving` under `mode` and runs `check` once.
async fn check_with(
    mode: &str,
    extra: &str,
) -> (
    TestHome,
    Result<ehr_host::runtime::bindings::latest::CheckReport, CallError>,
) {
    let home = TestHome::new(&config(mode, extra));
    home.install("misbehaving").await;
    let adapter = home.host().load("misbehaving").unwrap();
    let result = adapter.check().await;
    (home, result)
}

/// Rewrites the config to `ok` and checks the host still serves the adapter.
async fn still_serves(home: &TestHome) {
    std::fs::write(home.dir.path().join("config.toml"), config("ok", "")).unwrap();
    let adapter = home.host().load("misbehaving").unwrap();
    let report = adapter
        .check()
        .await
        .expect("a healthy call after a failed one");
    assert_eq!(report.details, vec!["misbehaving: ok".to_string()]);
}

// An adapter stuck in `loop {}` is stopped at the deadline and classed as a guest that
// never yields (a bug in the adapter, which no retry cures), not as a slow EHR; the same
// host process keeps serving calls afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infinite_loop_is_stopped_as_an_adapter_bug_and_host_keeps_serving() {
    let (home, result) = check_with("loop", "").await;
    match result {
        Err(CallError::Hung { limit, computing }) => {
            assert_eq!(limit.as_secs(), 2);
            assert!(computing.as_secs_f32() > 1.5, "{computing:?}");
        }
        other => panic!("expected a guest that never yields, got {other:?}"),
    }
    still_serves(&home).await;
}

// A panic in the adapter becomes an adapter-bug error carrying the panic message; an
// `unreachable` trap likewise; neither crashes the host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traps_become_adapter_errors() {
    let (home, result) = check_with("trap", "").await;
    match result {
        Err(CallError::Trapped { message }) => {
            assert!(message.contains("deliberate panic"), "{message}")
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    let (_, result) = check_with("unreachable", "").await;
    assert!(
        matches!(result, Err(CallError::Trapped { .. })),
        "{result:?}"
    );
    still_serves(&home).await;
}

// An adapter that keeps allocating is stopped at its memory limit with an error naming
// the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_limit_is_enforced() {
    let (home, result) = check_with("alloc", "").await;
    match result {
        Err(CallError::MemoryExceeded { limit }) => assert_eq!(limit, 32 << 20),
        other => panic!("expected the memory limit, got {other:?}"),
    }
    still_serves(&home).await;
}

// The guest has no filesystem: reading /etc/passwd and writing a file both fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_filesystem() {
    let (_home, result) = check_with("fs", "").await;
    let Err(CallError::Adapter(AdapterError::AdapterBug(m))) = result else {
        panic!("expected the adapter's report, got {result:?}");
    };
    assert!(
        m.starts_with("fs: read=Err(") && m.contains("write=Err("),
        "{m}"
    );
    assert!(!m.contains("root:"), "the guest read /etc/passwd: {m}");
}

// The guest sees an empty environment, even though the host process has variables.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_environment() {
    assert!(std::env::var("PATH").is_ok());
    let (_home, result) = check_with("env", "").await;
    let Err(CallError::Adapter(AdapterError::AdapterBug(m))) = result else {
        panic!("expected the adapter's report, got {result:?}");
    };
    assert_eq!(m, "env: []");
}

// The guest cannot open sockets, even to a port that is listening on loopback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_sockets() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (_home, result) = check_with("socket", &format!("port = \"{port}\"")).await;
    let Err(CallError::Adapter(AdapterError::AdapterBug(m))) = result else {
        panic!("expected the adapter's report, got {result:?}");
    };
    assert!(m.starts_with("socket: Err("), "{m}");
    listener.set_nonblocking(true).unwrap();
    assert!(
        listener.accept().is_err(),
        "a connection reached the listener"
    );
}

// HTTP to an origin outside the grants is refused by the host, naming the origin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_outside_grants_is_refused() {
    let (_home, result) = check_with("http", "url = \"http://127.0.0.1:9/x\"").await;
    let Err(CallError::Adapter(AdapterError::AdapterBug(m))) = result else {
        panic!("expected the adapter's report, got {result:?}");
    };
    assert!(
        m.contains("Denied") && m.contains("http://127.0.0.1:9"),
        "{m}"
    );
}

// A result larger than the output limit fails the call instead of flooding the host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_output_is_refused() {
    // Room in memory for the huge result, so the output limit is what stops it.
    let home = TestHome::new(&config("huge", "").replace("memory_mb = 32", "memory_mb = 512"));
    home.install("misbehaving").await;
    let adapter = home.host().load("misbehaving").unwrap();
    let snapshot = ehr_host::snapshot::parse(
        &std::fs::read_to_string(ehr_e2e::fixture("snapshot-e5001.json")).unwrap(),
    )
    .unwrap();
    let result = adapter.write_encounter(snapshot).await;
    assert!(
        matches!(result, Err(CallError::OutputTooLarge { .. })),
        "{result:?}"
    );
}

// Installing compiles once into the on-disk cache; a new host process (a restart) finds
// the compiled code there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compiled_code_is_cached_across_restarts() {
    let home = TestHome::new(&config("ok", ""));
    home.install("misbehaving").await;
    let installed = home.host().store.get("misbehaving").unwrap();
    let restarted = home.host();
    assert!(restarted.runtime().is_cached(&installed.hash));
    restarted
        .load("misbehaving")
        .unwrap()
        .check()
        .await
        .unwrap();
}
