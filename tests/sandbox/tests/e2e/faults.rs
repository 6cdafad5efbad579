//! Every fault mode, count-limited and path-limited faults, and faults set over HTTP.

use std::time::Duration;

use ehr_sandbox::{Fault, FaultMode};
use serde_json::json;

use crate::common::{send, start};

const IOP: &str = "/api/v1/encounters/E5001/exam/iop";

// Each canned-answer mode answers its documented status and body, for reads and writes.
#[tokio::test]
async fn canned_modes_answer_as_documented() {
    let env = start().await;
    let cases = [
        (
            FaultMode::SessionExpired,
            401,
            json!({"error": "session_expired", "message": "Session expired"}),
        ),
        (
            FaultMode::LoggedOut,
            401,
            json!({"error": "not_logged_in", "message": "No user is logged in"}),
        ),
        (
            FaultMode::RequestTimeout,
            408,
            json!({"error": "request_timeout"}),
        ),
    ];
    for (mode, status, body) in cases {
        env.sandbox.set_fault(Fault::once(mode.clone()));
        assert_eq!(
            send(env.get("/api/v1/ping")).await,
            (status, body),
            "{mode:?}"
        );
    }

    env.sandbox.set_fault(Fault::once(FaultMode::Forbidden {
        missing_permission: Some("exam.write".into()),
    }));
    let (status, body) = send(env.put(IOP, &json!({"iopOd": 15}))).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")));
    assert_eq!(body["missingPermission"], "exam.write");
    env.sandbox.set_fault(Fault::once(FaultMode::Forbidden {
        missing_permission: None,
    }));
    let (_, body) = send(env.get("/api/v1/ping")).await;
    assert!(body["missingPermission"].is_null() && body.get("missingPermission").is_some());

    env.sandbox.set_fault(Fault::once(FaultMode::Internal));
    let (status, body) = send(env.get("/api/v1/ping")).await;
    assert_eq!((status, body["error"].as_str()), (500, Some("internal")));
    assert_eq!(body["requestId"].as_str().unwrap().len(), 36);

    env.sandbox.set_fault(Fault::once(FaultMode::Unavailable));
    let (status, body) = send(env.get("/api/v1/ping")).await;
    assert_eq!((status, body["error"].as_str()), (503, Some("unavailable")));

    // None of these writes landed.
    assert_eq!(env.sandbox.state().encounters["E5001"].applied_writes, 0);
}

// Rate limiting sends Retry-After only when configured.
#[tokio::test]
async fn rate_limited_with_and_without_retry_after() {
    let env = start().await;
    env.sandbox.set_fault(Fault::once(FaultMode::RateLimited {
        retry_after: Some(7),
    }));
    let res = env.get("/api/v1/ping").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 429);
    assert_eq!(res.headers()["retry-after"], "7");
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap(),
        json!({"error": "rate_limited"})
    );

    env.sandbox
        .set_fault(Fault::once(FaultMode::RateLimited { retry_after: None }));
    let res = env.get("/api/v1/ping").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 429);
    assert!(res.headers().get("retry-after").is_none());
}

// Reject refuses writes with the EHR-rule error but lets reads through (without using up its count).
#[tokio::test]
async fn reject_hits_writes_only() {
    let env = start().await;
    env.sandbox.set_fault(Fault::once(FaultMode::Reject));
    assert_eq!(send(env.get("/api/v1/ping")).await.0, 200);
    let (status, body) = send(env.put(IOP, &json!({"iopOd": 15}))).await;
    assert_eq!(status, 422);
    assert_eq!(
        body,
        json!({"error": "validation_failed", "message": "Exam rejected",
               "fieldErrors": [{"field": "iopOd", "message": "value rejected by EHR rule R-17"}]})
    );
    assert_eq!(send(env.put(IOP, &json!({"iopOd": 15}))).await.0, 200);
}

// A fault limited to n requests fires n times, then the API answers normally again.
#[tokio::test]
async fn count_limited_fault_runs_out() {
    let env = start().await;
    env.sandbox
        .set_fault(Fault::new(FaultMode::Unavailable).times(2));
    assert_eq!(send(env.get("/api/v1/ping")).await.0, 503);
    assert_eq!(env.sandbox.state().fault.unwrap().count, Some(1));
    assert_eq!(send(env.get("/api/v1/ping")).await.0, 503);
    assert_eq!(send(env.get("/api/v1/ping")).await.0, 200);
    assert!(env.sandbox.state().fault.is_none());
}

// A fault without count lasts until cleared; a path filter spares other paths; control
// endpoints are never affected.
#[tokio::test]
async fn until_cleared_and_path_filter() {
    let env = start().await;
    env.sandbox
        .set_fault(Fault::new(FaultMode::Unavailable).on_path("/exam/"));
    for _ in 0..3 {
        assert_eq!(send(env.put(IOP, &json!({"iopOd": 15}))).await.0, 503);
    }
    assert_eq!(send(env.get("/api/v1/ping")).await.0, 200);
    env.sandbox.set_fault(Fault::new(FaultMode::Unavailable));
    let res = env
        .client
        .get(env.url("/_sandbox/state"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    env.sandbox.clear_fault();
    assert_eq!(send(env.put(IOP, &json!({"iopOd": 15}))).await.0, 200);
}

// OAuth token requests are subject to faults too.
#[tokio::test]
async fn faults_hit_oauth() {
    let env = start().await;
    env.sandbox.set_fault(Fault::once(FaultMode::Unavailable));
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "ehr-host"),
        ("client_secret", "sandbox-secret"),
    ];
    assert_eq!(
        send(env.client.post(env.url("/oauth/token")).form(&form))
            .await
            .0,
        503
    );
    assert_eq!(
        send(env.client.post(env.url("/oauth/token")).form(&form))
            .await
            .0,
        200
    );
}

// Slow answers normally after its delay; a client with a shorter timeout gives up.
#[tokio::test]
async fn slow_answers_late() {
    let env = start().await;
    env.sandbox
        .set_fault(Fault::once(FaultMode::Slow { delay_ms: 20 }));
    assert_eq!(send(env.get("/api/v1/ping")).await.0, 200);

    env.sandbox
        .set_fault(Fault::once(FaultMode::Slow { delay_ms: 10_000 }));
    let err = env
        .get("/api/v1/ping")
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

// Reset drops the connection without an answer: the client sees a transport error,
// the log records status 0, and the next request (a new connection) works.
#[tokio::test]
async fn reset_closes_the_connection() {
    let env = start().await;
    assert_eq!(send(env.get("/api/v1/ping")).await.0, 200); // warm a pooled connection
    env.sandbox.set_fault(Fault::once(FaultMode::Reset));
    let err = env
        .put(IOP, &json!({"iopOd": 15}))
        .send()
        .await
        .unwrap_err();
    assert!(
        err.is_request() && !err.is_timeout() && err.status().is_none(),
        "{err:?}"
    );
    assert_eq!(send(env.get("/api/v1/ping")).await.0, 200);

    let state = env.sandbox.state();
    assert_eq!(state.requests[1].status, 0);
    assert_eq!(state.requests[1].path, IOP);
    assert_eq!(state.encounters["E5001"].applied_writes, 0);
}

// TemplateChanged renames the IOP fields in templates and refuses writes with the old
// names until cleared; writes with the new names are accepted.
#[tokio::test]
async fn template_changed() {
    let env = start().await;
    env.sandbox
        .set_fault(Fault::new(FaultMode::TemplateChanged));
    let (_, template) = send(env.get("/api/v1/templates/T-COMP")).await;
    let fields = template["fields"].as_array().unwrap();
    assert!(fields.contains(&json!("iopOdMmHg")) && fields.contains(&json!("iopOsMmHg")));
    assert!(!fields.contains(&json!("iopOd")));

    let (status, body) = send(env.put(IOP, &json!({"iopOd": 15, "iopOs": 16}))).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"], "unknown_field");
    assert_eq!(body["message"], "Unknown field iopOd");
    assert_eq!(body["fieldErrors"].as_array().unwrap().len(), 2);
    // Still in force: not one-shot.
    assert_eq!(send(env.put(IOP, &json!({"iopOd": 15}))).await.0, 422);
    // Other sections are unaffected.
    assert_eq!(
        send(env.put(
            "/api/v1/encounters/E5001/exam/pupils",
            &json!({"pupils": "PERRLA"})
        ))
        .await
        .0,
        200
    );

    let (status, body) = send(env.put(IOP, &json!({"iopOdMmHg": 15}))).await;
    assert_eq!(
        (status, body["fields"]["iopOdMmHg"].as_i64()),
        (200, Some(15))
    );

    env.sandbox.clear_fault();
    let (_, template) = send(env.get("/api/v1/templates/T-COMP")).await;
    assert!(template["fields"]
        .as_array()
        .unwrap()
        .contains(&json!("iopOd")));
    assert_eq!(send(env.put(IOP, &json!({"iopOd": 15}))).await.0, 200);
}

// LandThenTimeout: the client times out, yet the write is stored; the retry with the
// same key is a replay, so the write is applied only once.
#[tokio::test]
async fn land_then_timeout() {
    let env = start().await;
    env.sandbox
        .set_fault(Fault::once(FaultMode::LandThenTimeout));
    let note = json!({"text": "Dilated fundus exam performed."});
    let path = "/api/v1/encounters/E5002/notes";
    let err = env
        .post(path, &note)
        .header("Idempotency-Key", "visit-42-note")
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    let state = env.sandbox.state();
    assert_eq!(state.encounters["E5002"].notes.len(), 1);
    assert_eq!(state.encounters["E5002"].applied_writes, 1);
    assert_eq!(state.requests[0].status, 201);

    let res = env
        .post(path, &note)
        .header("Idempotency-Key", "visit-42-note")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    assert_eq!(res.headers()["idempotent-replayed"], "true");
    assert_eq!(env.sandbox.state().encounters["E5002"].applied_writes, 1);
}

// Faults can be set and cleared over HTTP with the documented JSON, and bad specs are 400.
#[tokio::test]
async fn faults_over_http() {
    let env = start().await;
    let spec = json!({"mode": "rate_limited", "count": 1, "pathContains": "/ping", "retryAfter": 3,
                      "delayMs": null, "missingPermission": null});
    let (status, body) = send(env.client.post(env.url("/_sandbox/faults")).json(&spec)).await;
    assert_eq!(status, 200);
    assert_eq!(body["fault"]["mode"], "rate_limited");
    let res = env.get("/api/v1/ping").send().await.unwrap();
    assert_eq!(
        (
            res.status().as_u16(),
            res.headers()["retry-after"].to_str().unwrap()
        ),
        (429, "3")
    );
    assert_eq!(send(env.get("/api/v1/ping")).await.0, 200);

    for mode in [
        "session_expired",
        "logged_out",
        "forbidden",
        "request_timeout",
        "reject",
        "internal",
        "unavailable",
        "reset",
        "template_changed",
        "land_then_timeout",
    ] {
        let (status, body) = send(
            env.client
                .post(env.url("/_sandbox/faults"))
                .json(&json!({"mode": mode})),
        )
        .await;
        assert_eq!((status, body["fault"]["mode"].as_str()), (200, Some(mode)));
    }
    let (status, _) = send(
        env.client
            .post(env.url("/_sandbox/faults"))
            .json(&json!({"mode": "slow", "delayMs": 5})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        env.sandbox.state().fault.unwrap().mode,
        FaultMode::Slow { delay_ms: 5 }
    );

    let res = env
        .client
        .delete(env.url("/_sandbox/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    assert!(env.sandbox.state().fault.is_none());

    for bad in [
        json!({"mode": "meltdown"}),
        json!({"mode": "slow"}),
        json!({"mode": "reject", "retryAfter": 1}),
        json!({"mode": "internal", "path_contains": "/x"}),
    ] {
        let (status, body) = send(env.client.post(env.url("/_sandbox/faults")).json(&bad)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("bad_request")),
            "{bad}"
        );
    }
}
