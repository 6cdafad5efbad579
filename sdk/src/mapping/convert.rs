//! One snapshot value through one rule: the checks and conversions `Mapping::apply` makes.

use super::plan::{warning, Entry, Line};
use super::{kind_name, MappedValue, NumberFormat, Rule, Shape};
use crate::report::skipped;
use crate::text::NonAscii;
use crate::{FieldValue, FieldWarning, SkipReason, WarningKind};

fn invalid(field: &str, detail: String) -> Entry {
    Entry::Done(skipped(field, SkipReason::InvalidValue, detail))
}

fn empty(field: &str) -> Entry {
    Entry::Done(skipped(
        field,
        SkipReason::EmptyValue,
        "no value in the snapshot",
    ))
}

/// The planned line for `value` under `rule`, or the report line saying why not.
pub(super) fn convert(rule: &Rule, value: &FieldValue, non_ascii: &NonAscii) -> Entry {
    let (section, name) = rule.target.clone().expect("mapped rule has a target");
    let mut warnings = Vec::new();
    let value = match (&rule.shape, value) {
        (Shape::Raw, v) => match v {
            FieldValue::Diagnoses(d) if d.is_empty() => return empty(&rule.field),
            FieldValue::Procedures(p) if p.is_empty() => return empty(&rule.field),
            v => MappedValue::Raw(v.clone()),
        },
        (Shape::Text, FieldValue::Text(t)) => {
            if t.trim().is_empty() {
                return empty(&rule.field);
            }
            match text(rule, t, non_ascii, &mut warnings) {
                Ok(v) => v,
                Err(e) => return invalid(&rule.field, e),
            }
        }
        (Shape::Number | Shape::NumberAsText(_), FieldValue::Number(n)) => {
            match number(rule, *n, &mut warnings) {
                Ok(v) => v,
                Err(e) => return invalid(&rule.field, e),
            }
        }
        (_, other) => {
            return invalid(
                &rule.field,
                format!(
                    "expected a {:?} value, got {}",
                    rule.shape,
                    kind_name(other)
                ),
            )
        }
    };
    Entry::Planned(Line {
        field: rule.field.clone(),
        section,
        name,
        value,
        warnings,
    })
}

fn text(
    rule: &Rule,
    t: &str,
    non_ascii: &NonAscii,
    warnings: &mut Vec<FieldWarning>,
) -> Result<MappedValue, String> {
    let mut out = t.to_string();
    if rule.ascii {
        let ascii = crate::text::to_ascii(&out, non_ascii)?;
        warnings.extend(ascii.warning());
        out = ascii.text;
    }
    if let Some((check, what)) = rule.validate {
        if !check(&out) {
            return Err(format!("`{out}` is not {what}"));
        }
    }
    if let Some(max) = rule.max_len {
        let len = out.chars().count();
        if len > max {
            out = out.chars().take(max).collect();
            warnings.push(warning(
                WarningKind::Truncated,
                format!("cut from {len} to {max} characters (the EHR's limit)"),
            ));
        }
    }
    Ok(MappedValue::Text(out))
}

fn number(rule: &Rule, n: f64, warnings: &mut Vec<FieldWarning>) -> Result<MappedValue, String> {
    if !n.is_finite() {
        return Err(format!("{n} is not a number the EHR can store"));
    }
    let mut v = n;
    if rule.catalog_step {
        if let Some(step) = crate::catalog::field(&rule.field).and_then(|f| f.step) {
            let r = tidy((v / step).round() * step);
            if (r - v).abs() > 1e-9 {
                warnings.push(warning(
                    WarningKind::Rounded,
                    format!("{} rounded to {} (recorded in steps of {step})", tidy(v), r),
                ));
                v = r;
            }
        }
    }
    if let Some((from, to)) = rule.convert {
        let before = v;
        v = from
            .convert(to, v)
            .ok_or_else(|| format!("cannot convert {} to {}", from.symbol(), to.symbol()))?;
        warnings.push(warning(
            WarningKind::UnitConverted,
            format!(
                "{before} {} written as {} {}",
                from.symbol(),
                round(v, 2),
                to.symbol()
            ),
        ));
    }
    let places = if rule.integer { Some(0) } else { rule.decimals };
    if let Some(places) = places {
        let r = round(v, places);
        if (r - v).abs() > 1e-9 && rule.convert.is_none() {
            warnings.push(warning(
                WarningKind::Rounded,
                format!("{v} rounded to {r} (the EHR's precision)"),
            ));
        }
        v = r;
    }
    if let Some((lo, hi)) = rule.range {
        if v < lo || v > hi {
            return Err(format!("{v} is outside the EHR's range {lo}..{hi}"));
        }
    }
    Ok(match rule.shape {
        Shape::NumberAsText(f) => MappedValue::Text(format_number(v, f)),
        _ if rule.integer => MappedValue::Integer(v as i64),
        _ => MappedValue::Number(v),
    })
}

fn round(v: f64, places: u32) -> f64 {
    let f = 10f64.powi(places as i32);
    (v * f).round() / f
}

/// `v` without floating-point noise (`-1.2500000000000002` → `-1.25`).
fn tidy(v: f64) -> f64 {
    round(v, 9)
}

fn format_number(v: f64, f: NumberFormat) -> String {
    match f {
        NumberFormat::Signed(d) => format!("{:+.*}", d as usize, v),
        NumberFormat::Padded(w) => format!("{:0w$}", v.round() as i64, w = w),
        NumberFormat::Fixed(d) => format!("{:.*}", d as usize, v),
    }
}
