//! How the host names a guest's failure when it runs out of stack or time, driven through
//! the real `misbehaving` component: a stack overflow is called one (not "out of bounds
//! memory access"), a guest that never yields is an adapter bug (exit 6, not retried),
//! and a call that was waiting on the EHR when its time ran out stays a retryable timeout
//! (exit 5).

use ehr_e2e::TestHome;
use ehr_host::runtime::CallError;
use ehr_sandbox::{Fault, FaultMode, Sandbox, SandboxConfig};

/// A home running `misbehaving` in `mode` with a 2 s limit, granted the sandbox at `url`
/// with the sandbox's OAuth2 client, and `url` + `/api/v1/ping` as its `url` setting.
fn home(mode: &str, url: &str) -> TestHome {
    TestHome::new(&format!(
        "[limits]\ntimeout_secs = 2\n\n[adapters.misbehaving]\nhttp = [\"{url}\"]\n\n\
         [adapters.misbehaving.settings]\nmode = \"{mode}\"\nurl = \"{url}/api/v1/ping\"\n\n\
         [[adapters.misbehaving.credentials]]\norigin = \"{url}\"\nkind = \"oauth2\"\n\
         token_url = \"{url}/oauth/token\"\nclient_id = \"ehr-host\"\nclient_secret = \"sandbox-secret\"\n"
    ))
}

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).await.unwrap()
}

// Endless recursion is reported as a stack overflow, in the call's error and in what
// `ehr-host check` prints (exit 6: the adapter's fault, retrying will not help).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stack_overflow_is_named() {
    let sandbox = sandbox().await;
    let home = home("stack", &sandbox.url());
    home.install("misbehaving").await;
    let result = home.host().load("misbehaving").unwrap().check().await;
    match &result {
        Err(CallError::Trapped { message }) => {
            assert!(message.starts_with("stack overflow"), "{message}");
            assert!(!message.contains("out of bounds"), "{message}");
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    let (code, out, err) = home.cli(&["check", "misbehaving"]);
    assert_eq!(code, 6, "{out}{err}");
    assert!(err.contains("stack overflow"), "{err}");
}

// A guest that loops, at once or after a quick request to the EHR, is stopped at the
// deadline as an adapter bug: `ehr-host check` exits 6 ("will not succeed as is"), not 5.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_that_never_yields_is_an_adapter_bug() {
    let sandbox = sandbox().await;
    for mode in ["loop", "wait-then-loop"] {
        let home = home(mode, &sandbox.url());
        home.install("misbehaving").await;
        let result = home.host().load("misbehaving").unwrap().check().await;
        assert!(
            matches!(result, Err(CallError::Hung { .. })),
            "{mode}: {result:?}"
        );
        let (code, out, err) = home.cli(&["check", "misbehaving", "--json"]);
        assert_eq!(code, 6, "{mode}: {out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["error"]["kind"], "adapter_bug", "{v:#}");
        assert!(
            v["error"]["detail"]
                .as_str()
                .unwrap()
                .contains("never yields"),
            "{v:#}"
        );
    }
    let pings = sandbox
        .state()
        .requests
        .iter()
        .filter(|r| r.path == "/api/v1/ping")
        .count();
    assert!(pings >= 1, "wait-then-loop did wait on the EHR first");
}

// A call whose host request is still in flight when its time runs out (here the token
// endpoint, slowed past the deadline) met a slow EHR: a retryable timeout, exit 5.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_on_the_ehr_at_the_deadline_stays_retryable() {
    let sandbox = sandbox().await;
    sandbox.set_fault(Fault::new(FaultMode::Slow { delay_ms: 5000 }).on_path("/oauth/token"));
    let home = home("http", &sandbox.url());
    home.install("misbehaving").await;
    let result = home.host().load("misbehaving").unwrap().check().await;
    assert!(
        matches!(result, Err(CallError::TimedOut { .. })),
        "{result:?}"
    );
    let (code, out, err) = home.cli(&["check", "misbehaving", "--json"]);
    assert_eq!(code, 5, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["class"], "retryable", "{v:#}");
}
