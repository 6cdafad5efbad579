//! Declarative field mapping: catalog field → EHR target, with conversions.
//!
//! A [`Mapping`] lists, for each catalog field, where it goes in the EHR (a section and a
//! field name) and how the value is converted on the way. [`Mapping::apply`] turns a
//! snapshot into a [`Plan`]: the values to write, grouped by section, plus the report
//! lines for everything that will not be written and why. The rules users rely on:
//!
//! - a field with no rule is skipped with `no-mapping`;
//! - a field outside the encounter's template is skipped with `outside-template`;
//! - an empty value is skipped with `empty-value`;
//! - text longer than the target is truncated with a `truncated` warning;
//! - non-ASCII text for an ASCII-only target is transliterated with a
//!   `characters-replaced` warning;
//! - a number in another unit is converted with a `unit-converted` warning;
//! - a value the target cannot hold (wrong kind, out of range, bad format) is skipped with
//!   `invalid-value`, never silently altered.
//!
//! ```
//! use ehr_adapter_sdk::mapping::{Mapping, Unit};
//! let mapping = Mapping::new()
//!     .text("chief_complaint", "history", "chiefComplaint").max_len(500).ascii_only()
//!     .number("iop.od", "iop", "iopOd").integer().range(0.0, 80.0)
//!     .number("vitals.temperature", "vitals", "tempF").convert(Unit::Celsius, Unit::Fahrenheit).decimals(1)
//!     .unmapped("keratometry.od.k1", "the EHR's API has no keratometry endpoint");
//! assert_eq!(mapping.describe().len(), 4);
//! ```

use crate::report::skipped;
use crate::{
    EncounterSnapshot, FieldMapping, FieldResult, FieldStatus, FieldValue, FieldWarning,
    SkipReason, WarningKind, WriteResult,
};

/// Units the mapping can convert between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Degrees Celsius (the catalog's temperature unit).
    Celsius,
    /// Degrees Fahrenheit.
    Fahrenheit,
    /// Centimetres (the catalog's height unit).
    Centimetre,
    /// Inches.
    Inch,
    /// Kilograms (the catalog's weight unit).
    Kilogram,
    /// Pounds.
    Pound,
}

impl Unit {
    fn symbol(self) -> &'static str {
        match self {
            Unit::Celsius => "degC",
            Unit::Fahrenheit => "degF",
            Unit::Centimetre => "cm",
            Unit::Inch => "in",
            Unit::Kilogram => "kg",
            Unit::Pound => "lb",
        }
    }

    fn convert(self, to: Unit, v: f64) -> Option<f64> {
        use Unit::*;
        Some(match (self, to) {
            (a, b) if a == b => v,
            (Celsius, Fahrenheit) => v * 9.0 / 5.0 + 32.0,
            (Fahrenheit, Celsius) => (v - 32.0) * 5.0 / 9.0,
            (Centimetre, Inch) => v / 2.54,
            (Inch, Centimetre) => v * 2.54,
            (Kilogram, Pound) => v / 0.453_592_37,
            (Pound, Kilogram) => v * 0.453_592_37,
            _ => return None,
        })
    }
}

/// How a number is written into a text target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberFormat {
    /// Always signed, fixed decimals: `+1.25`, `-0.50`, `+0.00`.
    Signed(u32),
    /// Zero-padded integer of this width: `090`.
    Padded(usize),
    /// Plain, fixed decimals: `17`, `0.35`.
    Fixed(u32),
}

/// A value ready to be sent to the EHR.
#[derive(Debug, Clone, PartialEq)]
pub enum MappedValue {
    /// Text.
    Text(String),
    /// A number with decimals.
    Number(f64),
    /// A whole number.
    Integer(i64),
    /// A value passed through unchanged (diagnoses, procedures) for the adapter to shape.
    Raw(FieldValue),
}

impl MappedValue {
    /// The value as JSON, for HTTP adapters. `Raw` values become `null`: shape them yourself.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            MappedValue::Text(s) => serde_json::Value::from(s.as_str()),
            MappedValue::Number(n) => serde_json::Value::from(*n),
            MappedValue::Integer(i) => serde_json::Value::from(*i),
            MappedValue::Raw(_) => serde_json::Value::Null,
        }
    }
}

#[derive(Debug, Clone)]
enum Shape {
    Text,
    Number,
    NumberAsText(NumberFormat),
    Raw,
}

/// A format check and the words describing the format.
type Validator = (fn(&str) -> bool, &'static str);

#[derive(Debug, Clone)]
struct Rule {
    field: String,
    target: Option<(String, String)>,
    unmapped_reason: String,
    shape: Shape,
    max_len: Option<usize>,
    ascii: bool,
    integer: bool,
    decimals: Option<u32>,
    range: Option<(f64, f64)>,
    convert: Option<(Unit, Unit)>,
    validate: Option<Validator>,
}

impl Rule {
    fn new(field: &str, target: Option<(&str, &str)>, shape: Shape) -> Self {
        Rule {
            field: field.to_string(),
            target: target.map(|(s, n)| (s.to_string(), n.to_string())),
            unmapped_reason: String::new(),
            shape,
            max_len: None,
            ascii: false,
            integer: false,
            decimals: None,
            range: None,
            convert: None,
            validate: None,
        }
    }

    fn note(&self) -> String {
        if self.target.is_none() {
            return self.unmapped_reason.clone();
        }
        let mut parts = Vec::new();
        if let Some((from, to)) = self.convert {
            parts.push(format!("{} → {}", from.symbol(), to.symbol()));
        }
        if self.integer {
            parts.push("whole number".to_string());
        }
        if let Some(d) = self.decimals {
            parts.push(format!("{d} decimals"));
        }
        if let Some((lo, hi)) = self.range {
            parts.push(format!("{lo}..{hi}"));
        }
        if let Shape::NumberAsText(f) = self.shape {
            parts.push(format!("written as text {f:?}"));
        }
        if let Some((_, what)) = self.validate {
            parts.push(what.to_string());
        }
        if let Some(n) = self.max_len {
            parts.push(format!("max {n} chars"));
        }
        if self.ascii {
            parts.push("ASCII only".to_string());
        }
        parts.join(", ")
    }
}

/// The mapping of catalog fields to one EHR's targets. Build it with the chained methods;
/// modifiers (`max_len`, `integer`, ...) apply to the rule added last.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    rules: Vec<Rule>,
}

impl Mapping {
    /// An empty mapping: every field is skipped with `no-mapping` until given a rule.
    pub fn new() -> Self {
        Self::default()
    }

    /// Maps a text field to `section`/`name`.
    pub fn text(mut self, field: &str, section: &str, name: &str) -> Self {
        self.rules
            .push(Rule::new(field, Some((section, name)), Shape::Text));
        self
    }

    /// Maps a number field to a numeric `section`/`name`.
    pub fn number(mut self, field: &str, section: &str, name: &str) -> Self {
        self.rules
            .push(Rule::new(field, Some((section, name)), Shape::Number));
        self
    }

    /// Maps a number field to a text target, formatted with `format`.
    pub fn number_as_text(
        mut self,
        field: &str,
        section: &str,
        name: &str,
        format: NumberFormat,
    ) -> Self {
        let rule = Rule::new(field, Some((section, name)), Shape::NumberAsText(format));
        self.rules.push(rule);
        self
    }

    /// Maps the descriptive exam findings (pupils, slit lamp and fundus of each eye) into
    /// `section`, each under its catalog id as the finding code (the shape of EHRs that
    /// keep findings as code/text rows): text up to `max_chars`, cup-to-disc ratios as
    /// text with two decimals in 0..1.
    pub fn findings_by_code(mut self, section: &str, max_chars: usize) -> Self {
        const SLIT_LAMP: [&str; 6] = [
            "lids",
            "conjunctiva",
            "cornea",
            "anterior_chamber",
            "iris",
            "lens",
        ];
        const FUNDUS: [&str; 5] = ["disc", "macula", "vessels", "periphery", "vitreous"];
        self = self.text("pupils", section, "pupils").max_len(max_chars);
        for eye in ["od", "os"] {
            for part in SLIT_LAMP {
                let id = format!("slit_lamp.{eye}.{part}");
                self = self.text(&id, section, &id).max_len(max_chars);
            }
            let cd = format!("fundus.{eye}.cup_disc_ratio");
            self = self
                .number_as_text(&cd, section, &cd, NumberFormat::Fixed(2))
                .range(0.0, 1.0);
            for part in FUNDUS {
                let id = format!("fundus.{eye}.{part}");
                self = self.text(&id, section, &id).max_len(max_chars);
            }
        }
        self
    }

    /// Passes a field's value through unchanged (diagnoses, procedures) for the adapter to
    /// shape; it is still scoped by template and reported like the others.
    pub fn raw(mut self, field: &str, section: &str, name: &str) -> Self {
        self.rules
            .push(Rule::new(field, Some((section, name)), Shape::Raw));
        self
    }

    /// Declares a field that this EHR cannot store, with the reason users will see.
    pub fn unmapped(mut self, field: &str, reason: &str) -> Self {
        let mut rule = Rule::new(field, None, Shape::Raw);
        rule.unmapped_reason = reason.to_string();
        self.rules.push(rule);
        self
    }

    fn last(&mut self) -> &mut Rule {
        self.rules
            .last_mut()
            .expect("a mapping modifier must follow a rule")
    }

    /// Truncates text to `chars` characters, with a `truncated` warning.
    pub fn max_len(mut self, chars: usize) -> Self {
        self.last().max_len = Some(chars);
        self
    }

    /// The target stores ASCII only: other characters are replaced, with a warning.
    pub fn ascii_only(mut self) -> Self {
        self.last().ascii = true;
        self
    }

    /// The target holds whole numbers: others are rounded, with a `rounded` warning.
    pub fn integer(mut self) -> Self {
        self.last().integer = true;
        self
    }

    /// Rounds to this many decimals (after any conversion), warning only if the value changed.
    pub fn decimals(mut self, places: u32) -> Self {
        self.last().decimals = Some(places);
        self
    }

    /// Values outside `min..=max` (after conversion) are skipped with `invalid-value`.
    pub fn range(mut self, min: f64, max: f64) -> Self {
        self.last().range = Some((min, max));
        self
    }

    /// Converts from the catalog's unit to the target's, with a `unit-converted` warning.
    pub fn convert(mut self, from: Unit, to: Unit) -> Self {
        self.last().convert = Some((from, to));
        self
    }

    /// Text failing `check` is skipped with `invalid-value`; `what` describes the format.
    pub fn validate(mut self, check: fn(&str) -> bool, what: &'static str) -> Self {
        self.last().validate = Some((check, what));
        self
    }

    /// The mapping as `describe` reports it: one line per rule.
    pub fn describe(&self) -> Vec<FieldMapping> {
        self.rules
            .iter()
            .map(|r| FieldMapping {
                field: r.field.clone(),
                target: r.target.as_ref().map(|(s, n)| format!("{s}.{n}")),
                note: r.note(),
            })
            .collect()
    }

    /// `describe`'s complete field list: every rule, then every catalog field the mapping
    /// does not mention, as not written ("`ehr` has no `place` for ..."), so users see
    /// the whole catalog and what happens to each field.
    pub fn describe_catalog(&self, ehr: &str, place: &str) -> Vec<FieldMapping> {
        let mut fields = self.describe();
        for field in crate::catalog::fields() {
            if !fields.iter().any(|m| m.field == field.id) {
                fields.push(FieldMapping {
                    field: field.id.clone(),
                    target: None,
                    note: format!(
                        "not written: {ehr} has no {place} for `{}` ({})",
                        field.id, field.label
                    ),
                });
            }
        }
        fields
    }

    /// Every target (`section`, `name`) the mapping can write.
    pub fn targets(&self) -> Vec<(&str, &str)> {
        self.rules
            .iter()
            .filter_map(|r| r.target.as_ref().map(|(s, n)| (s.as_str(), n.as_str())))
            .collect()
    }

    /// Plans the write of `snapshot`: values to write and report lines for the rest.
    pub fn apply(&self, snapshot: &EncounterSnapshot) -> Plan {
        let template = &snapshot.template;
        let entries = snapshot
            .fields
            .iter()
            .map(|f| {
                let rule = self.rules.iter().find(|r| r.field == f.id);
                if !template.fields.is_empty() && !template.fields.contains(&f.id) {
                    return Entry::Done(skipped(
                        &f.id,
                        SkipReason::OutsideTemplate,
                        format!("not part of template {}", template.id),
                    ));
                }
                match rule {
                    None => Entry::Done(skipped(
                        &f.id,
                        SkipReason::NoMapping,
                        "this EHR has no place for this field",
                    )),
                    Some(r) if r.target.is_none() => {
                        Entry::Done(skipped(&f.id, SkipReason::NoMapping, &r.unmapped_reason))
                    }
                    Some(r) => convert(r, &f.value),
                }
            })
            .collect();
        Plan { entries }
    }
}

/// One value planned for writing.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Catalog field id.
    pub field: String,
    /// EHR section.
    pub section: String,
    /// EHR field name within the section.
    pub name: String,
    /// The converted value.
    pub value: MappedValue,
    /// Warnings from the conversion.
    pub warnings: Vec<FieldWarning>,
}

#[derive(Debug, Clone)]
enum Entry {
    Planned(Line),
    Done(FieldResult),
}

/// The outcome of [`Mapping::apply`]: what to write and what is already decided.
#[derive(Debug, Clone)]
pub struct Plan {
    entries: Vec<Entry>,
}

impl Plan {
    /// The planned lines, in snapshot order.
    pub fn lines(&self) -> impl Iterator<Item = &Line> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Planned(l) => Some(l),
            Entry::Done(_) => None,
        })
    }

    /// The sections that have planned lines, in first-appearance order.
    pub fn sections(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for l in self.lines() {
            if !out.contains(&l.section) {
                out.push(l.section.clone());
            }
        }
        out
    }

    /// The planned lines of one section.
    pub fn section(&self, section: &str) -> Vec<&Line> {
        self.lines().filter(|l| l.section == section).collect()
    }

    /// One section's values as a JSON object of name → value.
    pub fn section_json(&self, section: &str) -> serde_json::Map<String, serde_json::Value> {
        self.section(section)
            .into_iter()
            .map(|l| (l.name.clone(), l.value.to_json()))
            .collect()
    }

    /// Decides a whole section without writing it (e.g. the EHR has no such section on
    /// this encounter): its lines become `skipped` with `reason`.
    pub fn skip_section(&mut self, section: &str, reason: SkipReason, detail: &str) {
        for e in &mut self.entries {
            if let Entry::Planned(l) = e {
                if l.section == section {
                    *e = Entry::Done(skipped(&l.field, reason, detail));
                }
            }
        }
    }

    /// Adds a warning to every planned line of `section` (for what the adapter itself
    /// changes while writing, such as shortening a value inside a raw list).
    pub fn warn_section(&mut self, section: &str, kind: WarningKind, message: &str) {
        for e in &mut self.entries {
            if let Entry::Planned(l) = e {
                if l.section == section {
                    l.warnings.push(warning(kind, message.to_string()));
                }
            }
        }
    }

    /// Checks the diagnosis list planned in `section` against the EHR's columns: a code
    /// that is empty, not ASCII or longer than `code_max` skips the whole list (a partial
    /// list would misstate the assessment); a description longer than `description_max`
    /// characters is written shortened, with a `truncated` warning.
    pub fn check_diagnoses(
        &mut self,
        section: &str,
        ehr: &str,
        code_max: usize,
        description_max: usize,
    ) {
        let lists: Vec<Vec<crate::Diagnosis>> = self
            .section(section)
            .iter()
            .filter_map(|l| match &l.value {
                MappedValue::Raw(FieldValue::Diagnoses(list)) => Some(list.clone()),
                _ => None,
            })
            .collect();
        let all = lists.iter().flatten();
        let bad = all.clone().find(|d| {
            let code = d.code.trim();
            code.is_empty() || code.len() > code_max || !code.is_ascii()
        });
        if let Some(d) = bad {
            let detail = format!(
                "`{}` is not an ICD-10 code {ehr} can store (at most {code_max} ASCII characters)",
                d.code
            );
            self.skip_section(section, SkipReason::InvalidValue, &detail);
            return;
        }
        let long: Vec<&str> = all
            .filter(|d| d.description.chars().count() > description_max)
            .map(|d| d.code.trim())
            .collect();
        if !long.is_empty() {
            let message = format!(
                "the description of {} was cut to {description_max} characters to fit {ehr}",
                long.join(", ")
            );
            self.warn_section(section, WarningKind::Truncated, &message);
        }
    }

    /// The report, once every planned write has succeeded: planned lines are `written`.
    pub fn into_write_result(self, record_id: Option<String>, replayed: bool) -> WriteResult {
        let fields = self
            .entries
            .into_iter()
            .map(|e| match e {
                Entry::Done(r) => r,
                Entry::Planned(l) => FieldResult {
                    field: l.field,
                    status: FieldStatus::Written,
                    target: Some(format!("{}.{}", l.section, l.name)),
                    warnings: l.warnings,
                },
            })
            .collect();
        WriteResult {
            record_id,
            replayed,
            fields,
        }
    }
}

fn warning(kind: WarningKind, message: String) -> FieldWarning {
    FieldWarning { kind, message }
}

fn invalid(field: &str, detail: String) -> Entry {
    Entry::Done(skipped(field, SkipReason::InvalidValue, detail))
}

fn convert(rule: &Rule, value: &FieldValue) -> Entry {
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
            match text(rule, t, &mut warnings) {
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

fn empty(field: &str) -> Entry {
    Entry::Done(skipped(
        field,
        SkipReason::EmptyValue,
        "no value in the snapshot",
    ))
}

fn kind_name(v: &FieldValue) -> &'static str {
    match v {
        FieldValue::Text(_) => "text",
        FieldValue::Number(_) => "number",
        FieldValue::Diagnoses(_) => "diagnoses",
        FieldValue::Procedures(_) => "procedures",
    }
}

fn text(rule: &Rule, t: &str, warnings: &mut Vec<FieldWarning>) -> Result<MappedValue, String> {
    let mut out = t.to_string();
    if rule.ascii && !out.is_ascii() {
        let (ascii, replaced) = crate::text::to_ascii(&out);
        let list: String = replaced.iter().map(|c| format!("'{c}' ")).collect();
        warnings.push(warning(
            WarningKind::CharactersReplaced,
            format!(
                "replaced characters the EHR cannot store: {}",
                list.trim_end()
            ),
        ));
        out = ascii;
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
    if let Some((from, to)) = rule.convert {
        v = from
            .convert(to, v)
            .ok_or_else(|| format!("cannot convert {} to {}", from.symbol(), to.symbol()))?;
        warnings.push(warning(
            WarningKind::UnitConverted,
            format!(
                "{n} {} written as {} {}",
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

fn format_number(v: f64, f: NumberFormat) -> String {
    match f {
        NumberFormat::Signed(d) => format!("{:+.*}", d as usize, v),
        NumberFormat::Padded(w) => format!("{:0w$}", v.round() as i64, w = w),
        NumberFormat::Fixed(d) => format!("{:.*}", d as usize, v),
    }
}

#[cfg(test)]
mod tests;
