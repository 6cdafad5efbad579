//! Native tests against stubbed EHR replies (the SDK's `testing::Harness`). Each test
//! states the case it pins; assertions check what was sent and what was reported.

use crate::mapping::{mapping, DIAGNOSES_SECTION, NOTES_SECTION};
use crate::Revolution;
use ehr_adapter_sdk::http::{HttpError, Method, Request};
use ehr_adapter_sdk::prelude::*;
use ehr_adapter_sdk::testing::{Harness, SnapshotBuilder};
use ehr_adapter_sdk::{ClinicalField, Diagnosis, Laterality, Procedure, WarningKind};
use serde_json::{json, Value};

pub(crate) const BASE: &str = "http://ehr.test/api/v1";

/// The EHR's exam sections and field names, as the API documentation lists them.
const SPEC: &[(&str, &[&str])] = &[
    ("history", &["chiefComplaint", "hpi"]),
    (
        "visual-acuity",
        &[
            "distScOd", "distScOs", "distScOu", "distCcOd", "distCcOs", "distCcOu", "nearCcOd",
            "nearCcOs", "nearCcOu",
        ],
    ),
    (
        "refraction",
        &[
            "mrxOdSphere",
            "mrxOdCylinder",
            "mrxOdAxis",
            "mrxOdAdd",
            "mrxOsSphere",
            "mrxOsCylinder",
            "mrxOsAxis",
            "mrxOsAdd",
        ],
    ),
    ("iop", &["iopOd", "iopOs", "iopMethod", "iopTime"]),
    ("pupils", &["pupils"]),
    (
        "slit-lamp",
        &[
            "odLids",
            "odConjunctiva",
            "odCornea",
            "odAnteriorChamber",
            "odIris",
            "odLens",
            "osLids",
            "osConjunctiva",
            "osCornea",
            "osAnteriorChamber",
            "osIris",
            "osLens",
        ],
    ),
    (
        "fundus",
        &[
            "odCdRatio",
            "osCdRatio",
            "odDisc",
            "odMacula",
            "odVessels",
            "odPeriphery",
            "odVitreous",
            "osDisc",
            "osMacula",
            "osVessels",
            "osPeriphery",
            "osVitreous",
        ],
    ),
    (
        "vitals",
        &[
            "bpSystolic",
            "bpDiastolic",
            "pulse",
            "tempF",
            "heightIn",
            "weightLb",
        ],
    ),
    ("assessment-plan", &["assessment", "plan"]),
];

pub(crate) fn all_spec_fields() -> Vec<&'static str> {
    SPEC.iter().flat_map(|(_, f)| f.iter().copied()).collect()
}

// --- fixtures ---------------------------------------------------------------------------

/// A harness whose `base_url` has a trailing slash, which the adapter must trim.
pub(crate) fn harness() -> Harness {
    Harness::new().setting("base_url", "http://ehr.test/")
}

pub(crate) fn encounter_json(patient_id: &str, status: &str) -> String {
    json!({
        "id": "E5001", "patientId": patient_id, "date": "2026-11-16",
        "providerId": "DR1", "templateId": "T-COMP", "status": status
    })
    .to_string()
}

pub(crate) fn patient_json(last_name: &str, dob: Option<&str>) -> String {
    json!({
        "id": "P1001", "firstName": "Margaret", "lastName": last_name, "dateOfBirth": dob,
        "email": null, "phone": null, "address": null
    })
    .to_string()
}

pub(crate) fn template_json(fields: &[&str]) -> String {
    json!({"id": "T-COMP", "name": "Comprehensive eye exam", "fields": fields}).to_string()
}

/// Stubs the three lookups the write flow starts with.
pub(crate) fn stub_lookups(h: &Harness, encounter: &str, patient: &str, template: &str) {
    h.http(Method::Get, &format!("{BASE}/encounters/E5001"))
        .reply_json(200, encounter);
    h.http(Method::Get, &format!("{BASE}/patients/P1001"))
        .reply_json(200, patient);
    h.http(Method::Get, &format!("{BASE}/templates/T-COMP"))
        .reply_json(200, template);
}

/// The lookups of a healthy, open encounter for Margaret Okafor on the full template.
pub(crate) fn stub_good_lookups(h: &Harness) {
    stub_lookups(
        h,
        &encounter_json("P1001", "open"),
        &patient_json("Okafor", Some("1958-03-14")),
        &template_json(&all_spec_fields()),
    );
}

/// Stubs every write endpoint with success; `replayed` adds `Idempotent-Replayed: true`.
pub(crate) fn stub_writes(h: &Harness, replayed: bool) {
    let headers: &[(&str, &str)] = if replayed {
        &[
            ("content-type", "application/json"),
            ("Idempotent-Replayed", "true"),
        ]
    } else {
        &[("content-type", "application/json")]
    };
    h.http(Method::Put, &format!("{BASE}/encounters/E5001/exam/"))
        .reply_with(200, headers, "{}");
    h.http(Method::Put, &format!("{BASE}/encounters/E5001/diagnoses"))
        .reply_with(200, headers, "{}");
    h.http(Method::Post, &format!("{BASE}/encounters/E5001/notes"))
        .reply_with(201, headers, "{}");
}

pub(crate) fn text(s: &str) -> FieldValue {
    FieldValue::Text(s.to_string())
}

pub(crate) fn snapshot(
    template_fields: &[&str],
    fields: Vec<(&str, FieldValue)>,
) -> EncounterSnapshot {
    let b = SnapshotBuilder::new()
        .patient("P1001", "Margaret", "Okafor", "1958-03-14")
        .encounter("E5001", "2026-11-16")
        .provider("DR1")
        .template("T-COMP", template_fields);
    fields
        .into_iter()
        .fold(b, |b, (id, v)| b.field(id, v))
        .build()
}

/// A small snapshot with one field per kind of write: an exam section, diagnoses, a note.
pub(crate) fn small_snapshot() -> EncounterSnapshot {
    snapshot(
        &[],
        vec![
            ("iop.od", FieldValue::Number(17.0)),
            (
                "diagnoses",
                FieldValue::Diagnoses(vec![Diagnosis {
                    code: "H40.1131".into(),
                    description: "Primary open-angle glaucoma".into(),
                    laterality: Laterality::Right,
                    primary: true,
                }]),
            ),
            ("notes", text("Patient counselled.")),
        ],
    )
}

pub(crate) fn writes(h: &Harness) -> Vec<Request> {
    h.requests()
        .into_iter()
        .filter(|r| r.method != Method::Get)
        .collect()
}

pub(crate) fn body(r: &Request) -> Value {
    serde_json::from_slice(r.body.as_deref().expect("a write has a body")).unwrap()
}

pub(crate) fn header<'a>(r: &'a Request, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub(crate) fn line<'a>(r: &'a WriteResult, field: &str) -> &'a FieldResult {
    r.fields
        .iter()
        .find(|f| f.field == field)
        .unwrap_or_else(|| panic!("no report line for {field}"))
}

pub(crate) fn kinds(r: &WriteResult, field: &str) -> Vec<WarningKind> {
    line(r, field).warnings.iter().map(|w| w.kind).collect()
}

pub(crate) fn skip_reason(r: &WriteResult, field: &str) -> Option<(SkipReason, String)> {
    match &line(r, field).status {
        FieldStatus::Skipped(s) => Some(s.clone()),
        FieldStatus::Written => None,
    }
}

// --- mapping and describe ---------------------------------------------------------------

// Every exam target of the mapping is a section and field the EHR documents, and every
// documented field has a rule: a typo here would surface only as a 422 in production.
#[test]
fn mapping_targets_match_the_api() {
    let mapping = mapping();
    let targets = mapping.targets();
    for (section, name) in &targets {
        if *section == DIAGNOSES_SECTION || *section == NOTES_SECTION {
            continue;
        }
        let fields = SPEC.iter().find(|(s, _)| s == section).map(|(_, f)| *f);
        assert!(
            fields.is_some_and(|f| f.contains(name)),
            "{section}.{name} is not in the API"
        );
    }
    for name in all_spec_fields() {
        assert!(
            targets.iter().any(|(_, n)| *n == name),
            "{name} has no rule"
        );
    }
}

// `describe` lists every catalog field exactly once, with the two unmapped families
// explained, and asks only for the documented origins and setting.
#[test]
fn describe_covers_the_catalog() {
    let info = Revolution::describe();
    assert_eq!(info.id, "revolution");
    assert_eq!(info.ehr, "RevolutionEHR");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(
        info.http_origins,
        vec!["https://*.revolutionehr.com", "config:base_url"]
    );
    assert!(info.databases.is_empty());
    let keys: Vec<&str> = info.settings.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        ["base_url", "request_timeout_secs", "non_ascii_marker"]
    );
    let catalog = ehr_adapter_sdk::catalog::fields();
    assert_eq!(info.fields.len(), catalog.len());
    for f in catalog {
        assert_eq!(
            info.fields.iter().filter(|m| m.field == f.id).count(),
            1,
            "{}",
            f.id
        );
    }
    let k = info
        .fields
        .iter()
        .find(|m| m.field == "keratometry.os.k2")
        .unwrap();
    assert_eq!(k.target, None);
    assert!(k.note.contains("keratometry endpoint"));
    let p = info
        .fields
        .iter()
        .find(|m| m.field == "procedures")
        .unwrap();
    assert_eq!(p.target, None);
    assert!(p.note.contains("RevolutionPM"));
    let t = info
        .fields
        .iter()
        .find(|m| m.field == "vitals.temperature")
        .unwrap();
    assert_eq!(t.target.as_deref(), Some("vitals.tempF"));
    let d = info.fields.iter().find(|m| m.field == "diagnoses").unwrap();
    assert!(d.note.contains("ICD-10"));
}

// `check` pings the API (base URL trimmed of its slash) and reports the EHR's version.
#[test]
fn check_reports_version() {
    let h = harness();
    h.http(Method::Get, &format!("{BASE}/ping"))
        .reply_json(200, r#"{"status":"ok","version":"RevolutionEHR 9.4"}"#);
    let report = Revolution::check().unwrap();
    assert_eq!(report.ehr_version.as_deref(), Some("RevolutionEHR 9.4"));
    assert!(report.details[0].contains("200"));
    assert_eq!(h.requests()[0].url, "http://ehr.test/api/v1/ping");
    assert!(header(&h.requests()[0], "authorization").is_none());
}

// A missing `base_url` is a configuration problem the operator fixes, named as such.
#[test]
fn missing_base_url_is_misconfigured() {
    let _h = Harness::new();
    assert!(
        matches!(Revolution::check(), Err(AdapterError::Misconfigured(m)) if m.contains("base_url"))
    );
}

// --- the write flow ---------------------------------------------------------------------

// The full report: written fields with their targets, skips with their reasons, and the
// warnings for unit conversion (°C → °F), rounding, truncation and ASCII replacement;
// plus exactly what went over the wire, in order, with per-section idempotency keys.
#[test]
fn full_write_reports_every_field() {
    let h = harness();
    stub_good_lookups(&h);
    stub_writes(&h, false);
    let mut template_fields: Vec<&str> = ehr_adapter_sdk::catalog::fields()
        .iter()
        .map(|f| f.id.as_str())
        .collect();
    template_fields.retain(|f| *f != "pupils");
    let long_note = "Follow up in 6 weeks. ".repeat(100); // 2200 characters
    let s = snapshot(
        &template_fields,
        vec![
            ("chief_complaint", text("Visión borrosa OD")),
            ("hpi", text("   ")),
            ("va.distance.cc.od", text("20/25-2")),
            ("va.distance.cc.os", text("6/6")),
            ("refraction.manifest.od.sphere", FieldValue::Number(-2.25)),
            ("refraction.manifest.od.axis", FieldValue::Number(90.4)),
            ("iop.od", FieldValue::Number(17.0)),
            ("iop.method", text("NCT")),
            ("iop.time", text("9:05")),
            ("keratometry.od.k1", FieldValue::Number(43.5)),
            ("pupils", text("PERRL")),
            ("vitals.temperature", FieldValue::Number(37.0)),
            ("vitals.weight", FieldValue::Number(70.0)),
            (
                "diagnoses",
                FieldValue::Diagnoses(vec![
                    Diagnosis {
                        code: "H40.1131".into(),
                        description: "Primary open-angle glaucoma, right eye, mild stage".into(),
                        laterality: Laterality::Right,
                        primary: true,
                    },
                    Diagnosis {
                        code: "e11.9".into(),
                        description: "Type 2 diabetes — no complications".into(),
                        laterality: Laterality::NotApplicable,
                        primary: false,
                    },
                ]),
            ),
            (
                "procedures",
                FieldValue::Procedures(vec![Procedure {
                    code: "92014".into(),
                    modifiers: vec![],
                    units: 1,
                    diagnosis_pointers: vec!["H40.1131".into()],
                }]),
            ),
            ("notes", text(&long_note)),
        ],
    );

    let r = Revolution::write_encounter(s.clone()).unwrap();

    // The report: one line per snapshot field, in snapshot order.
    assert_eq!(r.record_id.as_deref(), Some("E5001"));
    assert!(!r.replayed);
    let order: Vec<&str> = r.fields.iter().map(|f| f.field.as_str()).collect();
    let expected: Vec<&str> = s.fields.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(order, expected);

    assert_eq!(line(&r, "chief_complaint").status, FieldStatus::Written);
    assert_eq!(
        line(&r, "chief_complaint").target.as_deref(),
        Some("history.chiefComplaint")
    );
    assert_eq!(
        kinds(&r, "chief_complaint"),
        vec![WarningKind::CharactersReplaced]
    );
    assert_eq!(skip_reason(&r, "hpi").unwrap().0, SkipReason::EmptyValue);
    assert_eq!(line(&r, "va.distance.cc.od").status, FieldStatus::Written);
    assert_eq!(
        skip_reason(&r, "va.distance.cc.os").unwrap().0,
        SkipReason::InvalidValue
    );
    assert_eq!(
        line(&r, "refraction.manifest.od.sphere").status,
        FieldStatus::Written
    );
    assert!(kinds(&r, "refraction.manifest.od.sphere").is_empty());
    assert_eq!(
        kinds(&r, "refraction.manifest.od.axis"),
        vec![WarningKind::Rounded]
    );
    assert_eq!(line(&r, "iop.od").target.as_deref(), Some("iop.iopOd"));
    assert_eq!(line(&r, "iop.method").status, FieldStatus::Written);
    assert_eq!(
        skip_reason(&r, "iop.time").unwrap().0,
        SkipReason::InvalidValue
    );
    let (reason, detail) = skip_reason(&r, "keratometry.od.k1").unwrap();
    assert_eq!(reason, SkipReason::NoMapping);
    assert!(detail.contains("keratometry endpoint"));
    assert_eq!(
        skip_reason(&r, "pupils").unwrap().0,
        SkipReason::OutsideTemplate
    );
    assert_eq!(
        line(&r, "vitals.temperature").target.as_deref(),
        Some("vitals.tempF")
    );
    assert_eq!(
        kinds(&r, "vitals.temperature"),
        vec![WarningKind::UnitConverted]
    );
    assert!(line(&r, "vitals.temperature").warnings[0]
        .message
        .contains("98.6"));
    assert_eq!(kinds(&r, "vitals.weight"), vec![WarningKind::UnitConverted]);
    assert_eq!(line(&r, "diagnoses").status, FieldStatus::Written);
    assert_eq!(
        line(&r, "diagnoses").target.as_deref(),
        Some("diagnoses.list")
    );
    assert_eq!(
        kinds(&r, "diagnoses"),
        vec![WarningKind::CharactersReplaced]
    );
    assert!(line(&r, "diagnoses").warnings[0]
        .message
        .contains("'—' as '-'"));
    let (reason, detail) = skip_reason(&r, "procedures").unwrap();
    assert_eq!(reason, SkipReason::NoMapping);
    assert!(detail.contains("RevolutionPM"));
    assert_eq!(line(&r, "notes").target.as_deref(), Some("notes.text"));
    assert_eq!(kinds(&r, "notes"), vec![WarningKind::Truncated]);

    // The wire: three lookups, then the sections in snapshot order, diagnoses, the note.
    let requests = h.requests();
    let summary: Vec<(Method, String)> = requests
        .iter()
        .map(|r| (r.method, r.url.trim_start_matches(BASE).to_string()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (Method::Get, "/encounters/E5001".to_string()),
            (Method::Get, "/patients/P1001".to_string()),
            (Method::Get, "/templates/T-COMP".to_string()),
            (Method::Put, "/encounters/E5001/exam/history".to_string()),
            (
                Method::Put,
                "/encounters/E5001/exam/visual-acuity".to_string()
            ),
            (Method::Put, "/encounters/E5001/exam/refraction".to_string()),
            (Method::Put, "/encounters/E5001/exam/iop".to_string()),
            (Method::Put, "/encounters/E5001/exam/vitals".to_string()),
            (Method::Put, "/encounters/E5001/diagnoses".to_string()),
            (Method::Post, "/encounters/E5001/notes".to_string()),
        ]
    );
    for r in &requests {
        assert!(
            header(r, "authorization").is_none(),
            "the guest never sets Authorization"
        );
    }
    let w = writes(&h);
    let keys: Vec<&str> = w
        .iter()
        .map(|r| header(r, "idempotency-key").unwrap())
        .collect();
    assert_eq!(
        keys,
        vec![
            "job-1:history",
            "job-1:visual-acuity",
            "job-1:refraction",
            "job-1:iop",
            "job-1:vitals",
            "job-1:diagnoses",
            "job-1:notes"
        ]
    );
    assert_eq!(body(&w[0]), json!({"chiefComplaint": "Vision borrosa OD"}));
    assert_eq!(body(&w[1]), json!({"distCcOd": "20/25-2"}));
    assert_eq!(body(&w[2]), json!({"mrxOdSphere": -2.25, "mrxOdAxis": 90}));
    assert_eq!(body(&w[3]), json!({"iopOd": 17, "iopMethod": "NCT"}));
    assert_eq!(body(&w[4]), json!({"tempF": 98.6, "weightLb": 154.3}));
    assert_eq!(
        body(&w[5]),
        json!([
            {"icd10": "H40.1131", "description": "Primary open-angle glaucoma, right eye, mild stage", "eye": "OD", "primary": true},
            {"icd10": "E11.9", "description": "Type 2 diabetes - no complications", "eye": null, "primary": false}
        ])
    );
    let note = body(&w[6]);
    let note = note["text"].as_str().unwrap();
    assert_eq!(note.len(), 2000);
    assert!(long_note.starts_with(note));
}

// The encounter belongs to another patient: wrong-patient naming both ids, and not a
// single write request is sent.
#[test]
fn wrong_patient_on_encounter_writes_nothing() {
    let h = harness();
    stub_lookups(
        &h,
        &encounter_json("P1002", "open"),
        &patient_json("Okafor", Some("1958-03-14")),
        &template_json(&all_spec_fields()),
    );
    stub_writes(&h, false);
    let err = Revolution::write_encounter(small_snapshot()).unwrap_err();
    assert!(
        matches!(&err, AdapterError::WrongPatient(m) if m.contains("P1002") && m.contains("P1001")),
        "{err:?}"
    );
    assert!(writes(&h).is_empty());
}

// The ids agree but the EHR's patient has another last name or birth date (an id typo
// pointing at someone else's chart), or no birth date to confirm with: wrong-patient,
// nothing written. Names and birth dates are not echoed into the error.
#[test]
fn wrong_patient_on_demographics_writes_nothing() {
    for (last, dob) in [
        ("Okafur", Some("1958-03-14")),
        ("Okafor", Some("1958-03-15")),
        ("Okafor", None),
    ] {
        let h = harness();
        stub_lookups(
            &h,
            &encounter_json("P1001", "open"),
            &patient_json(last, dob),
            &template_json(&all_spec_fields()),
        );
        stub_writes(&h, false);
        let err = Revolution::write_encounter(small_snapshot()).unwrap_err();
        match &err {
            AdapterError::WrongPatient(m) => {
                assert!(m.contains("P1001"));
                assert!(
                    !m.contains("Okaf") && !m.contains("1958"),
                    "no PHI in errors: {m}"
                );
            }
            other => panic!("{last} {dob:?}: expected wrong-patient, got {other:?}"),
        }
        assert!(writes(&h).is_empty(), "{last} {dob:?}");
    }
}

// The EHR stores the last name ASCII-folded and in another case (`NUNEZ` for the
// scribe's `Núñez`): that is the same patient, and the write goes ahead.
#[test]
fn accented_last_name_matches_its_ascii_form() {
    let h = harness();
    stub_lookups(
        &h,
        &encounter_json("P1001", "open"),
        &patient_json("NUNEZ", Some("1958-03-14")),
        &template_json(&all_spec_fields()),
    );
    stub_writes(&h, false);
    let mut s = small_snapshot();
    s.patient.last_name = "Núñez".into();
    let r = Revolution::write_encounter(s).unwrap();
    assert_eq!(line(&r, "iop.od").status, FieldStatus::Written);
    assert_eq!(writes(&h).len(), 3);
}

// A signed encounter: encounter-locked, no write request sent.
#[test]
fn signed_encounter_writes_nothing() {
    let h = harness();
    stub_lookups(
        &h,
        &encounter_json("P1001", "signed"),
        &patient_json("Okafor", Some("1958-03-14")),
        &template_json(&all_spec_fields()),
    );
    stub_writes(&h, false);
    let err = Revolution::write_encounter(small_snapshot()).unwrap_err();
    assert!(
        matches!(&err, AdapterError::EncounterLocked(m) if m.contains("E5001")),
        "{err:?}"
    );
    assert!(writes(&h).is_empty());
}

// The EHR renamed fields (`iopOd` → `iopOdMmHg`): template-mismatch listing the missing
// names and the template id, no write request sent — not even for sections that would
// still fit, so the chart is not left half-written.
#[test]
fn template_mismatch_writes_nothing() {
    let h = harness();
    let renamed: Vec<&str> = all_spec_fields()
        .into_iter()
        .map(|f| match f {
            "iopOd" => "iopOdMmHg",
            "iopOs" => "iopOsMmHg",
            f => f,
        })
        .collect();
    stub_lookups(
        &h,
        &encounter_json("P1001", "open"),
        &patient_json("Okafor", Some("1958-03-14")),
        &template_json(&renamed),
    );
    stub_writes(&h, false);
    let mut s = small_snapshot();
    s.fields.push(ClinicalField {
        id: "iop.os".into(),
        value: FieldValue::Number(15.0),
    });
    s.fields.push(ClinicalField {
        id: "chief_complaint".into(),
        value: text("blur"),
    });
    let err = Revolution::write_encounter(s).unwrap_err();
    assert!(
        matches!(&err, AdapterError::TemplateMismatch(m) if m.contains("iopOd,") && m.contains("iopOs") && m.contains("T-COMP") && !m.contains("chiefComplaint")),
        "{err:?}"
    );
    assert!(writes(&h).is_empty());
}

// A retried job the EHR answers entirely from its idempotency store is reported as
// replayed; if any write was applied now, it is not.
#[test]
fn replay_detection() {
    let h = harness();
    stub_good_lookups(&h);
    stub_writes(&h, true);
    let r = Revolution::write_encounter(small_snapshot()).unwrap();
    assert!(r.replayed);
    assert_eq!(writes(&h).len(), 3);
    drop(h);

    // The section write was replayed but the note was applied only now.
    let h = harness();
    stub_good_lookups(&h);
    h.http(Method::Put, &format!("{BASE}/encounters/E5001/"))
        .reply_with(200, &[("idempotent-replayed", "true")], "{}");
    h.http(Method::Post, &format!("{BASE}/encounters/E5001/notes"))
        .reply_json(201, "{}");
    let r = Revolution::write_encounter(small_snapshot()).unwrap();
    assert!(!r.replayed);
}

// A snapshot with nothing to write sends no write and is not a replay.
#[test]
fn nothing_to_write_is_not_a_replay() {
    let h = harness();
    stub_good_lookups(&h);
    let s = snapshot(&[], vec![("keratometry.od.k1", FieldValue::Number(43.0))]);
    let r = Revolution::write_encounter(s).unwrap();
    assert!(!r.replayed);
    assert!(writes(&h).is_empty());
    assert_eq!(
        skip_reason(&r, "keratometry.od.k1").unwrap().0,
        SkipReason::NoMapping
    );
}

// Diagnoses the EHR would refuse as a whole (two primaries, a malformed code, a value
// that is not a list) are skipped as invalid before any write; the rest is written.
#[test]
fn invalid_diagnoses_are_skipped_not_sent() {
    let dx = |code: &str, primary: bool| Diagnosis {
        code: code.into(),
        description: "x".into(),
        laterality: Laterality::Both,
        primary,
    };
    for value in [
        FieldValue::Diagnoses(vec![dx("H40.1131", true), dx("E11.9", true)]),
        FieldValue::Diagnoses(vec![dx("H40..1", true)]),
        text("glaucoma"),
    ] {
        let h = harness();
        stub_good_lookups(&h);
        stub_writes(&h, false);
        let s = snapshot(
            &[],
            vec![
                ("iop.od", FieldValue::Number(17.0)),
                ("diagnoses", value.clone()),
            ],
        );
        let r = Revolution::write_encounter(s).unwrap();
        assert_eq!(
            skip_reason(&r, "diagnoses").unwrap().0,
            SkipReason::InvalidValue,
            "{value:?}"
        );
        let urls: Vec<String> = writes(&h).iter().map(|r| r.url.clone()).collect();
        assert_eq!(urls, vec![format!("{BASE}/encounters/E5001/exam/iop")]);
    }
}

// Ids are percent-encoded as path segments: `../P1002` cannot address another record.
#[test]
fn ids_are_encoded_in_paths() {
    let h = harness();
    h.http(Method::Get, BASE)
        .reply_json(404, r#"{"error":"not_found","message":"no"}"#);
    let mut s = small_snapshot();
    s.encounter_id = "../patients/P1002".into();
    let err = Revolution::write_encounter(s).unwrap_err();
    assert!(matches!(err, AdapterError::NotFound(_)));
    // One segment: the slashes are encoded, so nothing resolves `..` against the path.
    assert_eq!(
        h.requests()[0].url,
        format!("{BASE}/encounters/..%2Fpatients%2FP1002")
    );
    // A bare `.` or `..` id would be resolved as "this" or "parent" by URL normalisation.
    assert_eq!(ehr_adapter_sdk::http::path_segment(".."), "%2E%2E");
    assert_eq!(ehr_adapter_sdk::http::path_segment("."), "%2E");
    assert_eq!(
        ehr_adapter_sdk::http::path_segment("P 1/ä"),
        "P%201%2F%C3%A4"
    );
}

// --- error mapping ----------------------------------------------------------------------

// 401 maps to session-expired (or not-logged-in when the EHR says so), 403 to
// permission-denied naming the permission, 429 to rate-limited with Retry-After.
#[test]
fn auth_and_rate_limit_statuses_map_to_typed_errors() {
    let h = harness();
    h.http(Method::Get, &format!("{BASE}/ping"))
        .times(1)
        .reply_json(
            401,
            r#"{"error":"session_expired","message":"Session expired"}"#,
        );
    h.http(Method::Get, &format!("{BASE}/ping"))
        .times(1)
        .reply_json(
            401,
            r#"{"error":"not_logged_in","message":"No user is logged in"}"#,
        );
    h.http(Method::Get, &format!("{BASE}/ping")).times(1).reply_json(
        403,
        r#"{"error":"forbidden","message":"Missing permission","missingPermission":"exam.write"}"#,
    );
    h.http(Method::Get, &format!("{BASE}/ping"))
        .times(1)
        .reply_with(
            429,
            &[("content-type", "application/json"), ("Retry-After", "7")],
            r#"{"error":"rate_limited","message":"Slow down"}"#,
        );
    h.http(Method::Get, &format!("{BASE}/ping"))
        .times(1)
        .reply_json(503, r#"{"error":"unavailable"}"#);
    h.http(Method::Get, &format!("{BASE}/ping"))
        .fail(HttpError::Unreachable("connection refused".into()));

    assert!(
        matches!(Revolution::check(), Err(AdapterError::SessionExpired(m)) if m == "Session expired")
    );
    assert!(matches!(
        Revolution::check(),
        Err(AdapterError::NotLoggedIn(_))
    ));
    match Revolution::check() {
        Err(AdapterError::PermissionDenied(p)) => {
            assert_eq!(p.missing.as_deref(), Some("exam.write"))
        }
        other => panic!("expected permission-denied, got {other:?}"),
    }
    match Revolution::check() {
        Err(AdapterError::RateLimited(r)) => {
            assert_eq!(r.retry_after_seconds, Some(7));
            assert_eq!(r.message, "Slow down");
        }
        other => panic!("expected rate-limited, got {other:?}"),
    }
    assert!(matches!(
        Revolution::check(),
        Err(AdapterError::EhrInternal(_))
    ));
    assert!(
        matches!(Revolution::check(), Err(AdapterError::Unreachable(m)) if m.contains("refused"))
    );
}

// A 422 naming a field of the section: that field is skipped with the EHR's message, the
// rest of the section is sent again and the job goes on (nothing half-way unreported).
#[test]
fn refused_field_is_skipped_and_the_rest_written() {
    let h = harness();
    stub_good_lookups(&h);
    h.http(Method::Put, &format!("{BASE}/encounters/E5001/exam/iop"))
        .times(1)
        .reply_json(
            422,
            r#"{"error":"validation_failed","message":"must be an integer between 0 and 80",
            "fieldErrors":[{"field":"iopOd","message":"must be an integer between 0 and 80"}]}"#,
        );
    stub_writes(&h, false);
    let mut s = small_snapshot();
    s.fields.insert(
        1,
        ClinicalField {
            id: "iop.os".into(),
            value: FieldValue::Number(15.0),
        },
    );
    let r = Revolution::write_encounter(s).unwrap();
    let (reason, detail) = skip_reason(&r, "iop.od").unwrap();
    assert_eq!(reason, SkipReason::InvalidValue);
    assert!(
        detail.contains("must be an integer between 0 and 80"),
        "{detail}"
    );
    assert_eq!(line(&r, "iop.os").status, FieldStatus::Written);
    let w = writes(&h);
    assert_eq!(body(&w[0]), json!({"iopOd": 17, "iopOs": 15}));
    assert_eq!(body(&w[1]), json!({"iopOs": 15}));
    assert_eq!(w.len(), 4, "then diagnoses and the note");
}

// A 422 naming no field of the first section, with nothing landed yet: rejected with the
// EHR's per-field messages, and the writes after it are not attempted.
#[test]
fn unattributable_refusal_before_anything_landed_fails() {
    let h = harness();
    stub_good_lookups(&h);
    h.http(Method::Put, &format!("{BASE}/encounters/E5001/exam/iop"))
        .reply_json(
            422,
            r#"{"error":"validation_failed","message":"Exam rejected",
            "fieldErrors":[{"field":"R-17","message":"value rejected by EHR rule R-17"}]}"#,
        );
    stub_writes(&h, false);
    let err = Revolution::write_encounter(small_snapshot()).unwrap_err();
    match err {
        AdapterError::Rejected(r) => {
            assert_eq!(r.code.as_deref(), Some("validation_failed"));
            assert_eq!(r.field_errors[0].field, "R-17");
        }
        other => panic!("expected rejected, got {other:?}"),
    }
    assert_eq!(writes(&h).len(), 1, "nothing after the refused section");
}

// The encounter was signed between our read and our write: the EHR's 409
// `encounter_signed` is encounter-locked, not a generic rejection.
#[test]
fn conflict_signed_on_write_is_locked() {
    let h = harness();
    stub_good_lookups(&h);
    h.http(Method::Put, BASE).reply_json(
        409,
        r#"{"error":"encounter_signed","message":"Encounter E5001 is signed and cannot be changed"}"#,
    );
    let err = Revolution::write_encounter(small_snapshot()).unwrap_err();
    assert!(matches!(err, AdapterError::EncounterLocked(_)), "{err:?}");
}

// --- schedule and patients --------------------------------------------------------------

// Appointments map to the contract: query parameters sent, nulls and blanks become none,
// a structured address becomes one line, the joined patient is carried along.
#[test]
fn schedule_mapping() {
    let h = harness();
    h.http(Method::Get, &format!("{BASE}/appointments"))
        .reply_json(
        200,
        &json!([
            {
                "id": "A7001", "start": "2026-11-16T09:00:00", "durationMinutes": 30,
                "type": "Comprehensive exam", "providerId": "DR1", "providerName": "Dr. Rivera",
                "status": "completed", "encounterId": "E5001",
                "patient": {
                    "id": "P1001", "firstName": "Margaret", "lastName": "Okafor",
                    "dateOfBirth": "1958-03-14", "email": "m.okafor@example.com", "phone": "",
                    "address": {"line1": "12 Cedar Lane", "line2": null, "city": "Austin",
                                "state": "TX", "postalCode": "78701"}
                }
            },
            {
                "id": "A7006", "start": "2026-11-19T15:30:00", "durationMinutes": 20,
                "type": "Contact lens fitting", "providerId": "DR9", "providerName": null,
                "status": "scheduled", "encounterId": null,
                "patient": {
                    "id": "P1006", "firstName": "Grace", "lastName": "Whitfield",
                    "dateOfBirth": null, "email": null, "phone": "+1-512-555-0156", "address": null
                }
            }
        ])
        .to_string(),
    );
    let query = ScheduleQuery {
        from_date: "2026-11-16".into(),
        to_date: "2026-11-20".into(),
        provider_id: Some("DR 1".into()),
    };
    let appts = Revolution::read_schedule(query).unwrap();
    assert_eq!(
        h.requests()[0].url,
        format!("{BASE}/appointments?startDate=2026-11-16&endDate=2026-11-20&providerId=DR%201")
    );
    assert_eq!(appts.len(), 2);
    let a = &appts[0];
    assert_eq!(a.id, "A7001");
    assert_eq!(a.start, "2026-11-16T09:00:00");
    assert_eq!(a.duration_minutes, 30);
    assert_eq!(a.appointment_type, "Comprehensive exam");
    assert_eq!(a.provider_id.as_deref(), Some("DR1"));
    assert_eq!(a.provider_name.as_deref(), Some("Dr. Rivera"));
    assert_eq!(a.patient_id, "P1001");
    assert_eq!(a.status, "completed");
    assert_eq!(a.encounter_id.as_deref(), Some("E5001"));
    let p = a.patient.as_ref().unwrap();
    assert_eq!(p.last_name, "Okafor");
    assert_eq!(p.date_of_birth.as_deref(), Some("1958-03-14"));
    assert_eq!(p.email.as_deref(), Some("m.okafor@example.com"));
    assert_eq!(p.phone, None, "a blank phone is absent, not empty");
    assert_eq!(
        p.address.as_deref(),
        Some("12 Cedar Lane, Austin, TX 78701")
    );
    let b = &appts[1];
    assert_eq!(b.provider_name, None);
    assert_eq!(b.encounter_id, None);
    assert_eq!(b.patient_id, "P1006");
    let q = b.patient.as_ref().unwrap();
    assert_eq!(
        (q.date_of_birth.clone(), q.email.clone(), q.address.clone()),
        (None, None, None)
    );
    assert_eq!(q.phone.as_deref(), Some("+1-512-555-0156"));
}

// One patient's demographics; a 404 is not-found.
#[test]
fn read_patient_mapping() {
    let h = harness();
    h.http(Method::Get, &format!("{BASE}/patients/P1004")).reply_json(
        200,
        r#"{"id":"P1004","firstName":"José","lastName":"Núñez","dateOfBirth":"1969-01-30",
            "email":"jose.nunez@example.com","phone":null,"address":"221 Calle Ocho, Austin, TX 78702"}"#,
    );
    h.http(Method::Get, &format!("{BASE}/patients/"))
        .reply_json(
            404,
            r#"{"error":"not_found","message":"Patient P9 not found"}"#,
        );
    let p = Revolution::read_patient("P1004".into()).unwrap();
    assert_eq!(p.first_name, "José");
    assert_eq!(p.last_name, "Núñez");
    assert_eq!(p.date_of_birth.as_deref(), Some("1969-01-30"));
    assert_eq!(p.phone, None);
    assert_eq!(
        p.address.as_deref(),
        Some("221 Calle Ocho, Austin, TX 78702")
    );
    assert!(
        matches!(Revolution::read_patient("P9".into()), Err(AdapterError::NotFound(m)) if m.contains("P9"))
    );
}

// `request_timeout_secs` becomes every request's timeout (so a slow EHR is a `timeout`,
// not the host's per-call limit); a value that is not a positive number is refused as
// misconfiguration naming the setting.
#[test]
fn request_timeout_setting() {
    let h = Harness::new()
        .setting("base_url", "http://ehr.test")
        .setting("request_timeout_secs", "1.5");
    h.http(Method::Get, &format!("{BASE}/ping"))
        .reply_json(200, r#"{"status":"ok"}"#);
    Revolution::check().unwrap();
    assert_eq!(h.requests()[0].timeout_ms, Some(1500));
    drop(h);
    let _h = Harness::new()
        .setting("base_url", "http://ehr.test")
        .setting("request_timeout_secs", "soon");
    assert!(matches!(
        Revolution::check(),
        Err(AdapterError::Misconfigured(m)) if m.contains("request_timeout_secs")
    ));
}
