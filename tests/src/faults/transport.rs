//! Failures on the way to the EHR and back: timeouts, rate limits, 5xx, resets, DNS,
//! refused connections.

use super::{expect_failure, expect_nothing_written, fault_case, write};
use crate::cloud::{self, Auth, Target};
use crate::TestHome;
use ehr_sandbox::{Fault, FaultMode};
use serde_json::Value;

/// 408 from the EHR: a retryable timeout.
pub async fn request_timeout_408(target: &Target) {
    let (sandbox, run) = fault_case(target, Fault::new(FaultMode::RequestTimeout)).await;
    expect_failure(
        &run,
        5,
        "timeout",
        "retryable",
        &["did not answer in time", "408"],
    );
    expect_nothing_written(&sandbox);
}

/// A reply slower than the configured per-request timeout: a retryable timeout, not the
/// host's per-call limit, and nothing written.
pub async fn slow_reply(target: &Target) {
    let (sandbox, home) = cloud::setup(target, Auth::Bearer, Some(0.5)).await;
    sandbox
        .set_fault(Fault::new(FaultMode::Slow { delay_ms: 3000 }).on_path(target.encounter_path));
    let run = write(&home, target.adapter, &cloud::snapshot(target, |_| {}));
    expect_failure(
        &run,
        5,
        "timeout",
        "retryable",
        &["may be overloaded", "no answer from"],
    );
    expect_nothing_written(&sandbox);
}

/// 429 with `Retry-After`: retryable after exactly that delay.
pub async fn rate_limited_with_retry_after(target: &Target) {
    let fault = Fault::new(FaultMode::RateLimited {
        retry_after: Some(7),
    });
    let (sandbox, run) = fault_case(target, fault).await;
    expect_failure(&run, 5, "rate_limited", "retryable", &["wait 7 seconds"]);
    assert_eq!(run.report["error"]["retry_after_seconds"], 7);
    expect_nothing_written(&sandbox);
}

/// 429 without `Retry-After`: retryable with increasing delays, no invented delay.
pub async fn rate_limited_without_retry_after(target: &Target) {
    let fault = Fault::new(FaultMode::RateLimited { retry_after: None });
    let (sandbox, run) = fault_case(target, fault).await;
    expect_failure(
        &run,
        5,
        "rate_limited",
        "retryable",
        &["with increasing delays"],
    );
    assert_eq!(run.report["error"]["retry_after_seconds"], Value::Null);
    expect_nothing_written(&sandbox);
}

/// 500 with a request id: retryable EHR-internal error that shows the id for escalation.
pub async fn internal_500(target: &Target) {
    let (sandbox, run) = fault_case(target, Fault::new(FaultMode::Internal)).await;
    expect_failure(
        &run,
        5,
        "ehr_internal",
        "retryable",
        &["escalate to EHR vendor support", "HTTP 500", "request id"],
    );
    expect_nothing_written(&sandbox);
}

/// 503: retryable EHR-internal error.
pub async fn unavailable_503(target: &Target) {
    let (sandbox, run) = fault_case(target, Fault::new(FaultMode::Unavailable)).await;
    expect_failure(
        &run,
        5,
        "ehr_internal",
        "retryable",
        &["HTTP 503", "Service temporarily unavailable"],
    );
    expect_nothing_written(&sandbox);
}

/// The connection is reset without an answer: retryable "EHR unreachable".
pub async fn connection_reset(target: &Target) {
    let (sandbox, run) = fault_case(target, Fault::new(FaultMode::Reset)).await;
    expect_failure(
        &run,
        5,
        "unreachable",
        "retryable",
        &["The EHR could not be reached"],
    );
    expect_nothing_written(&sandbox);
}

/// The EHR's name does not resolve (a `.invalid` host, granted): "EHR unreachable".
pub async fn dns_failure(target: &Target) {
    let url = "http://ehr-sandbox.invalid:8443";
    let home = TestHome::new(&cloud::config(target, url, url, Auth::Bearer, Some(5.0)));
    home.install(target.adapter).await;
    let run = write(&home, target.adapter, &cloud::snapshot(target, |_| {}));
    expect_failure(
        &run,
        5,
        "unreachable",
        "retryable",
        &["The EHR could not be reached", "ehr-sandbox.invalid"],
    );
}

/// Nothing listens at the EHR's address (connection refused): "EHR unreachable".
pub async fn connection_refused(target: &Target) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let home = TestHome::new(&cloud::config(target, &url, &url, Auth::Bearer, None));
    home.install(target.adapter).await;
    let run = write(&home, target.adapter, &cloud::snapshot(target, |_| {}));
    expect_failure(
        &run,
        5,
        "unreachable",
        "retryable",
        &["The EHR could not be reached", "cannot connect"],
    );
}

/// A hanging EHR with no per-request timeout configured: the host ends the request just
/// before the call's own limit, so users read "The EHR did not answer in time" (the EHR's
/// fault, retryable) rather than "The adapter took too long".
pub async fn slow_reply_hits_call_limit(target: &Target) {
    let sandbox = cloud::start_sandbox(target).await;
    let url = sandbox.url();
    let config = cloud::config(target, &url, &url, Auth::Bearer, None)
        .replace("timeout_secs = 10", "timeout_secs = 2");
    let home = TestHome::new(&config);
    home.install(target.adapter).await;
    sandbox
        .set_fault(Fault::new(FaultMode::Slow { delay_ms: 6000 }).on_path(target.encounter_path));
    let run = write(&home, target.adapter, &cloud::snapshot(target, |_| {}));
    expect_failure(
        &run,
        5,
        "timeout",
        "retryable",
        &["The EHR did not answer in time"],
    );
    expect_nothing_written(&sandbox);
}
