//! The control surface: state over HTTP, reset, and the request log.

use ehr_sandbox::{Fault, FaultMode, State};
use serde_json::json;

use crate::common::{send, start};

// Reset restores seed data, clears the fault and the log, and revives tokens.
#[tokio::test]
async fn reset_restores_everything() {
    let env = start().await;
    send(env.put(
        "/api/v1/encounters/E5001/exam/pupils",
        &json!({"pupils": "PERRLA"}),
    ))
    .await;
    send(
        env.post("/api/v1/encounters/E5001/notes", &json!({"text": "n"}))
            .header("Idempotency-Key", "r-1"),
    )
    .await;
    env.sandbox
        .set_fault(Fault::new(FaultMode::Internal).on_path("/never"));
    env.sandbox.expire_tokens();

    let res = env
        .client
        .post(env.url("/_sandbox/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    let state = env.sandbox.state();
    assert!(state.requests.is_empty());
    assert!(state.fault.is_none());
    assert!(state
        .encounters
        .values()
        .all(|e| e.applied_writes == 0 && e.sections.is_empty() && e.notes.is_empty()));
    assert_eq!(state.encounters.len(), 5);

    // Tokens work again, and the idempotency store was emptied with the data.
    let (status, _) = send(
        env.post("/api/v1/encounters/E5001/notes", &json!({"text": "n"}))
            .header("Idempotency-Key", "r-1"),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(env.sandbox.state().encounters["E5001"].notes.len(), 1);
}

// GET /_sandbox/state serves the same snapshot as state(), in camelCase, and the log
// records API requests (not control requests) with their status, the request id the
// sandbox answered with, and the caller's transaction id (none here).
#[tokio::test]
async fn state_over_http() {
    let env = start().await;
    send(env.get("/api/v1/ping")).await;
    send(env.get("/api/v1/patients/P0")).await;
    let (status, body) = send(env.client.get(env.url("/_sandbox/state"))).await;
    assert_eq!(status, 200);
    assert_eq!(body["encounters"]["E5001"]["appliedWrites"], 0);
    assert_eq!(
        body["requests"][1],
        json!({"method": "GET", "path": "/api/v1/patients/P0", "status": 404,
               "idempotencyKey": null, "replayed": false,
               "requestId": "req-2", "transactionId": null})
    );
    let parsed: State = serde_json::from_value(body).unwrap();
    assert_eq!(parsed, env.sandbox.state());
}

// Unknown endpoints answer a JSON 404.
#[tokio::test]
async fn unknown_endpoint() {
    let env = start().await;
    let (status, body) = send(env.get("/api/v1/keratometry")).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
}

// Dropping the sandbox stops the server: its port refuses connections.
#[tokio::test]
async fn drop_stops_the_server() {
    let env = start().await;
    let url = env.url("/api/v1/ping");
    let client = env.client.clone();
    drop(env.sandbox);
    tokio::task::yield_now().await;
    // The timeout only keeps a regression from hanging the suite.
    let err = client
        .get(url)
        .bearer_auth("sandbox-token")
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
}

// Signing over HTTP closes the encounter to new writes (409 `encounter_signed`), while a
// keyed write that landed before still replays: the EHR keeps its answer. The encounter
// reads as signed; an unknown id is a 404.
#[tokio::test]
async fn sign_closes_the_encounter_but_keyed_replays_still_answer() {
    let env = start().await;
    let path = "/api/v1/encounters/E5001/exam/pupils";
    let body = json!({"pupils": "PERRLA"});
    let (status, _) = send(env.put(path, &body).header("Idempotency-Key", "j1:pupils")).await;
    assert_eq!(status, 200);

    let res = env
        .client
        .post(env.url("/_sandbox/encounters/E5001/sign"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    let (_, encounter) = send(env.get("/api/v1/encounters/E5001")).await;
    assert_eq!(encounter["status"], "signed");

    let (status, _) = send(env.put(path, &body).header("Idempotency-Key", "j1:pupils")).await;
    assert_eq!(status, 200, "the landed write replays");
    let (status, refused) = send(env.put(path, &body).header("Idempotency-Key", "j2:pupils")).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (409, Some("encounter_signed"))
    );
    assert_eq!(env.sandbox.state().encounters["E5001"].applied_writes, 1);

    let res = env
        .client
        .post(env.url("/_sandbox/encounters/E9999/sign"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
}
