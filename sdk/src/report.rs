//! Building the per-field write report.

use crate::{FieldResult, FieldStatus, FieldWarning, SkipReason};

/// A report line for a field that was written to `target`.
pub fn written(field: &str, target: &str, warnings: Vec<FieldWarning>) -> FieldResult {
    FieldResult {
        field: field.to_string(),
        status: FieldStatus::Written,
        target: Some(target.to_string()),
        warnings,
    }
}

/// A report line for a field that was not written, with the reason and plain-words detail.
pub fn skipped(field: &str, reason: SkipReason, detail: impl Into<String>) -> FieldResult {
    FieldResult {
        field: field.to_string(),
        status: FieldStatus::Skipped((reason, detail.into())),
        target: None,
        warnings: Vec::new(),
    }
}
