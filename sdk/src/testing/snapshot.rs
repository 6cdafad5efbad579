//! A snapshot builder for tests: a valid snapshot in one line, changed only where a test
//! cares.
//!
//! ```
//! use ehr_adapter_sdk::testing::SnapshotBuilder;
//! use ehr_adapter_sdk::Laterality;
//! let s = SnapshotBuilder::new()
//!     .patient("P1001", "Margaret", "Okafor", "1958-03-14")
//!     .encounter("E5001", "2026-11-16")
//!     .number("iop.od", 17.0)
//!     .text("chief_complaint", "Blurry vision")
//!     .diagnosis("H40.1131", "POAG, mild", Laterality::Both, true)
//!     .build();
//! assert_eq!(s.fields.len(), 3);
//! ```

use crate::{
    ClinicalField, Diagnosis, EncounterSnapshot, FieldValue, Laterality, PatientRef, Procedure,
    TemplateRef,
};

/// Builds an [`EncounterSnapshot`]. Starts as job `job-1` for patient `P1` (Ann Lee, born
/// 1970-01-01), encounter `E1` on 2026-11-16, no template restriction, no fields.
#[derive(Debug, Clone)]
pub struct SnapshotBuilder {
    snapshot: EncounterSnapshot,
}

impl Default for SnapshotBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl SnapshotBuilder {
    /// The starting snapshot described on the type.
    pub fn new() -> Self {
        SnapshotBuilder {
            snapshot: EncounterSnapshot {
                job_id: "job-1".into(),
                patient: PatientRef {
                    id: "P1".into(),
                    first_name: "Ann".into(),
                    last_name: "Lee".into(),
                    date_of_birth: "1970-01-01".into(),
                },
                encounter_id: "E1".into(),
                encounter_date: "2026-11-16".into(),
                provider_id: None,
                template: TemplateRef {
                    id: String::new(),
                    fields: Vec::new(),
                },
                fields: Vec::new(),
            },
        }
    }

    /// The job id.
    pub fn job(mut self, id: &str) -> Self {
        self.snapshot.job_id = id.into();
        self
    }

    /// The patient: id, first name, last name, date of birth.
    pub fn patient(mut self, id: &str, first: &str, last: &str, dob: &str) -> Self {
        self.snapshot.patient = PatientRef {
            id: id.into(),
            first_name: first.into(),
            last_name: last.into(),
            date_of_birth: dob.into(),
        };
        self
    }

    /// The encounter id and its date.
    pub fn encounter(mut self, id: &str, date: &str) -> Self {
        self.snapshot.encounter_id = id.into();
        self.snapshot.encounter_date = date.into();
        self
    }

    /// The rendering provider.
    pub fn provider(mut self, id: &str) -> Self {
        self.snapshot.provider_id = Some(id.into());
        self
    }

    /// The template: its id and the catalog fields it takes (empty: no restriction).
    pub fn template(mut self, id: &str, fields: &[&str]) -> Self {
        self.snapshot.template = TemplateRef {
            id: id.into(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
        };
        self
    }

    /// Adds a field with any value.
    pub fn field(mut self, id: &str, value: FieldValue) -> Self {
        self.snapshot.fields.push(ClinicalField {
            id: id.into(),
            value,
        });
        self
    }

    /// Adds a text field.
    pub fn text(self, id: &str, value: &str) -> Self {
        self.field(id, FieldValue::Text(value.into()))
    }

    /// Adds a number field.
    pub fn number(self, id: &str, value: f64) -> Self {
        self.field(id, FieldValue::Number(value))
    }

    /// Adds a diagnosis to the `diagnoses` field (creating it first).
    pub fn diagnosis(
        mut self,
        code: &str,
        description: &str,
        eye: Laterality,
        primary: bool,
    ) -> Self {
        let d = Diagnosis {
            code: code.into(),
            description: description.into(),
            laterality: eye,
            primary,
        };
        match self.list_mut("diagnoses") {
            Some(FieldValue::Diagnoses(list)) => list.push(d),
            _ => self = self.field("diagnoses", FieldValue::Diagnoses(vec![d])),
        }
        self
    }

    /// Adds a procedure (one unit, no modifiers) to the `procedures` field.
    pub fn procedure(mut self, code: &str) -> Self {
        let p = Procedure {
            code: code.into(),
            modifiers: Vec::new(),
            units: 1,
            diagnosis_pointers: Vec::new(),
        };
        match self.list_mut("procedures") {
            Some(FieldValue::Procedures(list)) => list.push(p),
            _ => self = self.field("procedures", FieldValue::Procedures(vec![p])),
        }
        self
    }

    fn list_mut(&mut self, id: &str) -> Option<&mut FieldValue> {
        self.snapshot
            .fields
            .iter_mut()
            .find(|f| f.id == id)
            .map(|f| &mut f.value)
    }

    /// The snapshot.
    pub fn build(self) -> EncounterSnapshot {
        self.snapshot
    }
}
