use super::*;
use crate::{ClinicalField, PatientRef, TemplateRef};

fn snapshot(template_fields: &[&str], fields: Vec<(&str, FieldValue)>) -> EncounterSnapshot {
    EncounterSnapshot {
        job_id: "job-1".into(),
        patient: PatientRef {
            id: "P1".into(),
            first_name: "Ann".into(),
            last_name: "Lee".into(),
            date_of_birth: "1970-01-01".into(),
        },
        encounter_id: "E1".into(),
        encounter_date: "2026-11-20".into(),
        provider_id: None,
        template: TemplateRef {
            id: "T".into(),
            fields: template_fields.iter().map(|s| s.to_string()).collect(),
        },
        fields: fields
            .into_iter()
            .map(|(id, value)| ClinicalField {
                id: id.into(),
                value,
            })
            .collect(),
    }
}

fn text(s: &str) -> FieldValue {
    FieldValue::Text(s.into())
}

fn status(r: &WriteResult, field: &str) -> FieldStatus {
    r.fields
        .iter()
        .find(|f| f.field == field)
        .unwrap()
        .status
        .clone()
}

fn warnings(r: &WriteResult, field: &str) -> Vec<WarningKind> {
    let f = r.fields.iter().find(|f| f.field == field).unwrap();
    f.warnings.iter().map(|w| w.kind).collect()
}

fn mapping() -> Mapping {
    Mapping::new()
        .text("chief_complaint", "history", "cc")
        .max_len(10)
        .ascii_only()
        .number("iop.od", "iop", "iopOd")
        .integer()
        .range(0.0, 80.0)
        .number("vitals.temperature", "vitals", "tempF")
        .convert(Unit::Celsius, Unit::Fahrenheit)
        .decimals(1)
        .number_as_text(
            "refraction.manifest.od.sphere",
            "rx",
            "odSph",
            NumberFormat::Signed(2),
        )
        .number_as_text(
            "refraction.manifest.od.axis",
            "rx",
            "odAxis",
            NumberFormat::Padded(3),
        )
        .text("va.distance.cc.od", "va", "ccOd")
        .validate(|s| s.starts_with("20/"), "a Snellen value")
        .unmapped("keratometry.od.k1", "no keratometry in this EHR")
}

// A field with no rule, an unmapped field and a field outside the template are each
// skipped with their own reason; mapped fields are written to their targets.
#[test]
fn skips_are_reported_with_reasons() {
    let s = snapshot(
        &["iop.od", "keratometry.od.k1", "pupils"],
        vec![
            ("iop.od", FieldValue::Number(17.0)),
            ("keratometry.od.k1", FieldValue::Number(43.0)),
            ("pupils", text("PERRL")),
            ("chief_complaint", text("blur")),
        ],
    );
    let r = mapping().apply(&s).into_write_result(None, false);
    assert_eq!(status(&r, "iop.od"), FieldStatus::Written);
    assert_eq!(r.fields[0].target.as_deref(), Some("iop.iopOd"));
    assert!(
        matches!(status(&r, "keratometry.od.k1"), FieldStatus::Skipped((SkipReason::NoMapping, d)) if d.contains("keratometry"))
    );
    assert!(matches!(
        status(&r, "pupils"),
        FieldStatus::Skipped((SkipReason::NoMapping, _))
    ));
    assert!(matches!(
        status(&r, "chief_complaint"),
        FieldStatus::Skipped((SkipReason::OutsideTemplate, _))
    ));
}

// Over-length text is truncated and non-ASCII replaced, each with a warning; the value
// that would be written is exactly the cut, transliterated text.
#[test]
fn truncation_and_ascii_replacement_warn() {
    let s = snapshot(&[], vec![("chief_complaint", text("Visión borrosa OD"))]);
    let plan = mapping().apply(&s);
    assert_eq!(plan.section_json("history")["cc"], "Vision bor");
    let r = plan.into_write_result(None, false);
    assert_eq!(
        warnings(&r, "chief_complaint"),
        vec![WarningKind::CharactersReplaced, WarningKind::Truncated]
    );
}

// Unit conversion writes the converted value and says so; rounding to the target's
// precision warns; out-of-range values are skipped, not clamped.
#[test]
fn numbers_convert_round_and_range_check() {
    let s = snapshot(
        &[],
        vec![
            ("vitals.temperature", FieldValue::Number(37.0)),
            ("iop.od", FieldValue::Number(17.6)),
        ],
    );
    let plan = mapping().apply(&s);
    assert_eq!(plan.section_json("vitals")["tempF"], 98.6);
    assert_eq!(plan.section_json("iop")["iopOd"], 18);
    let r = plan.into_write_result(None, false);
    assert_eq!(
        warnings(&r, "vitals.temperature"),
        vec![WarningKind::UnitConverted]
    );
    assert_eq!(warnings(&r, "iop.od"), vec![WarningKind::Rounded]);

    let s = snapshot(&[], vec![("iop.od", FieldValue::Number(95.0))]);
    let r = mapping().apply(&s).into_write_result(None, false);
    assert!(
        matches!(status(&r, "iop.od"), FieldStatus::Skipped((SkipReason::InvalidValue, d)) if d.contains("range"))
    );
}

// Numbers written into text targets use the EHR's format; values failing a format check
// and values of the wrong kind are skipped as invalid; empty text is skipped as empty.
#[test]
fn formats_and_invalid_values() {
    let s = snapshot(
        &[],
        vec![
            ("refraction.manifest.od.sphere", FieldValue::Number(1.25)),
            ("refraction.manifest.od.axis", FieldValue::Number(90.0)),
            ("va.distance.cc.od", text("6/6")),
            ("iop.od", text("seventeen")),
            ("chief_complaint", text("  ")),
        ],
    );
    let plan = mapping().apply(&s);
    assert_eq!(plan.section_json("rx")["odSph"], "+1.25");
    assert_eq!(plan.section_json("rx")["odAxis"], "090");
    assert_eq!(plan.sections(), vec!["rx".to_string()]);
    let r = plan.into_write_result(Some("X1".into()), false);
    assert!(matches!(
        status(&r, "va.distance.cc.od"),
        FieldStatus::Skipped((SkipReason::InvalidValue, _))
    ));
    assert!(matches!(
        status(&r, "iop.od"),
        FieldStatus::Skipped((SkipReason::InvalidValue, _))
    ));
    assert!(matches!(
        status(&r, "chief_complaint"),
        FieldStatus::Skipped((SkipReason::EmptyValue, _))
    ));
    assert_eq!(r.record_id.as_deref(), Some("X1"));
}

// `describe` lists every rule with its target, and unmapped rules with their reason.
#[test]
fn describe_lists_rules() {
    let d = mapping().describe();
    let k = d.iter().find(|m| m.field == "keratometry.od.k1").unwrap();
    assert_eq!(k.target, None);
    assert_eq!(k.note, "no keratometry in this EHR");
    let t = d.iter().find(|m| m.field == "vitals.temperature").unwrap();
    assert_eq!(t.target.as_deref(), Some("vitals.tempF"));
    assert!(t.note.contains("degC → degF"));
}

fn diagnosis(code: &str, description: &str) -> crate::Diagnosis {
    crate::Diagnosis {
        code: code.into(),
        description: description.into(),
        laterality: crate::Laterality::Right,
        primary: true,
    }
}

// A diagnosis code the EHR cannot store skips the whole list; an over-long description
// keeps the list written with a `truncated` warning naming the code.
#[test]
fn diagnosis_lists_are_checked_against_columns() {
    let m = Mapping::new().raw("diagnoses", "dx", "code");
    let bad = snapshot(
        &[],
        vec![(
            "diagnoses",
            FieldValue::Diagnoses(vec![
                diagnosis("H25.13", "ok"),
                diagnosis("H40.1234567890", "x"),
            ]),
        )],
    );
    let mut plan = m.apply(&bad);
    plan.check_diagnoses("dx", "TestEHR", 10, 20);
    let r = plan.into_write_result(None, false);
    assert!(matches!(
        status(&r, "diagnoses"),
        FieldStatus::Skipped((SkipReason::InvalidValue, ref m)) if m.contains("H40.1234567890") && m.contains("TestEHR")
    ));

    let long = snapshot(
        &[],
        vec![(
            "diagnoses",
            FieldValue::Diagnoses(vec![diagnosis("H25.13", &"y".repeat(21))]),
        )],
    );
    let mut plan = m.apply(&long);
    plan.check_diagnoses("dx", "TestEHR", 10, 20);
    let r = plan.into_write_result(None, false);
    assert_eq!(status(&r, "diagnoses"), FieldStatus::Written);
    let w = &r.fields[0].warnings;
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].kind, WarningKind::Truncated);
    assert!(w[0].message.contains("H25.13"), "{}", w[0].message);
}
