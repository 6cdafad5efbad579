//! Lookups and writes: exam sections, validation, diagnoses, notes, signed encounters.

use serde_json::json;

use crate::common::{send, start};

// Patients, encounters and templates are served from the seed; unknown ids are 404.
#[tokio::test]
async fn lookups_serve_seed_data() {
    let env = start().await;
    let (status, body) = send(env.get("/api/v1/patients/P1004")).await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["firstName"].as_str(), body["lastName"].as_str()),
        (Some("José"), Some("Núñez"))
    );
    let (_, body) = send(env.get("/api/v1/patients/P1006")).await;
    assert!(body["dateOfBirth"].is_null() && body["address"].is_null());
    let (status, body) = send(env.get("/api/v1/patients/P9999")).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"error": "not_found", "message": "Patient P9999 not found"})
    );

    let (_, body) = send(env.get("/api/v1/encounters/E5003")).await;
    assert_eq!(body["status"], "signed");
    assert_eq!(body["templateId"], "T-COMP");
    let (status, _) = send(env.get("/api/v1/encounters/E0000")).await;
    assert_eq!(status, 404);

    let (_, body) = send(env.get("/api/v1/templates/T-BRIEF")).await;
    assert_eq!(body["name"], "Brief visit");
    assert_eq!(body["fields"].as_array().unwrap().len(), 8);
    let (_, body) = send(env.get("/api/v1/templates/T-COMP")).await;
    assert!(body["fields"]
        .as_array()
        .unwrap()
        .contains(&json!("mrxOsAdd")));
}

// A section PUT stores its fields; a second PUT merges into them.
#[tokio::test]
async fn section_put_stores_and_merges() {
    let env = start().await;
    let path = "/api/v1/encounters/E5001/exam/history";
    let (status, body) = send(env.put(path, &json!({"chiefComplaint": "Blurry vision OD"}))).await;
    assert_eq!(status, 200);
    assert_eq!(body["section"], "history");
    assert_eq!(
        body["fields"],
        json!({"chiefComplaint": "Blurry vision OD"})
    );
    assert!(body["updatedAt"].as_str().unwrap().ends_with('Z'));

    let (_, body) = send(env.put(path, &json!({"hpi": "Two weeks, gradual"}))).await;
    assert_eq!(
        body["fields"],
        json!({"chiefComplaint": "Blurry vision OD", "hpi": "Two weeks, gradual"})
    );

    let refraction =
        json!({"mrxOdSphere": -2.25, "mrxOdCylinder": -0.5, "mrxOdAxis": 90, "mrxOdAdd": 2.0});
    let (status, _) = send(env.put("/api/v1/encounters/E5001/exam/refraction", &refraction)).await;
    assert_eq!(status, 200);

    let state = env.sandbox.state();
    let e = &state.encounters["E5001"];
    assert_eq!(e.applied_writes, 3);
    assert_eq!(e.sections["history"]["hpi"], "Two weeks, gradual");
    assert_eq!(e.sections["refraction"], refraction);
    let (_, body) = send(env.get(path)).await;
    assert_eq!(body["fields"]["chiefComplaint"], "Blurry vision OD");
}

// Non-ASCII text is refused with the legacy-database message and nothing is stored.
#[tokio::test]
async fn non_ascii_is_refused() {
    let env = start().await;
    let (status, body) = send(env.put(
        "/api/v1/encounters/E5001/exam/history",
        &json!({"chiefComplaint": "Douleur oculaire — OD"}),
    ))
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"], "validation_failed");
    assert_eq!(body["message"], "non-ASCII characters are not accepted");
    assert_eq!(
        body["fieldErrors"],
        json!([{"field": "chiefComplaint", "message": "non-ASCII characters are not accepted"}])
    );
    assert_eq!(env.sandbox.state().encounters["E5001"].applied_writes, 0);
}

// Range, grid, integer, enum and pattern rules each produce a field error; the whole
// body is refused even though some fields are fine.
#[tokio::test]
async fn value_rules_refuse_the_whole_body() {
    let env = start().await;
    let refraction =
        json!({"mrxOdSphere": -2.1, "mrxOdCylinder": -16, "mrxOdAxis": 90.5, "mrxOsSphere": 1.0});
    let (status, body) =
        send(env.put("/api/v1/encounters/E5001/exam/refraction", &refraction)).await;
    assert_eq!(status, 422);
    let mut fields: Vec<&str> = body["fieldErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(fields, ["mrxOdAxis", "mrxOdCylinder", "mrxOdSphere"]);

    let iop = json!({"iopOd": 81, "iopOs": 15, "iopMethod": "Schiotz", "iopTime": "25:00"});
    let (status, body) = send(env.put("/api/v1/encounters/E5001/exam/iop", &iop)).await;
    assert_eq!(status, 422);
    assert_eq!(body["fieldErrors"].as_array().unwrap().len(), 3);

    let va = json!({"distCcOd": "20/20", "distCcOs": "6/6"});
    let (status, body) = send(env.put("/api/v1/encounters/E5001/exam/visual-acuity", &va)).await;
    assert_eq!(status, 422);
    assert_eq!(body["fieldErrors"][0]["field"], "distCcOs");

    let vitals = json!({"tempF": 120.0});
    let (status, _) = send(env.put("/api/v1/encounters/E5001/exam/vitals", &vitals)).await;
    assert_eq!(status, 422);

    let state = env.sandbox.state();
    assert!(state.encounters["E5001"].sections.is_empty());
    assert_eq!(state.encounters["E5001"].applied_writes, 0);
}

// Unknown field names, fields outside the encounter's template, and unknown sections.
#[tokio::test]
async fn unknown_fields_and_sections() {
    let env = start().await;
    let (status, body) =
        send(env.put("/api/v1/encounters/E5001/exam/iop", &json!({"iopOD": 14}))).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"], "unknown_field");
    assert_eq!(body["message"], "Unknown field iopOD");

    // E5004 uses the brief template, which has no IOP method.
    let (status, body) = send(env.put(
        "/api/v1/encounters/E5004/exam/iop",
        &json!({"iopOd": 14, "iopMethod": "NCT"}),
    ))
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"], "unknown_field");
    assert_eq!(body["fieldErrors"][0]["field"], "iopMethod");
    let (status, _) =
        send(env.put("/api/v1/encounters/E5004/exam/iop", &json!({"iopOd": 14}))).await;
    assert_eq!(status, 200);

    for section in ["keratometry", "procedures"] {
        let (status, body) = send(env.put(
            &format!("/api/v1/encounters/E5001/exam/{section}"),
            &json!({"k1": 43.0}),
        ))
        .await;
        assert_eq!(status, 404, "{section}");
        assert_eq!(body["error"], "not_found");
    }

    let (status, body) = send(
        env.client
            .put(env.url("/api/v1/encounters/E5001/exam/iop"))
            .bearer_auth(crate::common::TOKEN)
            .body("{not json"),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_request")));
}

// Every write to a signed encounter is refused with 409 encounter_signed.
#[tokio::test]
async fn signed_encounter_is_read_only() {
    let env = start().await;
    let expected = json!({"error": "encounter_signed", "message": "Encounter E5003 is signed and cannot be changed"});
    let (status, body) = send(env.put(
        "/api/v1/encounters/E5003/exam/history",
        &json!({"hpi": "x"}),
    ))
    .await;
    assert_eq!((status, &body), (409, &expected));
    let (status, body) = send(env.put("/api/v1/encounters/E5003/diagnoses", &json!([]))).await;
    assert_eq!((status, &body), (409, &expected));
    let (status, body) =
        send(env.post("/api/v1/encounters/E5003/notes", &json!({"text": "late"}))).await;
    assert_eq!((status, &body), (409, &expected));
    assert_eq!(env.sandbox.state().encounters["E5003"].applied_writes, 0);
}

// Diagnoses replace the list; bad codes and two primaries are refused.
#[tokio::test]
async fn diagnoses_replace_and_validate() {
    let env = start().await;
    let path = "/api/v1/encounters/E5002/diagnoses";
    let list = json!([
        {"icd10": "H40.1131", "description": "Primary open-angle glaucoma, bilateral, mild", "eye": "OU", "primary": true},
        {"icd10": "H52.13", "description": "Myopia, bilateral", "eye": null, "primary": false},
    ]);
    let (status, body) = send(env.put(path, &list)).await;
    assert_eq!(status, 200);
    assert_eq!(body["diagnoses"], list);
    let (status, _) = send(env.put(
        path,
        &json!([{"icd10": "H52.4", "description": "Presbyopia", "eye": null, "primary": true}]),
    ))
    .await;
    assert_eq!(status, 200);
    let state = env.sandbox.state();
    assert_eq!(state.encounters["E5002"].diagnoses.len(), 1);
    assert_eq!(state.encounters["E5002"].diagnoses[0].icd10, "H52.4");

    let bad_code = json!([{"icd10": "H40..1", "description": "x", "eye": "OD", "primary": false}]);
    let (status, body) = send(env.put(path, &bad_code)).await;
    assert_eq!(
        (status, body["fieldErrors"][0]["field"].as_str()),
        (422, Some("[0].icd10"))
    );
    let two_primary = json!([
        {"icd10": "H40.1131", "description": "a", "eye": "OU", "primary": true},
        {"icd10": "H52.4", "description": "b", "eye": null, "primary": true},
    ]);
    let (status, body) = send(env.put(path, &two_primary)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("validation_failed"))
    );
    assert_eq!(
        env.sandbox.state().encounters["E5002"].diagnoses[0].icd10,
        "H52.4"
    );
}

// Notes append: two POSTs give two notes with distinct ids, in order.
#[tokio::test]
async fn notes_append() {
    let env = start().await;
    let path = "/api/v1/encounters/E5001/notes";
    let (status, first) =
        send(env.post(path, &json!({"text": "Patient tolerated dilation well."}))).await;
    assert_eq!(status, 201);
    assert!(first["id"].as_str().unwrap().starts_with('N'));
    let (_, second) = send(env.post(path, &json!({"text": "Return in 6 months."}))).await;
    assert_ne!(first["id"], second["id"]);

    let (status, _) = send(env.post(path, &json!({"text": "Café"}))).await;
    assert_eq!(status, 422);
    let notes = &env.sandbox.state().encounters["E5001"].notes;
    let texts: Vec<&str> = notes.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(
        texts,
        ["Patient tolerated dilation well.", "Return in 6 months."]
    );
}
