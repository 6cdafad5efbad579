//! The host's request rules, driven through the real `hostile` component against the
//! sandbox: a URL with a user name and password, and the headers that are the host's
//! (`Host`, framing, hop-by-hop, credentials), are refused with a message naming them,
//! quickly, and nothing reaches the EHR. And the token endpoint's own faults, with the real
//! cloud adapters: its 429 is "rate limited" with its Retry-After, its 5xx "EHR internal",
//! both retryable (exit 5), neither "log back in" nor "check the internet connection".

use ehr_e2e::cloud::{self, Auth, Target, EYEFINITY, REVOLUTION};
use ehr_e2e::faults::{expect_failure, expect_nothing_written, write};
use ehr_e2e::TestHome;
use ehr_sandbox::{Fault, FaultMode, Sandbox, SandboxConfig};
use std::time::{Duration, Instant};

fn config(url: &str, mode: &str, extra: &str) -> String {
    format!(
        "[adapters.hostile]\nhttp = [\"{url}\"]\n\n[adapters.hostile.settings]\nmode = \"{mode}\"\n\
         url = \"{url}/api/v1/ping\"\n{extra}\n\n[[adapters.hostile.credentials]]\norigin = \"{url}\"\n\
         kind = \"bearer\"\ntoken = \"sandbox-token\"\n"
    )
}

/// Runs `check` on `hostile`; the adapter's report of its request (exit 6), and how long
/// the command took.
fn probe(home: &TestHome) -> (String, Duration) {
    let started = Instant::now();
    let (code, out, err) = home.cli(&["check", "hostile", "--json"]);
    let took = started.elapsed();
    assert_eq!(code, 6, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    (v["error"]["detail"].as_str().unwrap().to_string(), took)
}

fn pings(sandbox: &Sandbox) -> usize {
    sandbox
        .state()
        .requests
        .iter()
        .filter(|r| r.path == "/api/v1/ping")
        .count()
}

// `http://user:secret@granted-origin/` is refused before anything is sent (the HTTP
// client would have sent `Authorization: Basic` of the guest's choosing), naming the URL
// without the password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn userinfo_in_a_url_is_refused() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let home = TestHome::new(&config(&sandbox.url(), "userinfo", ""));
    home.install("hostile").await;
    let (detail, _) = probe(&home);
    assert!(
        detail.contains("InvalidRequest") && detail.contains("user name or password"),
        "{detail}"
    );
    assert!(!detail.contains("user:secret"), "{detail}");
    assert_eq!(pings(&sandbox), 0, "a request reached the EHR");
}

// Every header that is the host's is refused from the guest, naming it, at once: a
// `Content-Length: 5` with no body no longer hangs the call until its time limit, and
// `Host` can no longer carry the origin's token to another virtual host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_and_hop_by_hop_headers_are_refused() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    for (name, value, why) in [
        ("Host", "evil.example", "only the host sets it"),
        ("Content-Length", "5", "only the host sets it"),
        ("Transfer-Encoding", "chunked", "only the host sets it"),
        (
            "Connection",
            "keep-alive, x-secret",
            "only the host sets it",
        ),
        ("Keep-Alive", "timeout=600", "only the host sets it"),
        ("TE", "trailers", "only the host sets it"),
        ("Trailer", "x-late", "only the host sets it"),
        ("Upgrade", "websocket", "only the host sets it"),
        ("Proxy-Connection", "keep-alive", "only the host sets it"),
        (
            "Authorization",
            "Bearer stolen",
            "set by the host from its own credentials",
        ),
    ] {
        let extra = format!("header_name = \"{name}\"\nheader_value = \"{value}\"");
        let home = TestHome::new(&config(&url, "header", &extra));
        home.install("hostile").await;
        let (detail, took) = probe(&home);
        assert!(
            detail.contains(&format!("header `{name}`")) && detail.contains(why),
            "{name}: {detail}"
        );
        assert!(
            !detail.contains(value),
            "{name}: the value was echoed: {detail}"
        );
        assert!(took < Duration::from_secs(10), "{name} took {took:?}");
    }
    assert_eq!(pings(&sandbox), 0, "a request reached the EHR");
    // An ordinary header still goes out.
    let extra = "header_name = \"x-request-id\"\nheader_value = \"r1\"";
    let home = TestHome::new(&config(&url, "header", extra));
    home.install("hostile").await;
    let (detail, _) = probe(&home);
    assert!(detail.contains("Ok((200"), "{detail}");
    assert_eq!(pings(&sandbox), 1);
}

/// Both cloud adapters with OAuth2 credentials, the token endpoint under `fault`.
async fn token_fault(target: &Target, fault: FaultMode) -> (Sandbox, TestHome) {
    let (sandbox, home) = cloud::setup(target, Auth::OAuth2("sandbox-secret"), None).await;
    sandbox.set_fault(Fault::new(fault).on_path(target.token_path));
    (sandbox, home)
}

const NOT_A_LOGIN: &str = "log back in";
const NOT_THE_NETWORK: &str = "internet connection";

// The token endpoint's 429 with Retry-After: "rate limited", retried after the seconds
// the EHR asked for (exit 5), nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_429_is_rate_limited_with_its_retry_after() {
    for target in [&REVOLUTION, &EYEFINITY] {
        let (sandbox, home) = token_fault(
            target,
            FaultMode::RateLimited {
                retry_after: Some(7),
            },
        )
        .await;
        let run = write(&home, target.adapter, &cloud::snapshot(target, |_| {}));
        expect_failure(&run, 5, "rate_limited", "retryable", &["wait 7 seconds"]);
        assert_eq!(
            run.report["error"]["retry_after_seconds"], 7,
            "{:#}",
            run.report
        );
        assert!(
            !run.human.contains(NOT_A_LOGIN) && !run.human.contains(NOT_THE_NETWORK),
            "{}",
            run.human
        );
        expect_nothing_written(&sandbox);
        let (code, out, _) = home.cli(&["check", target.adapter, "--json"]);
        assert_eq!(code, 5, "{out}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["error"]["kind"], "rate_limited", "{v:#}");
    }
}

// Without Retry-After the 429 is still "rate limited", with the usual increasing delays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_429_without_retry_after() {
    let (_sandbox, home) =
        token_fault(&REVOLUTION, FaultMode::RateLimited { retry_after: None }).await;
    let run = write(&home, "revolution", &cloud::snapshot(&REVOLUTION, |_| {}));
    expect_failure(
        &run,
        5,
        "rate_limited",
        "retryable",
        &["with increasing delays"],
    );
}

// The token endpoint's 500 and 503: "EHR internal", retryable (exit 5), naming the
// token endpoint and its status; not a log-in problem, not the network.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_5xx_is_ehr_internal() {
    for target in [&REVOLUTION, &EYEFINITY] {
        for (fault, status) in [
            (FaultMode::Internal, "500"),
            (FaultMode::Unavailable, "503"),
        ] {
            let (sandbox, home) = token_fault(target, fault).await;
            let run = write(&home, target.adapter, &cloud::snapshot(target, |_| {}));
            expect_failure(
                &run,
                5,
                "ehr_internal",
                "retryable",
                &[
                    "token endpoint",
                    &format!("HTTP {status}"),
                    "escalate to EHR vendor support",
                ],
            );
            assert!(
                !run.human.contains(NOT_A_LOGIN) && !run.human.contains(NOT_THE_NETWORK),
                "{}",
                run.human
            );
            expect_nothing_written(&sandbox);
        }
    }
}
