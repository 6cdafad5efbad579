//! The Eyefinity dialect: one document per visit, saved whole under an idempotency key.

use ehr_sandbox::{Ehr, Fault, FaultMode, SandboxConfig};
use serde_json::json;

use crate::common::{send, start_with, Env};

async fn eyefinity() -> Env {
    start_with(SandboxConfig {
        ehr: Ehr::Eyefinity,
        ..SandboxConfig::default()
    })
    .await
}

const DOC: &str = "/ehr/v2/visits/V-9001/document";

// A save replaces the document and makes a new revision; the same key again replays the
// stored revision without applying anything; the read-back shows what landed, UTF-8 intact.
#[tokio::test]
async fn saves_replace_and_keys_replay() {
    let env = eyefinity().await;
    let first = json!({"elements": {"CC": "Vision floue — «halos»", "IOP_OD": 17}, "note": "n1"});
    let (status, body) = send(env.put(DOC, &first).header("Idempotency-Key", "job-1")).await;
    assert_eq!((status, body["revision"].clone()), (200, json!(1)));
    let (_, replay) = send(env.put(DOC, &first).header("Idempotency-Key", "job-1")).await;
    assert_eq!(replay["revision"], 1);
    let second = json!({"elements": {"IOP_OS": 18}});
    let (_, body) = send(env.put(DOC, &second).header("Idempotency-Key", "job-2")).await;
    assert_eq!(body["revision"], 2);

    let (status, doc) = send(env.get(DOC)).await;
    assert_eq!(status, 200);
    assert_eq!(doc["revision"], 2);
    assert_eq!(doc["elements"], json!({"IOP_OS": 18}));
    assert_eq!(doc["note"], json!(null));
    let state = env.sandbox.state();
    assert_eq!(state.encounters["V-9001"].applied_writes, 2);
    assert_eq!(state.encounters["V-9001"].revision, 2);
}

// Saves without a key are refused (400); a locked visit answers 409 visit_locked; an
// element outside the visit's form answers 422 unknown_element naming it; a bad value
// answers 422 validation_failed naming the element. None of them is applied.
#[tokio::test]
async fn refusals() {
    let env = eyefinity().await;
    let doc = json!({"elements": {"IOP_OD": 17}});
    let (status, _) = send(env.put(DOC, &doc)).await;
    assert_eq!(status, 400);
    let locked = "/ehr/v2/visits/V-9003/document";
    let (status, body) = send(env.put(locked, &doc).header("Idempotency-Key", "k1")).await;
    assert_eq!(
        (status, body["error"].clone()),
        (409, json!("visit_locked"))
    );
    let brief = "/ehr/v2/visits/V-9004/document";
    let outside = json!({"elements": {"K_OD_K1": 43.0}});
    let (status, body) = send(env.put(brief, &outside).header("Idempotency-Key", "k2")).await;
    assert_eq!(
        (status, body["error"].clone()),
        (422, json!("unknown_element"))
    );
    assert_eq!(body["fieldErrors"][0]["field"], "K_OD_K1");
    let bad = json!({"elements": {"IOP_OD": 95}});
    let (status, body) = send(env.put(DOC, &bad).header("Idempotency-Key", "k3")).await;
    assert_eq!(
        (status, body["error"].clone()),
        (422, json!("validation_failed"))
    );
    assert_eq!(body["fieldErrors"][0]["field"], "IOP_OD");
    let state = env.sandbox.state();
    assert!(state.encounters.values().all(|e| e.applied_writes == 0));
}

// With the template changed, the form lists the renamed IOP elements and a save using
// the old ids is refused as unknown_element.
#[tokio::test]
async fn template_change_renames_elements() {
    let env = eyefinity().await;
    env.sandbox
        .set_fault(Fault::new(FaultMode::TemplateChanged));
    let (_, form) = send(env.get("/ehr/v2/forms/EXAM-3")).await;
    let elements = form["elements"].as_array().unwrap();
    assert!(elements.contains(&json!("IOP_OD_MMHG")) && !elements.contains(&json!("IOP_OD")));
    let doc = json!({"elements": {"IOP_OD": 17}});
    let (status, body) = send(env.put(DOC, &doc).header("Idempotency-Key", "k")).await;
    assert_eq!(
        (status, body["error"].clone()),
        (422, json!("unknown_element"))
    );
}

// Visit, patient and one day's schedule read in the Eyefinity shapes; the token endpoint
// is /oauth2/token.
#[tokio::test]
async fn reads_and_token() {
    let env = eyefinity().await;
    let (_, visit) = send(env.get("/ehr/v2/visits/V-9001")).await;
    assert_eq!(visit["patient"]["patientId"], "EF-2001");
    assert_eq!(visit["locked"], false);
    assert_eq!(visit["formVersion"], "EXAM-3");
    let (_, patient) = send(env.get("/ehr/v2/patients/EF-2004")).await;
    assert_eq!(patient["name"]["family"], "Núñez");
    let (_, day) = send(env.get("/ehr/v2/schedule?date=2026-11-19")).await;
    let slots = day["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 2);
    assert_eq!(slots[1]["provider"]["name"], json!(null));
    let token = env
        .client
        .post(env.url("/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ehr-host"),
            ("client_secret", "sandbox-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200);
}

// Signing a visit through the control endpoint (or `Sandbox::sign_encounter`) locks it:
// the visit reads `locked`, a new save is 409 `visit_locked`, the landed save replays.
#[tokio::test]
async fn signing_locks_the_visit() {
    let env = eyefinity().await;
    let doc = json!({"elements": {"IOP_OD": 17}});
    let (status, _) = send(
        env.put(DOC, &doc)
            .header("Idempotency-Key", "job-1:encounter"),
    )
    .await;
    assert_eq!(status, 200);
    let res = env
        .client
        .post(env.url("/_sandbox/encounters/V-9001/sign"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    let (_, visit) = send(env.get("/ehr/v2/visits/V-9001")).await;
    assert_eq!(visit["locked"], true);
    let (status, _) = send(
        env.put(DOC, &doc)
            .header("Idempotency-Key", "job-1:encounter"),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = send(
        env.put(DOC, &doc)
            .header("Idempotency-Key", "job-2:encounter"),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("visit_locked"))
    );
    assert!(env.sandbox.sign_encounter("V-9002"));
    assert!(!env.sandbox.sign_encounter("V-0000"));
}
