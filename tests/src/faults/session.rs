//! Failures of the session: expired or refused credentials, no login, missing permission.

use super::{expect_failure, expect_nothing_written, fault_case, write};
use crate::cloud::{self, Auth, Target};
use ehr_sandbox::{Fault, FaultMode};

const LOG_BACK_IN: &str = "EHR session expired: log back in, then retry";
/// The advice for an API token in config: fixed there, not by logging in.
const REPLACE_TOKEN: &str = "Replace the token in the agent's config.toml";
/// The advice for OAuth client credentials the EHR refuses.
const CHECK_CLIENT: &str = "Check the client id and secret";

/// A static token the EHR expired: needs a person, "EHR session expired", nothing written.
pub async fn session_expired(target: &Target) {
    let (sandbox, home) = cloud::setup(target, Auth::Bearer, None).await;
    sandbox.expire_tokens();
    let run = write(&home, target.adapter, &cloud::snapshot(target, |_| {}));
    expect_failure(&run, 4, "session_expired", "needs_person", &[REPLACE_TOKEN]);
    assert!(
        !run.human.contains(LOG_BACK_IN),
        "a token is not fixed by logging in: {}",
        run.human
    );
    expect_nothing_written(&sandbox);
}

/// OAuth2: the EHR expires the token mid-session; the host refreshes it exactly once and
/// the write succeeds (in-process, where the token cache lives across calls).
pub async fn oauth2_refreshed_once(target: &Target) {
    let (sandbox, home) = cloud::setup(target, Auth::OAuth2("sandbox-secret"), None).await;
    let host = home.host();
    let adapter = host.load(target.adapter).unwrap();
    adapter.check().await.unwrap();
    sandbox.expire_tokens();
    let text = serde_json::to_string(&cloud::snapshot(target, |_| {})).unwrap();
    let result = adapter
        .write_encounter(ehr_host::snapshot::parse(&text).unwrap())
        .await;
    assert!(result.is_ok(), "{result:?}");
    let state = sandbox.state();
    let fetches = state
        .requests
        .iter()
        .filter(|r| r.path == target.token_path)
        .count();
    assert_eq!(fetches, 2, "one token, then exactly one refresh");
    assert!(state.encounters[target.open].applied_writes > 0);
}

/// OAuth2: the token endpoint keeps refusing: "EHR session expired", nothing written.
pub async fn oauth2_token_refused(target: &Target) {
    let (sandbox, home) = cloud::setup(target, Auth::OAuth2("sandbox-secret"), None).await;
    sandbox.set_fault(Fault::new(FaultMode::SessionExpired).on_path(target.token_path));
    let run = write(&home, target.adapter, &cloud::snapshot(target, |_| {}));
    expect_failure(
        &run,
        4,
        "session_expired",
        "needs_person",
        &[CHECK_CLIENT, "token endpoint"],
    );
    expect_nothing_written(&sandbox);
}

/// OAuth2: the token endpoint is down (503): a retryable outage of the EHR ("EHR
/// internal", issue 11), not "log back in" — logging in again would not help, and the job
/// retries by itself.
pub async fn oauth2_token_endpoint_down(target: &Target) {
    let (sandbox, home) = cloud::setup(target, Auth::OAuth2("sandbox-secret"), None).await;
    sandbox.set_fault(Fault::new(FaultMode::Unavailable).on_path(target.token_path));
    let run = write(&home, target.adapter, &cloud::snapshot(target, |_| {}));
    expect_failure(
        &run,
        5,
        "ehr_internal",
        "retryable",
        &[
            "escalate to EHR vendor support",
            "token endpoint",
            "HTTP 503",
        ],
    );
    assert!(!run.human.contains(LOG_BACK_IN), "{}", run.human);
    expect_nothing_written(&sandbox);
}

/// A logged-out session (401 `not_logged_in`): log in, wait for the page, retry.
pub async fn logged_out(target: &Target) {
    let (sandbox, run) = fault_case(target, Fault::new(FaultMode::LoggedOut)).await;
    expect_failure(
        &run,
        4,
        "not_logged_in",
        "needs_person",
        &["Log into your EHR, wait for the page to fully load, then retry"],
    );
    expect_nothing_written(&sandbox);
}

/// 403 on the write, naming the missing permission: the advice names it.
pub async fn forbidden_named(target: &Target) {
    let fault = Fault::new(FaultMode::Forbidden {
        missing_permission: Some("exam.write".into()),
    })
    .on_path(target.write_path);
    let (sandbox, run) = fault_case(target, fault).await;
    expect_failure(
        &run,
        4,
        "permission_denied",
        "needs_person",
        &[
            "missing permission: exam.write",
            "Ask your EHR administrator",
        ],
    );
    expect_nothing_written(&sandbox);
}

/// 403 without a named permission: still permission denied, without inventing a name.
pub async fn forbidden_unnamed(target: &Target) {
    let fault = Fault::new(FaultMode::Forbidden {
        missing_permission: None,
    });
    let (sandbox, run) = fault_case(target, fault).await;
    expect_failure(
        &run,
        4,
        "permission_denied",
        "needs_person",
        &["lacks a permission it needs."],
    );
    assert!(!run.human.contains("missing permission"), "{}", run.human);
    expect_nothing_written(&sandbox);
}
