//! Native tests of what depends on the visit's state: a job that landed before the visit
//! was locked or its form changed, a brief form, an element the EHR refuses, the given
//! name, and the shared ICD-10-CM rules.

use crate::tests::{body, form, harness, puts, snapshot, text, visit, BASE};
use crate::Eyefinity;
use ehr_adapter_sdk::http::Method;
use ehr_adapter_sdk::prelude::*;
use ehr_adapter_sdk::testing::Harness;
use serde_json::json;

/// The read-back of a visit whose document is exactly `{"IOP_OD": 17}`, no diagnoses.
fn stub_document(h: &Harness, elements: serde_json::Value) {
    h.http(Method::Get, &format!("{BASE}/visits/V-9001/document"))
        .reply_json(
            200,
            &json!({"visitId": "V-9001", "revision": 4, "elements": elements,
                    "diagnoses": [], "note": null})
            .to_string(),
        );
}

fn iop() -> EncounterSnapshot {
    snapshot(vec![("iop.od", FieldValue::Number(17.0))])
}

// Saved, answer lost, then the visit was locked: the retry reads the document back, finds
// exactly this job's document and succeeds as a replay with its revision; no save sent.
#[test]
fn landed_then_locked_is_a_replay() {
    let h = harness();
    stub_document(&h, json!({"IOP_OD": 17}));
    visit(&h, "EF-2001", true);
    let r = Eyefinity::write_encounter(iop()).unwrap();
    assert!(r.replayed);
    assert_eq!(r.record_id.as_deref(), Some("V-9001@4"));
    assert!(puts(&h).is_empty());
}

// Locked, and the document is another one (more elements): the refusal stands.
#[test]
fn locked_with_another_document_is_refused() {
    let h = harness();
    stub_document(&h, json!({"IOP_OD": 17, "CC": "other job"}));
    visit(&h, "EF-2001", true);
    let err = Eyefinity::write_encounter(iop()).unwrap_err();
    assert!(matches!(err, AdapterError::EncounterLocked(_)), "{err:?}");
}

// Saved, then the form's element ids changed: a replay, not a mismatch.
#[test]
fn landed_then_form_changed_is_a_replay() {
    let h = harness();
    stub_document(&h, json!({"IOP_OD": 17}));
    visit(&h, "EF-2001", false);
    form(&h, &["CC", "IOP_OD_MMHG"]);
    let r = Eyefinity::write_encounter(iop()).unwrap();
    assert!(r.replayed);
    assert!(puts(&h).is_empty());
}

// A brief form: elements it does not have are skipped as `outside-template`; the save
// carries the rest.
#[test]
fn brief_form_skips_elements_outside_it() {
    let h = harness();
    visit(&h, "EF-2001", false);
    form(&h, &["CC", "IOP_OD"]);
    h.http(Method::Put, &format!("{BASE}/visits/V-9001/document"))
        .reply_json(200, r#"{"revision":1}"#);
    let s = snapshot(vec![
        ("iop.od", FieldValue::Number(17.0)),
        ("keratometry.od.k1", FieldValue::Number(43.25)),
    ]);
    let r = Eyefinity::write_encounter(s).unwrap();
    assert!(matches!(
        &r.fields[1].status,
        FieldStatus::Skipped((SkipReason::OutsideTemplate, m)) if m.contains("EXAM-3")
    ));
    assert_eq!(body(&puts(&h)[0])["elements"], json!({"IOP_OD": 17}));
}

// The EHR refuses one element by id (422): it is skipped with the EHR's message and the
// document saved again without it.
#[test]
fn refused_element_is_skipped_and_the_document_saved() {
    let h = harness();
    visit(&h, "EF-2001", false);
    form(&h, &["CC", "IOP_OD"]);
    h.http(Method::Put, &format!("{BASE}/visits/V-9001/document"))
        .times(1)
        .reply_json(
            422,
            r#"{"error":"validation_failed","message":"bad","fieldErrors":[{"field":"IOP_OD","message":"must be an integer between 0 and 80"}]}"#,
        );
    h.http(Method::Put, &format!("{BASE}/visits/V-9001/document"))
        .reply_json(200, r#"{"revision":2}"#);
    let s = snapshot(vec![
        ("iop.od", FieldValue::Number(17.0)),
        ("chief_complaint", text("blur")),
    ]);
    let r = Eyefinity::write_encounter(s).unwrap();
    assert!(matches!(
        &r.fields[0].status,
        FieldStatus::Skipped((SkipReason::InvalidValue, m)) if m.contains("between 0 and 80")
    ));
    assert_eq!(r.fields[1].status, FieldStatus::Written);
    assert_eq!(r.record_id.as_deref(), Some("V-9001@2"));
    assert_eq!(body(&puts(&h)[1])["elements"], json!({"CC": "blur"}));
}

// The visit's given name is compared (a nickname passes, another name refuses); U07.1 is
// a valid code and a duplicate diagnosis is written once with a warning.
#[test]
fn given_name_and_diagnoses() {
    let reply = |given: &str| {
        json!({"visitId": "V-9001", "locked": false, "formVersion": "EXAM-3",
               "patient": {"patientId": "EF-2001", "given": given, "family": "Okafor",
                           "birthDate": "1958-03-14"}})
        .to_string()
    };
    let h = harness();
    h.http(Method::Get, &format!("{BASE}/visits/"))
        .reply_json(200, &reply("David"));
    let err = Eyefinity::write_encounter(iop()).unwrap_err();
    assert!(matches!(err, AdapterError::WrongPatient(m) if m.contains("first name")));
    drop(h);

    let h = harness();
    h.http(Method::Get, &format!("{BASE}/visits/"))
        .reply_json(200, &reply("Peggy"));
    form(&h, &["IOP_OD"]);
    h.http(Method::Put, &format!("{BASE}/visits/V-9001/document"))
        .reply_json(200, r#"{"revision":1}"#);
    let dx = |code: &str| Diagnosis {
        code: code.into(),
        description: "COVID-19".into(),
        laterality: Laterality::NotApplicable,
        primary: false,
    };
    let s = snapshot(vec![(
        "diagnoses",
        FieldValue::Diagnoses(vec![dx("U07.1"), dx("u07.1")]),
    )]);
    let r = Eyefinity::write_encounter(s).unwrap();
    assert_eq!(r.fields[0].warnings[0].kind, WarningKind::Other);
    assert_eq!(
        body(&puts(&h)[0])["diagnoses"],
        json!([{"code": "U07.1", "text": "COVID-19", "eye": null, "primary": false}])
    );
}
