//! Native tests of what depends on the EHR's state and the snapshot's spelling: a job that
//! landed before the encounter was signed or its template changed, a brief template,
//! names in any Unicode form, text with no ASCII form, and the shared ICD-10-CM rules.

use crate::tests::{
    all_spec_fields, body, encounter_json, harness, kinds, line, patient_json, skip_reason,
    small_snapshot, snapshot, stub_good_lookups, stub_lookups, stub_writes, template_json, text,
    writes, BASE,
};
use crate::Revolution;
use ehr_adapter_sdk::http::Method;
use ehr_adapter_sdk::prelude::*;
use serde_json::json;

/// Stubs the read-back of what `small_snapshot` writes as already in the chart. Call it
/// before `stub_lookups`: stubs match by URL prefix in the order added.
fn stub_landed(h: &ehr_adapter_sdk::testing::Harness) {
    h.http(Method::Get, &format!("{BASE}/encounters/E5001/exam/iop"))
        .reply_json(
            200,
            r#"{"section":"iop","fields":{"iopOd":17,"iopOs":null}}"#,
        );
    h.http(Method::Get, &format!("{BASE}/encounters/E5001/diagnoses"))
        .reply_json(
            200,
            r#"{"diagnoses":[{"icd10":"H40.1131","description":"Primary open-angle glaucoma","eye":"OD","primary":true}]}"#,
        );
    h.http(Method::Get, &format!("{BASE}/encounters/E5001/notes"))
        .reply_json(
            200,
            r#"[{"id":"N9001","text":"Patient counselled.","createdAt":"x"}]"#,
        );
}

// The job landed, its answer was lost, then the provider signed the encounter: the retry
// reads back, finds the job's values in the chart and succeeds as a replay with the
// first write's report; no write request is sent.
#[test]
fn landed_then_signed_is_a_replay() {
    let h = harness();
    stub_landed(&h);
    stub_lookups(
        &h,
        &encounter_json("P1001", "signed"),
        &patient_json("Okafor", Some("1958-03-14")),
        &template_json(&all_spec_fields()),
    );
    let r = Revolution::write_encounter(small_snapshot()).unwrap();
    assert!(r.replayed);
    assert_eq!(r.record_id.as_deref(), Some("E5001"));
    assert!(
        r.fields.iter().all(|f| f.status == FieldStatus::Written),
        "{r:?}"
    );
    assert!(writes(&h).is_empty());
    assert!(h.logs().iter().any(|(_, m)| m.contains("already landed")));
}

// Signed and not landed (the read-back differs): the refusal stands.
#[test]
fn signed_and_not_landed_is_refused() {
    let h = harness();
    h.http(Method::Get, &format!("{BASE}/encounters/E5001/exam/iop"))
        .reply_json(200, r#"{"section":"iop","fields":{"iopOd":21}}"#);
    stub_lookups(
        &h,
        &encounter_json("P1001", "signed"),
        &patient_json("Okafor", Some("1958-03-14")),
        &template_json(&all_spec_fields()),
    );
    let err = Revolution::write_encounter(small_snapshot()).unwrap_err();
    assert!(matches!(err, AdapterError::EncounterLocked(_)), "{err:?}");
    assert!(writes(&h).is_empty());
}

// The job landed, then the EHR renamed template fields: a replay, not a mismatch.
#[test]
fn landed_then_template_changed_is_a_replay() {
    let h = harness();
    let renamed: Vec<&str> = all_spec_fields()
        .into_iter()
        .map(|f| if f == "iopOd" { "iopOdMmHg" } else { f })
        .collect();
    stub_landed(&h);
    stub_lookups(
        &h,
        &encounter_json("P1001", "open"),
        &patient_json("Okafor", Some("1958-03-14")),
        &template_json(&renamed),
    );
    let r = Revolution::write_encounter(small_snapshot()).unwrap();
    assert!(r.replayed);
    assert!(writes(&h).is_empty());
}

// Landed on a brief template, then signed: the plan is scoped to the template before the
// read-back, so the fields the template never took do not hide that the job landed.
#[test]
fn landed_on_a_brief_template_then_signed_is_a_replay() {
    let h = harness();
    stub_landed(&h);
    stub_lookups(
        &h,
        &encounter_json("P1001", "signed"),
        &patient_json("Okafor", Some("1958-03-14")),
        &template_json(&["iopOd", "iopOs"]),
    );
    let mut s = small_snapshot();
    s.fields.push(ehr_adapter_sdk::ClinicalField {
        id: "pupils".into(),
        value: text("PERRL"),
    });
    let r = Revolution::write_encounter(s).unwrap();
    assert!(r.replayed);
    assert_eq!(
        skip_reason(&r, "pupils").unwrap().0,
        SkipReason::OutsideTemplate
    );
    assert!(writes(&h).is_empty());
}

// A brief template takes fewer fields: those it does not take are skipped as
// `outside-template`, the rest written; not a template mismatch.
#[test]
fn brief_template_skips_fields_outside_it() {
    let h = harness();
    stub_lookups(
        &h,
        &encounter_json("P1001", "open"),
        &patient_json("Okafor", Some("1958-03-14")),
        &template_json(&["chiefComplaint", "iopOd", "iopOs"]),
    );
    stub_writes(&h, false);
    let s = snapshot(
        &[],
        vec![
            ("iop.od", FieldValue::Number(17.0)),
            ("iop.method", text("NCT")),
            ("pupils", text("PERRL")),
        ],
    );
    let r = Revolution::write_encounter(s).unwrap();
    assert_eq!(line(&r, "iop.od").status, FieldStatus::Written);
    for f in ["iop.method", "pupils"] {
        let (reason, detail) = skip_reason(&r, f).unwrap();
        assert_eq!(reason, SkipReason::OutsideTemplate, "{f}");
        assert!(detail.contains("T-COMP"), "{detail}");
    }
    assert_eq!(body(&writes(&h)[0]), json!({"iopOd": 17}));
}

// The identity guard's spelling rules: a decomposed (NFD) last name, a nickname; and a
// different first name refuses, naming ids only.
#[test]
fn identity_in_any_spelling() {
    let nfd_patient =
        json!({"id": "P1001", "firstName": "William", "lastName": "Nu\u{301}n\u{303}ez",
        "dateOfBirth": "1958-03-14"})
        .to_string();
    for (first, ok) in [("Bill", true), ("Will", true), ("Robert", false)] {
        let h = harness();
        stub_lookups(
            &h,
            &encounter_json("P1001", "open"),
            &nfd_patient,
            &template_json(&all_spec_fields()),
        );
        stub_writes(&h, false);
        let mut s = small_snapshot();
        s.patient.first_name = first.into();
        s.patient.last_name = "Núñez".into();
        match Revolution::write_encounter(s) {
            Ok(_) => assert!(ok, "{first}"),
            Err(AdapterError::WrongPatient(m)) => {
                assert!(!ok, "{first}: {m}");
                assert!(m.contains("first name") && !m.contains("Robert"), "{m}");
            }
            Err(e) => panic!("{first}: {e:?}"),
        }
    }
}

// Text with no faithful ASCII form is skipped with the reason (never `?`); the sphere is
// rounded to the quarter-dioptre step with a warning; U07.1 is a valid ICD-10-CM code and
// a diagnosis listed twice is written once, with a warning.
#[test]
fn text_steps_and_diagnoses() {
    let h = harness();
    stub_good_lookups(&h);
    stub_writes(&h, false);
    let dx = |code: &str| Diagnosis {
        code: code.into(),
        description: "COVID-19".into(),
        laterality: Laterality::NotApplicable,
        primary: false,
    };
    let s = snapshot(
        &[],
        vec![
            ("assessment", text("視界がぼやける")),
            ("refraction.manifest.od.sphere", FieldValue::Number(-1.13)),
            (
                "diagnoses",
                FieldValue::Diagnoses(vec![dx("U07.1"), dx("u071")]),
            ),
        ],
    );
    let r = Revolution::write_encounter(s).unwrap();
    let (reason, detail) = skip_reason(&r, "assessment").unwrap();
    assert_eq!(reason, SkipReason::InvalidValue);
    assert!(detail.contains("CJK") && !detail.contains('?'), "{detail}");
    assert_eq!(
        kinds(&r, "refraction.manifest.od.sphere"),
        [WarningKind::Rounded]
    );
    assert_eq!(kinds(&r, "diagnoses"), [WarningKind::Other]);
    let w = writes(&h);
    assert_eq!(body(&w[0]), json!({"mrxOdSphere": -1.25}));
    assert_eq!(
        body(&w[1]),
        json!([{"icd10": "U07.1", "description": "COVID-19", "eye": null, "primary": false}])
    );
}

// With the practice's `non_ascii_marker`, such text is written with the marker and a
// `characters-replaced` warning.
#[test]
fn marker_setting_writes_the_marker() {
    let h = harness().setting("non_ascii_marker", "[?]");
    stub_good_lookups(&h);
    stub_writes(&h, false);
    let s = snapshot(&[], vec![("assessment", text("OD 視界"))]);
    let r = Revolution::write_encounter(s).unwrap();
    assert_eq!(kinds(&r, "assessment"), [WarningKind::CharactersReplaced]);
    assert_eq!(body(&writes(&h)[0]), json!({"assessment": "OD [?][?]"}));
}
