//! Native tests against stubbed EHR replies (the SDK's `testing::Harness`). Each test
//! states the case it pins; assertions check what was sent and what was reported.

use crate::Eyefinity;
use ehr_adapter_sdk::http::{Method, Request};
use ehr_adapter_sdk::prelude::*;
use ehr_adapter_sdk::testing::{Harness, SnapshotBuilder};
use ehr_adapter_sdk::{Diagnosis, Laterality, WarningKind};
use serde_json::{json, Value};

pub(crate) const BASE: &str = "http://ehr.test/ehr/v2";

pub(crate) fn harness() -> Harness {
    Harness::new().setting("base_url", "http://ehr.test")
}

pub(crate) fn snapshot(fields: Vec<(&str, FieldValue)>) -> EncounterSnapshot {
    let b = SnapshotBuilder::new()
        .job("J-1")
        .patient("EF-2001", "Margaret", "Okafor", "1958-03-14")
        .encounter("V-9001", "2026-11-16")
        .template("EXAM-3", &[]);
    fields
        .into_iter()
        .fold(b, |b, (id, v)| b.field(id, v))
        .build()
}

pub(crate) fn visit(h: &Harness, patient: &str, locked: bool) {
    h.http(Method::Get, &format!("{BASE}/visits/V-9001"))
        .reply_json(
            200,
            &json!({"visitId": "V-9001", "locked": locked, "formVersion": "EXAM-3",
                "patient": {"patientId": patient, "family": "Okafor", "birthDate": "1958-03-14"}})
            .to_string(),
        );
}

pub(crate) fn form(h: &Harness, elements: &[&str]) {
    h.http(Method::Get, &format!("{BASE}/forms/EXAM-3"))
        .reply_json(
            200,
            &json!({"formVersion": "EXAM-3", "title": "Comprehensive", "elements": elements})
                .to_string(),
        );
}

pub(crate) fn puts(h: &Harness) -> Vec<Request> {
    h.requests()
        .into_iter()
        .filter(|r| r.method == Method::Put)
        .collect()
}

pub(crate) fn body(r: &Request) -> Value {
    serde_json::from_slice(r.body.as_ref().unwrap()).unwrap()
}

pub(crate) fn text(s: &str) -> FieldValue {
    FieldValue::Text(s.into())
}

// describe covers the whole catalog: keratometry is mapped (unlike RevolutionEHR),
// vitals and procedures are not, each with its reason.
#[test]
fn describe_maps_keratometry_not_vitals() {
    let info = Eyefinity::describe();
    assert_eq!(info.fields.len(), ehr_adapter_sdk::catalog::fields().len());
    let f = |id: &str| info.fields.iter().find(|m| m.field == id).unwrap().clone();
    assert_eq!(
        f("keratometry.od.k1").target.as_deref(),
        Some("elements.K_OD_K1")
    );
    assert_eq!(f("vitals.pulse").target, None);
    assert!(f("vitals.pulse").note.contains("no vitals"));
    assert_eq!(f("procedures").target, None);
}

// The whole document goes in one PUT keyed `{job id}:encounter`; UTF-8 text is kept as is,
// over-length text is cut with a warning, vitals are reported as not mapped.
#[test]
fn write_saves_one_document_keyed_by_job() {
    let h = harness();
    visit(&h, "EF-2001", false);
    form(&h, &["CC", "IOP_OD", "K_OD_K1", "PLAN"]);
    h.http(Method::Put, &format!("{BASE}/visits/V-9001/document"))
        .reply_json(200, r#"{"visitId":"V-9001","revision":3}"#);
    let long = "x".repeat(6100);
    let result = Eyefinity::write_encounter(snapshot(vec![
        ("chief_complaint", text("Vision floue — «halos»")),
        ("iop.od", FieldValue::Number(17.0)),
        ("keratometry.od.k1", FieldValue::Number(43.25)),
        ("vitals.pulse", FieldValue::Number(70.0)),
        ("plan", text(&long)),
        (
            "diagnoses",
            FieldValue::Diagnoses(vec![Diagnosis {
                code: "h25.13".into(),
                description: "Catarata nuclear".into(),
                laterality: Laterality::Both,
                primary: true,
            }]),
        ),
    ]))
    .unwrap();
    let sent = puts(&h);
    assert_eq!(sent.len(), 1);
    let key = sent[0]
        .headers
        .iter()
        .find(|(k, _)| k == "idempotency-key")
        .unwrap();
    assert_eq!(key.1, "J-1:encounter");
    let doc = body(&sent[0]);
    assert_eq!(doc["elements"]["CC"], "Vision floue — «halos»");
    assert_eq!(doc["elements"]["IOP_OD"], 17);
    assert_eq!(doc["elements"]["K_OD_K1"], 43.25);
    assert_eq!(
        doc["elements"]["PLAN"].as_str().unwrap().chars().count(),
        6000
    );
    assert_eq!(
        doc["diagnoses"][0],
        json!({"code": "H25.13", "text": "Catarata nuclear", "eye": "B", "primary": true})
    );
    assert_eq!(result.record_id.as_deref(), Some("V-9001@3"));
    assert!(!result.replayed);
    let line = |id: &str| {
        result
            .fields
            .iter()
            .find(|f| f.field == id)
            .unwrap()
            .clone()
    };
    assert!(line("chief_complaint").warnings.is_empty());
    assert_eq!(line("plan").warnings[0].kind, WarningKind::Truncated);
    assert!(matches!(
        line("vitals.pulse").status,
        FieldStatus::Skipped((SkipReason::NoMapping, _))
    ));
}

// A visit of another patient is refused before anything is written.
#[test]
fn wrong_patient_writes_nothing() {
    let h = harness();
    visit(&h, "EF-2002", false);
    let err = Eyefinity::write_encounter(snapshot(vec![("iop.od", FieldValue::Number(17.0))]))
        .unwrap_err();
    assert!(matches!(err, AdapterError::WrongPatient(m) if m.contains("EF-2002")));
    assert!(puts(&h).is_empty());
}

// A locked visit is refused as encounter-locked before anything is written.
#[test]
fn locked_visit_writes_nothing() {
    let h = harness();
    visit(&h, "EF-2001", true);
    let err = Eyefinity::write_encounter(snapshot(vec![("iop.od", FieldValue::Number(17.0))]))
        .unwrap_err();
    assert!(matches!(err, AdapterError::EncounterLocked(_)));
    assert!(puts(&h).is_empty());
}

// An element the mapping writes that the form no longer has is a template mismatch
// naming it, never a silent drop.
#[test]
fn renamed_element_is_template_mismatch() {
    let h = harness();
    visit(&h, "EF-2001", false);
    form(&h, &["CC", "IOP_OD_MMHG"]);
    let err = Eyefinity::write_encounter(snapshot(vec![("iop.od", FieldValue::Number(17.0))]))
        .unwrap_err();
    assert!(matches!(err, AdapterError::TemplateMismatch(m) if m.contains("IOP_OD")));
    assert!(puts(&h).is_empty());
}

// A save answered from the EHR's idempotency store is reported as replayed; a 409
// `visit_locked` on the save is encounter-locked.
#[test]
fn replay_and_late_lock() {
    let h = harness();
    visit(&h, "EF-2001", false);
    form(&h, &["IOP_OD"]);
    h.http(Method::Put, &format!("{BASE}/visits/V-9001/document"))
        .times(1)
        .reply_with(200, &[("idempotent-replayed", "true")], r#"{"revision":1}"#);
    h.http(Method::Put, &format!("{BASE}/visits/V-9001/document"))
        .reply_json(
            409,
            r#"{"error":"visit_locked","message":"Visit V-9001 is finalized and locked"}"#,
        );
    let snap = snapshot(vec![("iop.od", FieldValue::Number(17.0))]);
    assert!(Eyefinity::write_encounter(snap.clone()).unwrap().replayed);
    assert!(matches!(
        Eyefinity::write_encounter(snap),
        Err(AdapterError::EncounterLocked(_))
    ));
}

// The schedule is read one day per request and mapped with absent values as none.
#[test]
fn schedule_reads_each_day() {
    let h = harness();
    h.http(Method::Get, &format!("{BASE}/schedule?date=2026-11-30")).reply_json(200, r#"{"slots":[
        {"slotId":"S-1","time":"09:00","minutes":30,"reason":"Exam","provider":{"id":"OD-99","name":null},
         "state":"booked","visitId":null,"patient":{"patientId":"EF-1","name":{"given":"A","family":"B"},
         "birthDate":null,"contact":{"email":"","phone":null},"address":null}}]}"#);
    h.http(Method::Get, &format!("{BASE}/schedule?date=2026-12-01"))
        .reply_json(200, r#"{"slots":[]}"#);
    let list = Eyefinity::read_schedule(ScheduleQuery {
        from_date: "2026-11-30".into(),
        to_date: "2026-12-01".into(),
        provider_id: None,
    })
    .unwrap();
    assert_eq!(h.requests().len(), 2);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].start, "2026-11-30T09:00:00");
    assert_eq!(list[0].provider_name, None);
    assert_eq!(list[0].patient.as_ref().unwrap().email, None);
    assert!(crate::schedule::days("2026-01-01", "2026-12-31").is_err());
}

// The guard's second and third identifiers: a visit whose patient block carries another
// family name, or no birth date at all, is refused as wrong-patient before any save
// (fail closed); a family name differing only in case and spacing is accepted.
#[test]
fn guard_checks_family_name_and_birth_date() {
    let reply = |family: &str, dob: Value| {
        json!({"visitId": "V-9001", "locked": false, "formVersion": "EXAM-3",
               "patient": {"patientId": "EF-2001", "family": family, "birthDate": dob}})
        .to_string()
    };
    let snap = || snapshot(vec![("iop.od", FieldValue::Number(17.0))]);

    let h = harness();
    h.http(Method::Get, &format!("{BASE}/visits/"))
        .reply_json(200, &reply("Okafor-Smith", json!("1958-03-14")));
    assert!(
        matches!(Eyefinity::write_encounter(snap()), Err(AdapterError::WrongPatient(m)) if m.contains("last name"))
    );
    drop(h);

    let h = harness();
    h.http(Method::Get, &format!("{BASE}/visits/"))
        .reply_json(200, &reply("Okafor", json!(null)));
    assert!(
        matches!(Eyefinity::write_encounter(snap()), Err(AdapterError::WrongPatient(m)) if m.contains("no date of birth"))
    );
    assert!(puts(&h).is_empty());
    drop(h);

    let h = harness();
    h.http(Method::Get, &format!("{BASE}/visits/"))
        .reply_json(200, &reply("  OKAFOR ", json!("1958-03-14")));
    form(&h, &["IOP_OD"]);
    h.http(Method::Put, &format!("{BASE}/visits/V-9001/document"))
        .reply_json(200, r#"{"revision":1}"#);
    assert!(Eyefinity::write_encounter(snap()).is_ok());
}

// `check` reports the build when the EHR is up, and an EHR-side failure when it says
// it is not.
#[test]
fn check_reads_status() {
    let h = harness();
    h.http(Method::Get, &format!("{BASE}/status"))
        .times(1)
        .reply_json(200, r#"{"state":"up","build":"EF 2.0"}"#);
    h.http(Method::Get, &format!("{BASE}/status"))
        .reply_json(200, r#"{"state":"maintenance"}"#);
    assert_eq!(
        Eyefinity::check().unwrap().ehr_version.as_deref(),
        Some("EF 2.0")
    );
    assert!(
        matches!(Eyefinity::check(), Err(AdapterError::EhrInternal(m)) if m.contains("maintenance"))
    );
}
