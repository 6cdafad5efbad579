use super::*;
use crate::testing::SnapshotBuilder;
use crate::{AdapterError, FieldStatus, WarningKind, WriteResult};

fn snapshot(template_fields: &[&str], fields: Vec<(&str, FieldValue)>) -> EncounterSnapshot {
    let b = SnapshotBuilder::new().template("T", template_fields);
    fields
        .into_iter()
        .fold(b, |b, (id, v)| b.field(id, v))
        .build()
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

const DX: crate::icd10::DiagnosisRules = crate::icd10::DiagnosisRules {
    ehr: "TestEHR",
    dotted: true,
    description_max: 20,
    ascii: false,
    max_primary: 1,
};

// A diagnosis code that is not ICD-10-CM skips the whole list (a partial list would
// misstate the assessment); an over-long description keeps the list written with a
// `truncated` warning naming the code; the planned list is the shaped one.
#[test]
fn diagnosis_lists_are_shaped() {
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
    plan.shape_diagnoses("dx", &DX);
    let r = plan.into_write_result(None, false);
    assert!(matches!(
        status(&r, "diagnoses"),
        FieldStatus::Skipped((SkipReason::InvalidValue, ref m)) if m.contains("H40.1234567890")
    ));

    let long = snapshot(
        &[],
        vec![(
            "diagnoses",
            FieldValue::Diagnoses(vec![diagnosis("h2513", &"y".repeat(21))]),
        )],
    );
    let mut plan = m.apply(&long);
    plan.shape_diagnoses("dx", &DX);
    assert_eq!(plan.diagnoses("dx").unwrap()[0].code, "H25.13");
    let r = plan.into_write_result(None, false);
    assert_eq!(status(&r, "diagnoses"), FieldStatus::Written);
    let w = &r.fields[0].warnings;
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].kind, WarningKind::Truncated);
    assert!(w[0].message.contains("H25.13"), "{}", w[0].message);
}

// One field can be skipped or warned on its own, not only a whole section.
#[test]
fn single_fields_skip_and_warn() {
    let s = snapshot(
        &[],
        vec![
            ("iop.od", FieldValue::Number(17.0)),
            ("vitals.temperature", FieldValue::Number(37.0)),
        ],
    );
    let mut plan = mapping().apply(&s);
    plan.skip_field("iop.od", SkipReason::InvalidValue, "the EHR refused it");
    plan.warn_field(
        "vitals.temperature",
        WarningKind::Other,
        "check the thermometer",
    );
    assert!(plan.section_json("iop").is_empty());
    let r = plan.into_write_result(None, false);
    assert!(matches!(
        status(&r, "iop.od"),
        FieldStatus::Skipped((SkipReason::InvalidValue, m)) if m == "the EHR refused it"
    ));
    assert_eq!(
        warnings(&r, "vitals.temperature"),
        vec![WarningKind::UnitConverted, WarningKind::Other]
    );
}

// Dotted target names nest in the section's JSON; a rule's note follows its modifiers
// in `describe`.
#[test]
fn dotted_targets_nest_and_notes_describe() {
    let m = Mapping::new()
        .number("refraction.manifest.od.sphere", "rx", "rx.od.sph")
        .number("refraction.manifest.od.cylinder", "rx", "rx.od.cyl")
        .number("refraction.manifest.os.sphere", "rx", "rx.os.sph")
        .raw("diagnoses", "dx", "list")
        .note("replaces the encounter's list");
    let s = snapshot(
        &[],
        vec![
            ("refraction.manifest.od.sphere", FieldValue::Number(-1.25)),
            ("refraction.manifest.od.cylinder", FieldValue::Number(-0.5)),
            ("refraction.manifest.os.sphere", FieldValue::Number(-1.0)),
        ],
    );
    assert_eq!(
        serde_json::Value::Object(m.apply(&s).section_json("rx")),
        serde_json::json!({"rx": {"od": {"sph": -1.25, "cyl": -0.5}, "os": {"sph": -1.0}}})
    );
    let d = m.describe();
    assert_eq!(d[3].note, "replaces the encounter's list");
}

// A number off the catalog's step is rounded to it with a warning naming both values:
// sphere -1.13 → -1.25 (quarter dioptres), -1.12 → -1.00; on-step values pass unwarned.
#[test]
fn catalog_step_rounding() {
    let m = Mapping::new()
        .number("refraction.manifest.od.sphere", "rx", "sph")
        .catalog_step()
        .decimals(2);
    for (given, want, warned) in [
        (-1.13, -1.25, true),
        (-1.12, -1.0, true),
        (-1.25, -1.25, false),
    ] {
        let s = snapshot(
            &[],
            vec![("refraction.manifest.od.sphere", FieldValue::Number(given))],
        );
        let plan = m.apply(&s);
        assert_eq!(plan.section_json("rx")["sph"], want, "{given}");
        let r = plan.into_write_result(None, false);
        let w = &r.fields[0].warnings;
        assert_eq!(!w.is_empty(), warned, "{given}: {w:?}");
        if warned {
            assert_eq!(w[0].kind, WarningKind::Rounded);
            assert!(
                w[0].message.contains(&given.to_string())
                    && w[0].message.contains(&want.to_string()),
                "{}",
                w[0].message
            );
        }
    }
    assert!(m.describe()[0].note.contains("steps of 0.25"));
}

// The encounter's template in the EHR: fields it does not take are skipped as
// `outside-template` when it only takes fewer (a brief visit); a mismatch is refused only
// when the template lists ids this mapping does not know (the EHR renamed fields).
#[test]
fn template_scoping() {
    let s = snapshot(
        &[],
        vec![
            ("iop.od", FieldValue::Number(17.0)),
            ("chief_complaint", text("blur")),
        ],
    );
    let brief = vec!["iopOd".to_string()];
    let mut plan = mapping().apply(&s);
    plan.scope_to_template("T-BRIEF", &brief, |_| true).unwrap();
    let r = plan.into_write_result(None, false);
    assert_eq!(status(&r, "iop.od"), FieldStatus::Written);
    assert!(matches!(
        status(&r, "chief_complaint"),
        FieldStatus::Skipped((SkipReason::OutsideTemplate, m)) if m.contains("T-BRIEF")
    ));

    let renamed = vec!["iopOdMmHg".to_string(), "cc".to_string()];
    let mut plan = mapping().apply(&s);
    let e = plan
        .scope_to_template("T-COMP", &renamed, |_| true)
        .unwrap_err();
    assert!(
        matches!(&e, AdapterError::TemplateMismatch(m) if m.contains("iopOd") && m.contains("iopOdMmHg")),
        "{e:?}"
    );
    // Sections outside the template's scope are never checked.
    let mut plan = mapping().apply(&s);
    plan.scope_to_template("T-COMP", &renamed, |section| section == "history")
        .unwrap();
    assert_eq!(plan.lines().count(), 2);
}

// Text with no faithful ASCII form: skipped with the reason by default; written with
// the practice's marker and a warning when one is configured.
#[test]
fn unwritable_text_is_skipped_or_marked() {
    let s = snapshot(&[], vec![("chief_complaint", text("視界 blu"))]);
    let r = mapping().apply(&s).into_write_result(None, false);
    assert!(matches!(
        status(&r, "chief_complaint"),
        FieldStatus::Skipped((SkipReason::InvalidValue, m)) if m.contains("CJK")
    ));
    let plan = mapping().non_ascii_marker(Some("[?]".into())).apply(&s);
    assert_eq!(plan.section_json("history")["cc"], "[?][?] blu");
    let r = plan.into_write_result(None, false);
    assert_eq!(
        warnings(&r, "chief_complaint"),
        vec![WarningKind::CharactersReplaced]
    );
}
