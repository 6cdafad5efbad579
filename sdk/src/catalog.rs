//! The field catalog: every clinical field a snapshot can carry, with its kind, unit and
//! valid range. The data is `wit/field-catalog.json`, embedded at build time.

mod schema;

pub use schema::snapshot_json_schema;

use serde::Deserialize;
use std::sync::OnceLock;

/// The catalog JSON exactly as shipped with the contract.
pub const CATALOG_JSON: &str = include_str!("../../wit/field-catalog.json");

/// What kind of value a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `field-value::text`.
    Text,
    /// `field-value::number`, in the field's `unit`.
    Number,
    /// `field-value::diagnoses`.
    Diagnoses,
    /// `field-value::procedures`.
    Procedures,
}

/// One catalog entry.
#[derive(Debug, Clone, Deserialize)]
pub struct Field {
    /// Field id, e.g. `iop.od`.
    pub id: String,
    /// Exam section, e.g. `iop`.
    pub section: String,
    /// Short label for people.
    pub label: String,
    /// Value kind.
    pub kind: Kind,
    /// Unit of numbers (`mmHg`, `D`, ...).
    pub unit: Option<String>,
    /// Text format (`snellen`, `time`), when constrained.
    pub format: Option<String>,
    /// Smallest valid number.
    pub min: Option<f64>,
    /// Largest valid number.
    pub max: Option<f64>,
    /// Precision numbers are recorded in.
    pub step: Option<f64>,
    /// What the field holds.
    pub description: String,
}

#[derive(Deserialize)]
struct Doc {
    fields: Vec<Field>,
}

/// All catalog fields, in catalog order.
pub fn fields() -> &'static [Field] {
    static FIELDS: OnceLock<Vec<Field>> = OnceLock::new();
    FIELDS.get_or_init(|| {
        serde_json::from_str::<Doc>(CATALOG_JSON)
            .expect("wit/field-catalog.json is valid (checked by the SDK's tests)")
            .fields
    })
}

/// The catalog entry for `id`.
pub fn field(id: &str) -> Option<&'static Field> {
    fields().iter().find(|f| f.id == id)
}

#[cfg(test)]
mod tests {
    // The embedded catalog parses and every id is unique.
    #[test]
    fn catalog_parses_with_unique_ids() {
        let fields = super::fields();
        assert!(fields.len() > 50);
        let mut ids: Vec<_> = fields.iter().map(|f| f.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), fields.len());
        assert_eq!(
            super::field("iop.od").unwrap().unit.as_deref(),
            Some("mmHg")
        );
    }
}
