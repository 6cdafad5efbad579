//! The outcome of `Mapping::apply`: the values to write, grouped by section, and the
//! report lines already decided. The write flow narrows it as it learns more (the EHR's
//! template, values the EHR refused) and turns it into the report at the end.

use super::MappedValue;
use crate::icd10::{DiagnosisRules, ShapedDiagnoses};
use crate::report::skipped;
use crate::text::NonAscii;
use crate::{
    AdapterError, Diagnosis, FieldResult, FieldStatus, FieldValue, FieldWarning, SkipReason,
    WarningKind, WriteResult,
};
use serde_json::{Map, Value};

/// One value planned for writing.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Catalog field id.
    pub field: String,
    /// EHR section.
    pub section: String,
    /// EHR field name within the section (a dotted path nests in JSON).
    pub name: String,
    /// The converted value.
    pub value: MappedValue,
    /// Warnings from the conversion.
    pub warnings: Vec<FieldWarning>,
}

#[derive(Debug, Clone)]
pub(crate) enum Entry {
    Planned(Line),
    Done(FieldResult),
}

pub(crate) fn warning(kind: WarningKind, message: String) -> FieldWarning {
    FieldWarning { kind, message }
}

/// What to write and what is already decided, in snapshot order.
#[derive(Debug, Clone)]
pub struct Plan {
    entries: Vec<Entry>,
    /// Every EHR field name the mapping writes somewhere: what a template may hold
    /// without its ids having changed.
    known: Vec<String>,
    non_ascii: NonAscii,
}

impl Plan {
    pub(crate) fn new(entries: Vec<Entry>, known: Vec<String>, non_ascii: NonAscii) -> Plan {
        Plan {
            entries,
            known,
            non_ascii,
        }
    }

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

    /// The value of a section's first planned line (for one-value sections such as a note).
    pub fn value(&self, section: &str) -> Option<&MappedValue> {
        self.lines()
            .find(|l| l.section == section)
            .map(|l| &l.value)
    }

    /// The planned text of a one-value section.
    pub fn text(&self, section: &str) -> Option<&str> {
        match self.value(section)? {
            MappedValue::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The planned diagnosis list of a section (shaped, once [`Plan::shape_diagnoses`] ran).
    pub fn diagnoses(&self, section: &str) -> Option<&[Diagnosis]> {
        match self.value(section)? {
            MappedValue::Raw(FieldValue::Diagnoses(list)) => Some(list),
            _ => None,
        }
    }

    /// One section's values as a JSON object of name → value. A dotted name nests:
    /// `rx.od.sph` becomes `{"rx": {"od": {"sph": value}}}`; a later line whose path
    /// passes through an earlier plain value replaces it.
    pub fn section_json(&self, section: &str) -> Map<String, Value> {
        let mut root = Map::new();
        for l in self.section(section) {
            let mut parts: Vec<&str> = l.name.split('.').collect();
            let leaf = parts.pop().unwrap_or_default();
            let mut node = &mut root;
            for p in parts {
                let slot = node
                    .entry(p.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !slot.is_object() {
                    *slot = Value::Object(Map::new());
                }
                node = slot.as_object_mut().expect("made an object just above");
            }
            node.insert(leaf.to_string(), l.value.to_json());
        }
        root
    }

    fn decide(&mut self, keep: impl Fn(&Line) -> bool, reason: SkipReason, detail: &str) {
        for e in &mut self.entries {
            if let Entry::Planned(l) = e {
                if !keep(l) {
                    *e = Entry::Done(skipped(&l.field, reason, detail));
                }
            }
        }
    }

    /// Decides one field without writing it: its planned line becomes `skipped` with
    /// `reason` and `detail`.
    pub fn skip_field(&mut self, field: &str, reason: SkipReason, detail: &str) {
        self.decide(|l| l.field != field, reason, detail);
    }

    /// Decides a whole section without writing it (e.g. the EHR has no such section on
    /// this encounter): its lines become `skipped` with `reason`.
    pub fn skip_section(&mut self, section: &str, reason: SkipReason, detail: &str) {
        self.decide(|l| l.section != section, reason, detail);
    }

    /// Adds a warning to one field's planned line.
    pub fn warn_field(&mut self, field: &str, kind: WarningKind, message: &str) {
        self.warn_where(|l| l.field == field, kind, message);
    }

    /// Adds a warning to every planned line of `section` (for what the adapter itself
    /// changes while writing, such as shortening a value inside a raw list).
    pub fn warn_section(&mut self, section: &str, kind: WarningKind, message: &str) {
        self.warn_where(|l| l.section == section, kind, message);
    }

    fn warn_where(&mut self, which: impl Fn(&Line) -> bool, kind: WarningKind, message: &str) {
        for e in &mut self.entries {
            if let Entry::Planned(l) = e {
                if which(l) {
                    l.warnings.push(warning(kind, message.to_string()));
                }
            }
        }
    }

    /// Shapes the diagnosis list planned in `section` for the EHR ([`crate::icd10`]):
    /// codes normalised, duplicates (same code and eye) written once with a warning,
    /// descriptions made ASCII (when `rules.ascii`) and cut to the column, each change
    /// warned on the line. A list the EHR cannot take as a whole (a code that is not
    /// ICD-10-CM, two primaries, a description with no ASCII form) is skipped as
    /// `invalid-value` with the reason: a partial list would misstate the assessment.
    pub fn shape_diagnoses(&mut self, section: &str, rules: &DiagnosisRules) {
        if self.value(section).is_none() {
            return;
        }
        let Some(list) = self.diagnoses(section).map(<[Diagnosis]>::to_vec) else {
            // A raw rule passes any value through; only a diagnosis list fits here.
            let detail = "expected a list of diagnoses";
            return self.skip_section(section, SkipReason::InvalidValue, detail);
        };
        match crate::icd10::shape(&list, rules, &self.non_ascii) {
            Ok(ShapedDiagnoses { list, warnings }) => {
                for e in &mut self.entries {
                    if let Entry::Planned(l) = e {
                        if l.section == section {
                            l.value = MappedValue::Raw(FieldValue::Diagnoses(list.clone()));
                            l.warnings.extend(warnings.iter().cloned());
                        }
                    }
                }
            }
            Err(detail) => self.skip_section(section, SkipReason::InvalidValue, &detail),
        }
    }

    /// Narrows the plan to the encounter's template in the EHR. `fields` are the EHR
    /// field names the template accepts; only lines of sections for which `scoped` is
    /// true are checked (not the diagnosis list or the note, say).
    ///
    /// - every planned name is in the template: nothing changes;
    /// - some are not, and every name the template lists is one this mapping knows: the
    ///   template simply takes fewer fields (a brief visit), so those lines are skipped
    ///   with `outside-template`;
    /// - some are not, and the template lists names this mapping does not know: the
    ///   EHR's field ids changed, and the write is refused with `template-mismatch`
    ///   naming the missing ones (nothing is written, nothing silently dropped).
    pub fn scope_to_template(
        &mut self,
        template_id: &str,
        fields: &[String],
        scoped: impl Fn(&str) -> bool,
    ) -> Result<(), AdapterError> {
        let missing: Vec<String> = self
            .lines()
            .filter(|l| scoped(&l.section) && !fields.contains(&l.name))
            .map(|l| l.name.clone())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let unknown: Vec<&String> = fields.iter().filter(|f| !self.known.contains(f)).collect();
        if !unknown.is_empty() {
            return Err(AdapterError::TemplateMismatch(format!(
                "template {template_id} in the EHR has no field {} but has fields this adapter \
                 does not know ({}): the EHR's template changed and this adapter's mapping must \
                 be updated; nothing was written",
                missing.join(", "),
                unknown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let detail = format!("not part of the encounter's template {template_id} in the EHR");
        self.decide(
            |l| !(scoped(&l.section) && missing.contains(&l.name)),
            SkipReason::OutsideTemplate,
            &detail,
        );
        Ok(())
    }

    /// Skips the lines of `sections` whose EHR name (or catalog id) an EHR field error
    /// names, as `invalid-value` with the EHR's message; returns how many were skipped.
    pub fn skip_refused(&mut self, sections: &[String], errors: &[crate::FieldError]) -> usize {
        let mut n = 0;
        for e in &mut self.entries {
            if let Entry::Planned(l) = e {
                let refused = errors
                    .iter()
                    .find(|fe| fe.field == l.name || fe.field == l.field);
                if let (true, Some(fe)) = (sections.contains(&l.section), refused) {
                    let detail = format!("the EHR refused the value: {}", fe.message);
                    *e = Entry::Done(skipped(&l.field, SkipReason::InvalidValue, &detail));
                    n += 1;
                }
            }
        }
        n
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
            notices: crate::identity::take_notices(),
        }
    }
}
