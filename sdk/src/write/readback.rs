//! Read-back for the `landed` check of adapters whose EHR cannot be asked about a job id
//! directly: the values a job would write are compared with what the EHR holds.

use serde_json::Value;

/// True when `stored` holds everything `planned` says: every member of a planned object
/// is in the stored object with an equal value (objects compared the same way, numbers
/// as numbers, so `18` equals `18.0`), and arrays are equal item by item.
pub fn includes(stored: &Value, planned: &Value) -> bool {
    match (stored, planned) {
        (Value::Object(s), Value::Object(p)) => p
            .iter()
            .all(|(k, v)| s.get(k).is_some_and(|sv| includes(sv, v))),
        (Value::Array(s), Value::Array(p)) => {
            s.len() == p.len() && s.iter().zip(p).all(|(a, b)| includes(a, b))
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::includes;
    use serde_json::json;

    // Planned members must all be stored, equal; extra stored members do not matter.
    #[test]
    fn subset_with_numbers_compared_as_numbers() {
        let stored = json!({"iopOd": 18, "iopOs": 17.0, "other": "x", "dx": [{"a": 1}]});
        assert!(includes(&stored, &json!({"iopOd": 18.0, "iopOs": 17})));
        assert!(includes(&stored, &json!({"dx": [{"a": 1.0}]})));
        assert!(!includes(&stored, &json!({"iopOd": 19})));
        assert!(!includes(&stored, &json!({"missing": null})));
        assert!(!includes(&stored, &json!({"dx": []})));
    }
}
