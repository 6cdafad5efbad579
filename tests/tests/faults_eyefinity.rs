//! The fault suite against Eyefinity: the real `ehr-host` binary and the real built
//! `eyefinity` component, into each switchable fault of the Eyefinity sandbox. The
//! cases live in `ehr_e2e::faults`; each line below states the case it runs.

use ehr_e2e::cloud::EYEFINITY as TARGET;
use ehr_e2e::faults;

macro_rules! case {
    ($name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            faults::$name(&TARGET).await
        }
    };
}

// 401 session expired on a static token: exit 4, "EHR session expired", nothing written.
case!(session_expired);
// OAuth2 token expired mid-session: refreshed exactly once, the write succeeds.
case!(oauth2_refreshed_once);
// OAuth2 token endpoint keeps refusing: "EHR session expired", nothing written.
case!(oauth2_token_refused);
// OAuth2 token endpoint down (503): exit 5, retryable EHR internal, not "log back in".
case!(oauth2_token_endpoint_down);
// 401 not logged in: exit 4, "Log into your EHR, wait for the page to fully load".
case!(logged_out);
// 403 naming the missing permission: exit 4, the advice names it.
case!(forbidden_named);
// 403 without a name: exit 4, no invented permission.
case!(forbidden_unnamed);
// 408 from the EHR: exit 5, timeout.
case!(request_timeout_408);
// A reply slower than the configured request timeout: exit 5, timeout, nothing written.
case!(slow_reply);
// A hanging EHR and no request timeout set: exit 5, "The EHR did not answer in time",
// not "the adapter took too long".
case!(slow_reply_hits_call_limit);
// 422 with per-field messages: exit 6, rejected, the field's message shown.
case!(rejected);
// 429 with Retry-After: exit 5, retry after exactly that delay.
case!(rate_limited_with_retry_after);
// 429 without Retry-After: exit 5, increasing delays, no invented delay.
case!(rate_limited_without_retry_after);
// 500 with a request id: exit 5, EHR internal error with the id for escalation.
case!(internal_500);
// 503: exit 5, EHR internal error.
case!(unavailable_503);
// Connection reset: exit 5, EHR unreachable.
case!(connection_reset);
// DNS failure (a `.invalid` host): exit 5, EHR unreachable.
case!(dns_failure);
// Connection refused: exit 5, EHR unreachable.
case!(connection_refused);
// Template field ids changed: exit 6, template mismatch, nothing written.
case!(template_changed);
// Encounter of another patient: exit 6, wrong patient, no write request at all.
case!(wrong_patient);
// Locked visit: exit 6, encounter locked, nothing written.
case!(encounter_locked);
// Non-ASCII and over-length text: warnings, UTF-8 kept exactly, cut at the limit, never corrupted.
case!(non_ascii_and_over_length);
// Write landed but the answer timed out: the re-run writes nothing twice.
case!(landed_then_timed_out);
