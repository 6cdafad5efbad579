//! Idempotency keys: a keyed write is applied once and replayed afterwards.

use ehr_sandbox::{Fault, FaultMode};
use serde_json::json;

use crate::common::{parts, send, start};

// The same keyed note POST twice: one note stored, the second answer is the stored
// first answer with Idempotent-Replayed, and the log tells them apart.
#[tokio::test]
async fn keyed_post_is_applied_once() {
    let env = start().await;
    let path = "/api/v1/encounters/E5001/notes";
    let note = json!({"text": "Discussed glaucoma risk."});
    let first = env
        .post(path, &note)
        .header("Idempotency-Key", "k-1")
        .send()
        .await
        .unwrap();
    assert!(first.headers().get("idempotent-replayed").is_none());
    let (status1, body1) = parts(first).await;
    let second = env
        .post(path, &note)
        .header("Idempotency-Key", "k-1")
        .send()
        .await
        .unwrap();
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let (status2, body2) = parts(second).await;
    assert_eq!((status1, status2), (201, 201));
    assert_eq!(body1, body2);

    let state = env.sandbox.state();
    assert_eq!(state.encounters["E5001"].notes.len(), 1);
    assert_eq!(state.encounters["E5001"].applied_writes, 1);
    let replayed: Vec<bool> = state.requests.iter().map(|r| r.replayed).collect();
    assert_eq!(replayed, [false, true]);
    assert!(state
        .requests
        .iter()
        .all(|r| r.idempotency_key.as_deref() == Some("k-1")));
}

// A key is scoped to method and path: reusing it on another endpoint applies that write.
#[tokio::test]
async fn key_is_scoped_to_path() {
    let env = start().await;
    for enc in ["E5001", "E5002"] {
        let req = env
            .post(
                &format!("/api/v1/encounters/{enc}/notes"),
                &json!({"text": "x"}),
            )
            .header("Idempotency-Key", "same");
        assert_eq!(send(req).await.0, 201);
    }
    let state = env.sandbox.state();
    assert_eq!(state.encounters["E5001"].applied_writes, 1);
    assert_eq!(state.encounters["E5002"].applied_writes, 1);
}

// A failed attempt is not stored: retrying under the same key applies the write.
#[tokio::test]
async fn failures_are_not_stored() {
    let env = start().await;
    let path = "/api/v1/encounters/E5001/exam/iop";
    env.sandbox.set_fault(Fault::once(FaultMode::Internal));
    let (status, _) = send(
        env.put(path, &json!({"iopOd": 16}))
            .header("Idempotency-Key", "k-2"),
    )
    .await;
    assert_eq!(status, 500);
    let (status, _) = send(
        env.put(path, &json!({"iopOd": 160}))
            .header("Idempotency-Key", "k-2"),
    )
    .await;
    assert_eq!(status, 422);
    let res = env
        .put(path, &json!({"iopOd": 16}))
        .header("Idempotency-Key", "k-2")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("idempotent-replayed").is_none());
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(env.sandbox.state().encounters["E5001"].applied_writes, 1);
}

// A replay still needs a valid token.
#[tokio::test]
async fn replay_requires_auth() {
    let env = start().await;
    let path = "/api/v1/encounters/E5001/notes";
    let req = || {
        env.post(path, &json!({"text": "x"}))
            .header("Idempotency-Key", "k-3")
    };
    assert_eq!(send(req()).await.0, 201);
    env.sandbox.expire_tokens();
    let (status, body) = send(req()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("session_expired"))
    );
}
