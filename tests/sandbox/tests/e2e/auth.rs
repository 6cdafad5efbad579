//! Authentication: bearer tokens, the OAuth client-credentials flow, expiry.

use std::time::Duration;

use ehr_sandbox::SandboxConfig;
use serde_json::json;

use crate::common::{send, start, start_with};

// A request without any Authorization header is refused with invalid_token.
#[tokio::test]
async fn missing_token_is_refused() {
    let env = start().await;
    let (status, body) = crate::common::parts(
        env.client
            .get(env.url("/api/v1/ping"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_token");
}

// An unknown bearer token is refused with invalid_token, not session_expired.
#[tokio::test]
async fn unknown_token_is_refused() {
    let env = start().await;
    let (status, body) = send(
        env.client
            .get(env.url("/api/v1/ping"))
            .bearer_auth("forged"),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_token");
}

// The configured static token opens the API.
#[tokio::test]
async fn static_token_is_accepted() {
    let env = start().await;
    let (status, body) = send(env.get("/api/v1/ping")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"status": "ok", "version": "RevolutionEHR sandbox 1.0"})
    );
}

// Client credentials in the form body yield a bearer token that works on the API.
#[tokio::test]
async fn oauth_form_credentials_issue_a_working_token() {
    let env = start().await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "ehr-host"),
        ("client_secret", "sandbox-secret"),
    ];
    let (status, body) = send(env.client.post(env.url("/oauth/token")).form(&form)).await;
    assert_eq!(status, 200);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let token = body["access_token"].as_str().unwrap();
    let (status, _) = send(env.client.get(env.url("/api/v1/ping")).bearer_auth(token)).await;
    assert_eq!(status, 200);
}

// HTTP Basic client authentication works too; a wrong secret is invalid_client.
#[tokio::test]
async fn oauth_basic_credentials_and_bad_client() {
    let env = start().await;
    let form = [("grant_type", "client_credentials")];
    let ok = env
        .client
        .post(env.url("/oauth/token"))
        .basic_auth("ehr-host", Some("sandbox-secret"))
        .form(&form);
    let (status, body) = send(ok).await;
    assert_eq!(status, 200);
    assert!(body["access_token"].as_str().unwrap().starts_with("rev_"));

    let bad = env
        .client
        .post(env.url("/oauth/token"))
        .basic_auth("ehr-host", Some("guess"))
        .form(&form);
    let (status, body) = send(bad).await;
    assert_eq!(status, 401);
    assert_eq!(body, json!({"error": "invalid_client"}));

    let wrong_grant = [
        ("grant_type", "password"),
        ("client_id", "ehr-host"),
        ("client_secret", "sandbox-secret"),
    ];
    let (status, body) = send(env.client.post(env.url("/oauth/token")).form(&wrong_grant)).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "unsupported_grant_type");
}

// expire_tokens kills static and issued tokens (session_expired); new tokens work; reset revives.
#[tokio::test]
async fn expire_tokens_then_reauthenticate() {
    let env = start().await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "ehr-host"),
        ("client_secret", "sandbox-secret"),
    ];
    let issue = || async {
        let (_, body) = send(env.client.post(env.url("/oauth/token")).form(&form)).await;
        body["access_token"].as_str().unwrap().to_string()
    };
    let old = issue().await;
    env.sandbox.expire_tokens();

    let (status, body) = send(env.get("/api/v1/ping")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("session_expired"))
    );
    assert_eq!(body["message"], "Session expired");
    let (status, body) = send(env.client.get(env.url("/api/v1/ping")).bearer_auth(&old)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("session_expired"))
    );

    let fresh = issue().await;
    let (status, _) = send(env.client.get(env.url("/api/v1/ping")).bearer_auth(&fresh)).await;
    assert_eq!(status, 200);

    env.sandbox.reset();
    let (status, _) = send(env.get("/api/v1/ping")).await;
    assert_eq!(status, 200);
}

// The same expiry is reachable over HTTP for scripts.
#[tokio::test]
async fn expire_tokens_over_http() {
    let env = start().await;
    let res = env
        .client
        .post(env.url("/_sandbox/expire-tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    let (status, body) = send(env.get("/api/v1/ping")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("session_expired"))
    );
}

// Issued tokens die at the end of token_ttl (zero here, so at once).
#[tokio::test]
async fn issued_tokens_expire_after_ttl() {
    let cfg = SandboxConfig {
        token_ttl: Duration::ZERO,
        ..SandboxConfig::default()
    };
    let env = start_with(cfg).await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "ehr-host"),
        ("client_secret", "sandbox-secret"),
    ];
    let (_, body) = send(env.client.post(env.url("/oauth/token")).form(&form)).await;
    assert_eq!(body["expires_in"], 0);
    let token = body["access_token"].as_str().unwrap();
    let (status, body) = send(env.client.get(env.url("/api/v1/ping")).bearer_auth(token)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("session_expired"))
    );
}
