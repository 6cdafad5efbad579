//! Each clinical field's value checked against the catalog: its kind, range, step and
//! format, and the limits on text and list sizes, so that no value the host accepts is
//! refused by an EHR half-way through a write.

use super::limits::{MAX_DESCRIPTION_CHARS, MAX_LIST_ITEMS, MAX_TEXT_CHARS};
use crate::runtime::bindings::latest::{Diagnosis, FieldValue, Laterality, Procedure};
use ehr_adapter_sdk::catalog::{self, Field, Kind};
use serde::Deserialize;
use serde_json::Value;

/// The typed value of field `id`, or what is wrong with it.
pub fn field_value(id: &str, value: &Value) -> Result<FieldValue, String> {
    let field = catalog::field(id)
        .ok_or_else(|| "not a catalog field (see `ehr-host catalog`)".to_string())?;
    if value.is_null() {
        return Err("is null; leave the field out instead".into());
    }
    match field.kind {
        Kind::Text => text(field, value).map(FieldValue::Text),
        Kind::Number => number(field, value).map(FieldValue::Number),
        Kind::Diagnoses => {
            let list = items(value, "diagnoses", diagnosis)?;
            if list.iter().filter(|d| d.primary).count() > 1 {
                return Err("more than one diagnosis is marked primary".into());
            }
            Ok(FieldValue::Diagnoses(list))
        }
        Kind::Procedures => items(value, "procedures", procedure).map(FieldValue::Procedures),
    }
}

fn text(field: &Field, value: &Value) -> Result<String, String> {
    let s = value
        .as_str()
        .ok_or_else(|| format!("expected text, got {value}"))?;
    let chars = s.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(format!(
            "is {chars} characters long; the limit is {MAX_TEXT_CHARS}"
        ));
    }
    match field.format.as_deref() {
        Some("snellen") if !ehr_adapter_sdk::text::is_snellen_acuity(s) => Err(format!(
            "`{}` is not a Snellen acuity (20/20, 20/40-2, CF, HM, LP, NLP)",
            crate::untrusted::clean(s, 40)
        )),
        Some("time") if !valid_time(s) => Err(format!(
            "`{}` is not a time of day (HH:MM, 24 h)",
            crate::untrusted::clean(s, 40)
        )),
        _ => Ok(s.to_string()),
    }
}

fn number(field: &Field, value: &Value) -> Result<f64, String> {
    let unit = field.unit.as_deref().unwrap_or("");
    let n = value.as_f64().ok_or_else(|| {
        format!(
            "expected a number in {}, got {value}",
            if unit.is_empty() { "units" } else { unit }
        )
    })?;
    let (lo, hi) = (field.min.unwrap_or(f64::MIN), field.max.unwrap_or(f64::MAX));
    if n < lo || n > hi {
        return Err(format!("{n} is outside {lo}..{hi} {unit}"));
    }
    if let Some(step) = field.step.filter(|s| *s > 0.0) {
        let steps = n / step;
        if (steps - steps.round()).abs() > 1e-6 {
            let below = (steps.floor() * step * 1e6).round() / 1e6;
            let above = (steps.ceil() * step * 1e6).round() / 1e6;
            return Err(format!(
                "{n} is not a multiple of {step} {unit} (the catalog's step: use {below} or {above})"
            ));
        }
    }
    Ok(n)
}

fn items<T>(
    value: &Value,
    what: &str,
    item: fn(&Value) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let list = value
        .as_array()
        .ok_or_else(|| format!("expected a list of {what}"))?;
    if list.len() > MAX_LIST_ITEMS {
        return Err(format!(
            "holds {} {what}; the limit is {MAX_LIST_ITEMS}",
            list.len()
        ));
    }
    list.iter()
        .enumerate()
        .map(|(i, v)| item(v).map_err(|e| format!("[{i}]: {e}")))
        .collect()
}

/// `HH:MM`, 24 hours.
fn valid_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5
        && b[2] == b':'
        && s[..2]
            .parse::<u8>()
            .is_ok_and(|h| h < 24 && b[0].is_ascii_digit() && b[1].is_ascii_digit())
        && s[3..]
            .parse::<u8>()
            .is_ok_and(|m| m < 60 && b[3].is_ascii_digit() && b[4].is_ascii_digit())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiagnosisDoc {
    code: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    laterality: Option<String>,
    #[serde(default)]
    primary: bool,
}

fn diagnosis(v: &Value) -> Result<Diagnosis, String> {
    let d: DiagnosisDoc = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    if !valid_icd10(&d.code) {
        return Err(format!(
            "`{}` is not an ICD-10-CM code",
            crate::untrusted::clean(&d.code, 40)
        ));
    }
    if d.description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(format!(
            "the description is longer than {MAX_DESCRIPTION_CHARS} characters"
        ));
    }
    let laterality = match d.laterality.as_deref().unwrap_or("not_applicable") {
        "right" | "od" | "OD" => Laterality::Right,
        "left" | "os" | "OS" => Laterality::Left,
        "both" | "ou" | "OU" => Laterality::Both,
        "not_applicable" | "none" => Laterality::NotApplicable,
        other => {
            return Err(format!(
                "laterality `{}` must be right, left, both or not_applicable",
                crate::untrusted::clean(other, 40)
            ))
        }
    };
    Ok(Diagnosis {
        code: d.code,
        description: d.description,
        laterality,
        primary: d.primary,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProcedureDoc {
    code: String,
    #[serde(default)]
    modifiers: Vec<String>,
    #[serde(default = "one")]
    units: u32,
    #[serde(default)]
    diagnosis_pointers: Vec<String>,
}

fn one() -> u32 {
    1
}

fn procedure(v: &Value) -> Result<Procedure, String> {
    let p: ProcedureDoc = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    if p.code.len() != 5 || !p.code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "`{}` is not a CPT/HCPCS code (5 letters or digits)",
            crate::untrusted::clean(&p.code, 40)
        ));
    }
    if p.units == 0 {
        return Err("units must be at least 1".into());
    }
    if p.modifiers.len() > 4
        || p.modifiers
            .iter()
            .any(|m| m.len() != 2 || !m.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err("modifiers are at most 4 codes of 2 letters or digits".into());
    }
    if p.diagnosis_pointers.len() > 12 {
        return Err("at most 12 diagnosis pointers".into());
    }
    Ok(Procedure {
        code: p.code,
        modifiers: p.modifiers,
        units: p.units,
        diagnosis_pointers: p.diagnosis_pointers,
    })
}

/// ICD-10-CM, by the SDK's shared rules (`ehr_adapter_sdk::icd10`), so the host never
/// accepts a code the adapters refuse, or the other way round.
fn valid_icd10(code: &str) -> bool {
    ehr_adapter_sdk::icd10::is_valid(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // The one ICD-10-CM table the SDK's tests also run (U codes, 7th characters with the
    // placeholder X, dots optional, any case), through the snapshot check.
    #[test]
    fn icd10_table_is_the_sdks() {
        let accepts = |code: &str| diagnosis(&json!({ "code": code })).is_ok();
        let wrong = ehr_adapter_sdk::icd10::table_mismatches(accepts);
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    // The catalog's step: sphere in quarter diopters, IOP in whole mmHg; a value off the
    // step is refused naming the two nearest valid values.
    #[test]
    fn step_is_enforced() {
        assert!(field_value("refraction.manifest.od.sphere", &json!(-1.25)).is_ok());
        let e = field_value("refraction.manifest.od.sphere", &json!(-1.13)).unwrap_err();
        assert!(
            e.contains("not a multiple of 0.25 D") && e.contains("-1.25 or -1"),
            "{e}"
        );
        assert!(field_value("iop.od", &json!(15.5))
            .unwrap_err()
            .contains("multiple of 1 mmHg"));
        assert!(field_value("iop.od", &json!(16)).is_ok());
    }

    // The catalog's format: Snellen acuity and a 24-hour time.
    #[test]
    fn format_is_enforced() {
        assert!(field_value("va.distance.sc.od", &json!("20/40-2")).is_ok());
        let e = field_value("va.distance.sc.od", &json!("6/6")).unwrap_err();
        assert!(e.contains("not a Snellen acuity"), "{e}");
        assert!(field_value("iop.time", &json!("09:30")).is_ok());
        assert!(field_value("iop.time", &json!("9:30")).is_err());
        assert!(field_value("iop.time", &json!("24:00")).is_err());
    }

    // Text and lists are bounded, and the message names the limit.
    #[test]
    fn sizes_are_bounded() {
        let long = "a".repeat(MAX_TEXT_CHARS + 1);
        let e = field_value("chief_complaint", &json!(long)).unwrap_err();
        assert!(e.contains(&format!("the limit is {MAX_TEXT_CHARS}")), "{e}");
        let many: Vec<_> = (0..=MAX_LIST_ITEMS)
            .map(|_| json!({"code": "H40.11"}))
            .collect();
        let e = field_value("diagnoses", &json!(many)).unwrap_err();
        assert!(e.contains(&format!("the limit is {MAX_LIST_ITEMS}")), "{e}");
    }
}
