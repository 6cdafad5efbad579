//! HTTP-level faults from a third-party tool: WireMock (npm `wiremock`, on Java) sits in
//! front of the sandbox as a proxy, and stubs replace chosen answers with faults WireMock
//! itself produces (connection reset, empty reply, malformed chunked body, fixed delay,
//! stubbed statuses). The real adapters run through the real `ehr-host` binary; each test
//! checks the typed outcome, the exit code, the user's advice, and that nothing reached
//! the chart.

use ehr_e2e::cloud::{self, Auth, Target, EYEFINITY, REVOLUTION};
use ehr_e2e::faults::{expect_failure, expect_nothing_written, write};
use ehr_e2e::wiremock::WireMock;
use ehr_e2e::TestHome;
use ehr_sandbox::Sandbox;
use serde_json::json;

/// The sandbox, WireMock proxying to it, and a home whose adapter talks to WireMock.
async fn setup(
    target: &Target,
    request_timeout_secs: Option<f64>,
) -> (Sandbox, WireMock, TestHome) {
    let sandbox = cloud::start_sandbox(target).await;
    let wm = WireMock::start().await;
    wm.proxy_all_to(&sandbox.url()).await;
    let url = wm.url();
    let home = TestHome::new(&cloud::config(
        target,
        &url,
        &url,
        Auth::Bearer,
        request_timeout_secs,
    ));
    home.install(target.adapter).await;
    (sandbox, wm, home)
}

/// A stub for `method` requests whose path matches `pattern`, answering `response`.
fn stub(method: &str, pattern: &str, response: serde_json::Value) -> serde_json::Value {
    json!({"priority": 1, "request": {"method": method, "urlPathPattern": pattern}, "response": response})
}

// The document save is answered by WireMock with a TCP reset: retryable "EHR
// unreachable", and the save never reached the EHR.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_on_save_is_unreachable() {
    let (sandbox, wm, home) = setup(&EYEFINITY, None).await;
    wm.stub(stub(
        "PUT",
        ".*/document",
        json!({"fault": "CONNECTION_RESET_BY_PEER"}),
    ))
    .await;
    let run = write(&home, "eyefinity", &cloud::snapshot(&EYEFINITY, |_| {}));
    expect_failure(
        &run,
        5,
        "unreachable",
        "retryable",
        &["The EHR could not be reached"],
    );
    expect_nothing_written(&sandbox);
    // The reads before the save went through WireMock to the sandbox.
    assert!(sandbox
        .state()
        .requests
        .iter()
        .any(|r| r.path.contains("/forms/")));
}

// The visit read comes back as a malformed chunked body: retryable "EHR unreachable"
// (the answer was broken in transit), nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_chunk_is_unreachable() {
    let (sandbox, wm, home) = setup(&EYEFINITY, None).await;
    wm.stub(stub(
        "GET",
        "/ehr/v2/visits/[^/]+",
        json!({"fault": "MALFORMED_RESPONSE_CHUNK"}),
    ))
    .await;
    let run = write(&home, "eyefinity", &cloud::snapshot(&EYEFINITY, |_| {}));
    expect_failure(
        &run,
        5,
        "unreachable",
        "retryable",
        &["The EHR could not be reached"],
    );
    expect_nothing_written(&sandbox);
}

// WireMock delays the visit read by 3 s against a 0.5 s request timeout: retryable
// timeout, nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_delay_is_timeout() {
    let (sandbox, wm, home) = setup(&EYEFINITY, Some(0.5)).await;
    let delayed = json!({"status": 200, "fixedDelayMilliseconds": 3000, "body": "{}"});
    wm.stub(stub("GET", "/ehr/v2/visits/[^/]+", delayed)).await;
    let run = write(&home, "eyefinity", &cloud::snapshot(&EYEFINITY, |_| {}));
    expect_failure(
        &run,
        5,
        "timeout",
        "retryable",
        &["The EHR did not answer in time"],
    );
    expect_nothing_written(&sandbox);
}

// A 503 stubbed on the save: retryable EHR-internal error, nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stubbed_503_on_save_is_ehr_internal() {
    let (sandbox, wm, home) = setup(&EYEFINITY, None).await;
    let unavailable = json!({"status": 503, "headers": {"content-type": "application/json"},
        "jsonBody": {"error": "unavailable", "message": "maintenance window", "requestId": "wm-42"}});
    wm.stub(stub("PUT", ".*/document", unavailable)).await;
    let run = write(&home, "eyefinity", &cloud::snapshot(&EYEFINITY, |_| {}));
    expect_failure(
        &run,
        5,
        "ehr_internal",
        "retryable",
        &["HTTP 503", "maintenance window", "wm-42"],
    );
    expect_nothing_written(&sandbox);
}

// A 429 with `Retry-After: 12` stubbed on the first read: rate limited, retry after 12 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stubbed_429_carries_retry_after() {
    let (sandbox, wm, home) = setup(&EYEFINITY, None).await;
    let limited = json!({"status": 429, "headers": {"retry-after": "12"}, "jsonBody": {"error": "rate_limited"}});
    wm.stub(stub("GET", "/ehr/v2/visits/[^/]+", limited)).await;
    let run = write(&home, "eyefinity", &cloud::snapshot(&EYEFINITY, |_| {}));
    expect_failure(&run, 5, "rate_limited", "retryable", &["wait 12 seconds"]);
    assert_eq!(run.report["error"]["retry_after_seconds"], 12);
    expect_nothing_written(&sandbox);
}

// RevolutionEHR's first exam-section write gets an empty reply (the server closes without
// answering): retryable "EHR unreachable", and no section reached the chart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_reply_on_revolution_write_is_unreachable() {
    let (sandbox, wm, home) = setup(&REVOLUTION, None).await;
    wm.stub(stub(
        "PUT",
        "/api/v1/encounters/[^/]+/exam/.*",
        json!({"fault": "EMPTY_RESPONSE"}),
    ))
    .await;
    let run = write(&home, "revolution", &cloud::snapshot(&REVOLUTION, |_| {}));
    expect_failure(
        &run,
        5,
        "unreachable",
        "retryable",
        &["The EHR could not be reached"],
    );
    expect_nothing_written(&sandbox);
    assert!(sandbox
        .state()
        .requests
        .iter()
        .any(|r| r.path.contains("/templates/")));
}

// With no fault stubbed, WireMock is a transparent proxy: the write lands in the
// sandbox (so the fault tests above fail because of their fault, not the proxy).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_without_fault_lands_the_write() {
    let (sandbox, _wm, home) = setup(&EYEFINITY, None).await;
    let run = write(&home, "eyefinity", &cloud::snapshot(&EYEFINITY, |_| {}));
    assert_eq!(run.code, 0, "{:#}", run.report);
    assert_eq!(sandbox.state().encounters["V-9001"].revision, 1);
}

// A proxy's HTML login page answered with 200 instead of the visit's JSON: the adapter
// cannot read it, so nothing is written and the job fails with the unreadable answer in
// the details (classified as an adapter failure: the answer is not the documented API).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_instead_of_json_writes_nothing() {
    let (sandbox, wm, home) = setup(&EYEFINITY, None).await;
    let page = json!({"status": 200, "headers": {"content-type": "text/html"},
        "body": "<html><body>Please sign in to the proxy</body></html>"});
    wm.stub(stub("GET", "/ehr/v2/visits/[^/]+", page)).await;
    let run = write(&home, "eyefinity", &cloud::snapshot(&EYEFINITY, |_| {}));
    expect_failure(
        &run,
        6,
        "adapter_bug",
        "terminal",
        &["unexpected response body"],
    );
    expect_nothing_written(&sandbox);
}
