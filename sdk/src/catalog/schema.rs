//! The snapshot's JSON Schema, generated from the catalog, so the schema authors read
//! (`wit/snapshot.schema.json`) and the catalog the host checks against cannot differ.

use super::{fields, Field, Kind};
use serde_json::{json, Map, Value};

/// ICD-10-CM as [`crate::icd10`] accepts it: a letter, a digit, a digit or letter, then an
/// optional dot and one to three characters not ending in the placeholder `X`, or four.
const ICD10_PATTERN: &str =
    r"^\s*[A-Za-z][0-9][0-9A-Za-z](\.?([0-9A-Za-z]{0,2}[0-9A-WYZa-wyz]|[0-9A-Za-z]{4}))?\s*$";
const DATE_PATTERN: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$";

/// The pattern of a catalog text `format`.
fn format_pattern(format: &str) -> Option<&'static str> {
    match format {
        "snellen" => Some(r"^(20/[0-9]{2,3}([+-][0-9])?|CF|HM|LP|NLP)$"),
        "time" => Some(r"^([01][0-9]|2[0-3]):[0-5][0-9]$"),
        _ => None,
    }
}

fn field_schema(f: &Field) -> Value {
    let unit = f
        .unit
        .as_deref()
        .map(|u| format!(" ({u})"))
        .unwrap_or_default();
    let mut s = Map::new();
    s.insert(
        "description".into(),
        json!(format!("{}{unit}: {}", f.label, f.description)),
    );
    match f.kind {
        Kind::Text => {
            s.insert("type".into(), json!("string"));
            if let Some(p) = f.format.as_deref().and_then(format_pattern) {
                s.insert("pattern".into(), json!(p));
            }
        }
        Kind::Number => {
            s.insert("type".into(), json!("number"));
            for (key, v) in [
                ("minimum", f.min),
                ("maximum", f.max),
                ("multipleOf", f.step),
            ] {
                if let Some(v) = v {
                    s.insert(key.into(), json!(v));
                }
            }
        }
        Kind::Diagnoses => {
            s.insert("type".into(), json!("array"));
            s.insert("items".into(), json!({"$ref": "#/$defs/diagnosis"}));
        }
        Kind::Procedures => {
            s.insert("type".into(), json!("array"));
            s.insert("items".into(), json!({"$ref": "#/$defs/procedure"}));
        }
    }
    Value::Object(s)
}

/// The JSON Schema (draft 2020-12) of a snapshot document as `ehr-host write`, `jobs
/// submit` and the local API take it: snake_case keys, `fields` a map of catalog field id
/// to plain value, each value of the kind, range, step and format the catalog says.
/// (What JSON Schema cannot say — no duplicate keys, size limits, real calendar dates —
/// the host checks too; see the SDK README.)
pub fn snapshot_json_schema() -> Value {
    let ids: Vec<&str> = fields().iter().map(|f| f.id.as_str()).collect();
    let properties: Map<String, Value> = fields()
        .iter()
        .map(|f| (f.id.clone(), field_schema(f)))
        .collect();
    let date = json!({"type": "string", "pattern": DATE_PATTERN});
    let nonempty = json!({"type": "string", "minLength": 1});
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ehr-host encounter snapshot",
        "description": "One encounter written by one job. Generated from wit/field-catalog.json by ehr_adapter_sdk::catalog::snapshot_json_schema().",
        "type": "object",
        "additionalProperties": false,
        "required": ["job_id", "patient", "encounter_id", "encounter_date", "template", "fields"],
        "properties": {
            "job_id": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$",
                       "description": "The job id: the idempotency key's root; unique per job."},
            "patient": {
                "type": "object",
                "additionalProperties": false,
                "required": ["id", "first_name", "last_name", "date_of_birth"],
                "properties": {"id": nonempty, "first_name": nonempty, "last_name": nonempty,
                               "date_of_birth": date}
            },
            "encounter_id": nonempty,
            "encounter_date": date,
            "provider_id": {"type": ["string", "null"]},
            "template": {
                "type": "object",
                "additionalProperties": false,
                "required": ["id"],
                "properties": {"id": nonempty,
                               "fields": {"type": "array", "items": {"enum": ids}}}
            },
            "fields": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": false,
                "properties": properties
            }
        },
        "$defs": {
            "diagnosis": {
                "type": "object",
                "additionalProperties": false,
                "required": ["code"],
                "properties": {
                    "code": {"type": "string", "pattern": ICD10_PATTERN},
                    "description": {"type": "string"},
                    "laterality": {"enum": ["right", "left", "both", "not_applicable"]},
                    "primary": {"type": "boolean"}
                }
            },
            "procedure": {
                "type": "object",
                "additionalProperties": false,
                "required": ["code"],
                "properties": {
                    "code": {"type": "string", "pattern": "^[A-Za-z0-9]{5}$"},
                    "modifiers": {"type": "array", "items": {"type": "string"}},
                    "units": {"type": "integer", "minimum": 1},
                    "diagnosis_pointers": {"type": "array", "items": {"type": "string"}}
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHECKED_IN: &str = "../wit/snapshot.schema.json";

    /// The schema as checked in: pretty JSON with keys sorted and a final newline. Sorted
    /// explicitly: in a workspace build serde_json's `preserve_order` feature (wanted by
    /// the host) is switched on for the SDK too, which would change the key order.
    fn rendered() -> String {
        serde_json::to_string_pretty(&sorted(snapshot_json_schema())).unwrap() + "\n"
    }

    fn sorted(v: Value) -> Value {
        match v {
            Value::Object(map) => {
                let mut entries: Vec<(String, Value)> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
            other => other,
        }
    }

    // `wit/snapshot.schema.json` is what the catalog generates. Regenerate with
    // `EHR_UPDATE_SCHEMA=1 cargo test -p ehr-adapter-sdk schema`.
    #[test]
    fn checked_in_schema_is_up_to_date() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(CHECKED_IN);
        if std::env::var_os("EHR_UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, rendered()).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == rendered(),
            "wit/snapshot.schema.json is out of date with the catalog: regenerate it with \
             `EHR_UPDATE_SCHEMA=1 cargo test -p ehr-adapter-sdk schema`"
        );
    }

    // Every catalog field is described with its kind, range, step and format.
    #[test]
    fn fields_carry_the_catalog_rules() {
        let s = snapshot_json_schema();
        let f = &s["properties"]["fields"]["properties"];
        assert_eq!(f.as_object().unwrap().len(), fields().len());
        let sphere = &f["refraction.manifest.od.sphere"];
        assert_eq!(
            (
                sphere["minimum"].as_f64(),
                sphere["maximum"].as_f64(),
                sphere["multipleOf"].as_f64()
            ),
            (Some(-30.0), Some(30.0), Some(0.25))
        );
        assert!(f["va.distance.cc.od"]["pattern"]
            .as_str()
            .unwrap()
            .contains("20/"));
        assert_eq!(f["diagnoses"]["items"]["$ref"], "#/$defs/diagnosis");
    }
}
