//! The fault suite, one suite for both cloud adapters: every case below drives the real
//! `ehr-host` binary and the real built component of RevolutionEHR and then of
//! Eyefinity into the same switchable sandbox fault. The cases live in `ehr_e2e::faults`;
//! each test states the case it runs. A failure names the target it failed on.

use ehr_e2e::cloud::{Target, EYEFINITY, REVOLUTION};
use ehr_e2e::faults;
use std::future::Future;

/// Runs `case` against each cloud adapter in turn.
async fn both<F, Fut>(name: &str, case: F)
where
    F: Fn(&'static Target) -> Fut,
    Fut: Future<Output = ()>,
{
    for target in [&REVOLUTION, &EYEFINITY] {
        // Printed before the case runs, so a failure's captured output names the target.
        println!("fault case `{name}` against {}", target.adapter);
        case(target).await;
    }
}

// 401 session expired on a static token: exit 4, "EHR session expired", nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_expired() {
    both("session_expired", faults::session_expired).await
}

// OAuth2 token expired mid-session: refreshed exactly once, the write succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_refreshed_once() {
    both("oauth2_refreshed_once", faults::oauth2_refreshed_once).await
}

// OAuth2 token endpoint keeps refusing: "EHR session expired", nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_token_refused() {
    both("oauth2_token_refused", faults::oauth2_token_refused).await
}

// OAuth2 token endpoint down (503): exit 5, retryable, not "log back in".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_token_endpoint_down() {
    both(
        "oauth2_token_endpoint_down",
        faults::oauth2_token_endpoint_down,
    )
    .await
}

// 401 not logged in: exit 4, "Log into your EHR, wait for the page to fully load".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logged_out() {
    both("logged_out", faults::logged_out).await
}

// 403 naming the missing permission: exit 4, the advice names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_named() {
    both("forbidden_named", faults::forbidden_named).await
}

// 403 without a name: exit 4, no invented permission.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_unnamed() {
    both("forbidden_unnamed", faults::forbidden_unnamed).await
}

// 408 from the EHR: exit 5, timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_timeout_408() {
    both("request_timeout_408", faults::request_timeout_408).await
}

// A reply slower than the configured request timeout: exit 5, timeout, nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_reply() {
    both("slow_reply", faults::slow_reply).await
}

// A hanging EHR and no request timeout set: exit 5, "The EHR did not answer in time",
// not "the adapter took too long".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_reply_hits_call_limit() {
    both(
        "slow_reply_hits_call_limit",
        faults::slow_reply_hits_call_limit,
    )
    .await
}

// 422 with per-field messages before anything landed: exit 6, rejected, the message shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected() {
    both("rejected", faults::rejected).await
}

// 429 with Retry-After: exit 5, retry after exactly that delay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_with_retry_after() {
    both(
        "rate_limited_with_retry_after",
        faults::rate_limited_with_retry_after,
    )
    .await
}

// 429 without Retry-After: exit 5, increasing delays, no invented delay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_without_retry_after() {
    both(
        "rate_limited_without_retry_after",
        faults::rate_limited_without_retry_after,
    )
    .await
}

// 500 with a request id: exit 5, EHR internal error with the id for escalation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_500() {
    both("internal_500", faults::internal_500).await
}

// 503: exit 5, EHR internal error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailable_503() {
    both("unavailable_503", faults::unavailable_503).await
}

// Connection reset: exit 5, EHR unreachable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_reset() {
    both("connection_reset", faults::connection_reset).await
}

// DNS failure (a `.invalid` host): exit 5, EHR unreachable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_failure() {
    both("dns_failure", faults::dns_failure).await
}

// Connection refused: exit 5, EHR unreachable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused() {
    both("connection_refused", faults::connection_refused).await
}

// Template field ids changed: exit 6, template mismatch, nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_changed() {
    both("template_changed", faults::template_changed).await
}

// Encounter of another patient: exit 6, wrong patient, no write request at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_patient() {
    both("wrong_patient", faults::wrong_patient).await
}

// Signed / locked encounter: exit 6, encounter locked, nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encounter_locked() {
    both("encounter_locked", faults::encounter_locked).await
}

// Non-ASCII and over-length text: faithful ASCII or UTF-8 kept exactly, CJK for an
// ASCII-only EHR skipped with the reason, cut at the limit, never corrupted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_ascii_and_over_length() {
    both(
        "non_ascii_and_over_length",
        faults::non_ascii_and_over_length,
    )
    .await
}

// Write landed but the answer timed out: the re-run writes nothing twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn landed_then_timed_out() {
    both("landed_then_timed_out", faults::landed_then_timed_out).await
}

// Landed, answer lost, then signed: the retry ends succeeded (replayed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn landed_then_signed() {
    both("landed_then_signed", faults::landed_then_signed).await
}

// Landed, answer lost, then the template's ids changed: the retry ends succeeded (replayed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn landed_then_template_changed() {
    both(
        "landed_then_template_changed",
        faults::landed_then_template_changed,
    )
    .await
}

// A brief template: succeeded with warnings, fields outside it skipped `outside_template`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brief_template() {
    both("brief_template", faults::brief_template).await
}
