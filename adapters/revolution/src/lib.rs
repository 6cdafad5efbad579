//! # revolution — the RevolutionEHR adapter for `ehr-host`
//!
//! Writes AI-scribe encounter snapshots into RevolutionEHR's exam API and reads its
//! schedule and patients. The host runs this crate as a signed WebAssembly component:
//! it supplies outbound HTTP (adding the practice's credentials itself), the operator's
//! settings and logging; this crate never sees a token and never sets `Authorization`.
//!
//! Layout, smallest concern first:
//! - [`mapping`]: which catalog field goes to which EHR exam field, with conversions;
//! - [`api`]: typed calls to the EHR's REST API and the JSON shapes it speaks;
//! - text folding comes from `ehr_adapter_sdk::text` (ASCII for the legacy database, name keys for the identity check);
//! - [`write`]: the write flow (wrong-patient guard, lock and template checks, writes);
//! - [`schedule`]: appointments and patient demographics.
//!
//! Settings: `base_url` (required), the practice's API address such as
//! `https://acme.revolutionehr.com` or, in tests, `http://127.0.0.1:PORT`;
//! `request_timeout_secs` (optional), how long to wait for any one answer from the EHR.

pub mod api;
pub mod mapping;
pub mod schedule;
pub mod write;

#[cfg(test)]
mod tests;

use ehr_adapter_sdk::catalog;
use ehr_adapter_sdk::prelude::*;

/// The adapter. It holds no state: the host runs every call in a fresh instance, so
/// everything a call needs is read from settings and the EHR during that call.
pub struct Revolution;

/// The adapter id; must equal the package manifest's id.
pub const ADAPTER_ID: &str = "revolution";

impl Adapter for Revolution {
    fn describe() -> AdapterInfo {
        AdapterInfo {
            id: ADAPTER_ID.to_string(),
            ehr: "RevolutionEHR".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "Writes exam findings, diagnoses and notes into RevolutionEHR \
                          encounters and reads its schedule and patients over its REST API"
                .to_string(),
            fields: describe_fields(),
            // The hosted service lives under revolutionehr.com; self-hosted or sandbox
            // installs are reached at whatever address the operator sets as `base_url`.
            http_origins: vec![
                "https://*.revolutionehr.com".to_string(),
                "config:base_url".to_string(),
            ],
            databases: Vec::new(),
            settings: vec![
                (
                    "base_url".to_string(),
                    "the practice's RevolutionEHR API address".to_string(),
                ),
                (
                    "request_timeout_secs".to_string(),
                    "optional: seconds to wait for any one answer from the EHR".to_string(),
                ),
            ],
        }
    }

    fn check() -> Result<CheckReport, AdapterError> {
        let api = api::Api::from_config()?;
        let ping = api.ping()?;
        // A reachable EHR that says it is not OK is still not usable: report it as an
        // EHR-side failure (retryable) rather than a success with a caveat.
        if !ping.status.eq_ignore_ascii_case("ok") {
            return Err(AdapterError::EhrInternal(format!(
                "GET /api/v1/ping answered status `{}`",
                ping.status
            )));
        }
        Ok(CheckReport {
            ehr_version: ping.version.clone(),
            details: vec![format!(
                "GET /api/v1/ping: 200, status {}, version {}",
                ping.status,
                ping.version.as_deref().unwrap_or("not reported")
            )],
        })
    }

    fn write_encounter(snapshot: EncounterSnapshot) -> Result<WriteResult, AdapterError> {
        write::write_encounter(&snapshot)
    }

    fn read_schedule(query: ScheduleQuery) -> Result<Vec<Appointment>, AdapterError> {
        schedule::read_schedule(&query)
    }

    fn read_patient(patient_id: String) -> Result<Patient, AdapterError> {
        schedule::read_patient(&patient_id)
    }
}

// Exported only when building the component. On a native target the generated export
// symbols (`ehr:adapter/adapter@0.1.0#check`, ...) are not valid linker version-script
// names, so the cdylib `cargo test` also builds would fail to link; the native tests call
// the `Adapter` impl directly instead.
#[cfg(target_arch = "wasm32")]
ehr_adapter_sdk::export!(Revolution);

/// `describe`'s field list: every mapping rule, then every catalog field the mapping does
/// not mention, so the list always covers the whole catalog even when the catalog grows
/// ahead of this adapter.
fn describe_fields() -> Vec<FieldMapping> {
    let mut fields = mapping::mapping().describe();
    // Raw rules carry no conversion note; say what the adapter does with them instead.
    for f in &mut fields {
        if let Some(note) = mapping::extra_note(&f.field) {
            f.note = if f.note.is_empty() {
                note.to_string()
            } else {
                format!("{}; {note}", f.note)
            };
        }
    }
    for field in catalog::fields() {
        if !fields.iter().any(|m| m.field == field.id) {
            fields.push(FieldMapping {
                field: field.id.clone(),
                target: None,
                note: format!(
                    "not written: this adapter version has no RevolutionEHR target for \
                     catalog field `{}` ({})",
                    field.id, field.label
                ),
            });
        }
    }
    fields
}
