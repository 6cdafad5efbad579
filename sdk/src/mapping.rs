//! Declarative field mapping: catalog field → EHR target, with conversions.
//!
//! A [`Mapping`] lists, for each catalog field, where it goes in the EHR (a section and a
//! field name) and how the value is converted on the way. [`Mapping::apply`] turns a
//! snapshot into a [`Plan`]: the values to write, grouped by section, plus the report
//! lines for everything that will not be written and why. The rules users rely on:
//!
//! - a field with no rule is skipped with `no-mapping`;
//! - a field outside the snapshot's template is skipped with `outside-template` (and, once
//!   the adapter has read the EHR's template, so is a field outside the encounter's
//!   template: [`Plan::scope_to_template`]);
//! - an empty value is skipped with `empty-value`;
//! - text longer than the target is truncated with a `truncated` warning;
//! - text for an ASCII-only target is normalised and transliterated where a faithful
//!   form exists, with a `characters-replaced` warning; text with characters that have
//!   none is skipped with `invalid-value` naming them, or written with the practice's
//!   marker ([`crate::text`]);
//! - a number off the catalog's step is rounded to it with a `rounded` warning naming
//!   both values (rules with [`Mapping::catalog_step`]);
//! - a number in another unit is converted with a `unit-converted` warning;
//! - a value the target cannot hold (wrong kind, out of range, bad format) is skipped with
//!   `invalid-value`, never silently altered.
//!
//! A rule's name may be a dotted path (`rx.od.sph`): [`Plan::section_json`] nests it
//! (`{"rx": {"od": {"sph": ..}}}`).
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

mod convert;
mod plan;

pub use plan::{Line, Plan};

use crate::report::skipped;
use crate::text::NonAscii;
use crate::{EncounterSnapshot, FieldMapping, FieldValue, SkipReason};
use plan::Entry;

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
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Unit::Celsius => "degC",
            Unit::Fahrenheit => "degF",
            Unit::Centimetre => "cm",
            Unit::Inch => "in",
            Unit::Kilogram => "kg",
            Unit::Pound => "lb",
        }
    }

    pub(crate) fn convert(self, to: Unit, v: f64) -> Option<f64> {
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
pub(crate) enum Shape {
    Text,
    Number,
    NumberAsText(NumberFormat),
    Raw,
}

/// A format check and the words describing the format.
type Validator = (fn(&str) -> bool, &'static str);

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) field: String,
    pub(crate) target: Option<(String, String)>,
    unmapped_reason: String,
    pub(crate) shape: Shape,
    pub(crate) max_len: Option<usize>,
    pub(crate) ascii: bool,
    pub(crate) integer: bool,
    pub(crate) decimals: Option<u32>,
    pub(crate) range: Option<(f64, f64)>,
    pub(crate) convert: Option<(Unit, Unit)>,
    pub(crate) validate: Option<Validator>,
    pub(crate) catalog_step: bool,
    note: Option<String>,
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
            catalog_step: false,
            note: None,
        }
    }

    fn note(&self) -> String {
        if self.target.is_none() {
            return self.unmapped_reason.clone();
        }
        let mut parts = Vec::new();
        if self.catalog_step {
            if let Some(step) = crate::catalog::field(&self.field).and_then(|f| f.step) {
                parts.push(format!("rounded to steps of {step}"));
            }
        }
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
        let mut note = parts.join(", ");
        if let Some(extra) = &self.note {
            if !note.is_empty() {
                note.push_str("; ");
            }
            note.push_str(extra);
        }
        note
    }
}

/// The mapping of catalog fields to one EHR's targets. Build it with the chained methods;
/// modifiers (`max_len`, `integer`, ...) apply to the rule added last.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    rules: Vec<Rule>,
    non_ascii: NonAscii,
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

    /// The target stores ASCII only: text is transliterated where a faithful form exists
    /// (with a `characters-replaced` warning) and skipped as `invalid-value` otherwise
    /// (or marked, see [`Mapping::non_ascii_marker`]).
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

    /// Rounds the value to the catalog's `step` for this field (before any conversion),
    /// with a `rounded` warning naming both values: `-1.13` becomes `-1.25` for a sphere
    /// recorded in quarter dioptres, where the EHR would refuse `-1.13` outright.
    pub fn catalog_step(mut self) -> Self {
        self.last().catalog_step = true;
        self
    }

    /// Adds a note to the rule's line in `describe` (what the adapter does with a
    /// pass-through value, say): it follows the modifiers' own note.
    pub fn note(mut self, text: &str) -> Self {
        self.last().note = Some(text.to_string());
        self
    }

    /// How every ASCII-only rule treats characters with no faithful ASCII form: `None`
    /// skips the field with `invalid-value` (the default); `Some(marker)` writes each as
    /// the marker with a warning. Pass [`crate::config::non_ascii_marker`].
    pub fn non_ascii_marker(mut self, marker: Option<String>) -> Self {
        self.non_ascii = marker.map_or(NonAscii::Refuse, NonAscii::Marker);
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
                    Some(r) => convert::convert(r, &f.value, &self.non_ascii),
                }
            })
            .collect();
        let known = self.targets().iter().map(|(_, n)| n.to_string()).collect();
        Plan::new(entries, known, self.non_ascii.clone())
    }
}

/// The kind of a snapshot value, for messages.
pub(crate) fn kind_name(v: &FieldValue) -> &'static str {
    match v {
        FieldValue::Text(_) => "text",
        FieldValue::Number(_) => "number",
        FieldValue::Diagnoses(_) => "diagnoses",
        FieldValue::Procedures(_) => "procedures",
    }
}

#[cfg(test)]
mod tests;
