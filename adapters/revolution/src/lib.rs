//! # revolution — the RevolutionEHR adapter for `ehr-host`
//!
//! Writes AI-scribe encounter snapshots into RevolutionEHR's exam API and reads its
//! schedule and patients. The host runs this crate as a signed WebAssembly component:
//! it supplies outbound HTTP (adding the practice's credentials itself), the operator's
//! settings and logging; this crate never sees a token and never sets `Authorization`.
//!
//! - [`mapping`]: which catalog field goes to which EHR exam field, with conversions;
//! - [`api`]: typed calls to the EHR's REST API and the JSON shapes it speaks;
//! - [`write`]: the write flow (identity guard, template, landed check, writes), built on
//!   the SDK's `identity`, `write` and `rest` modules;
//! - [`practice`]: the providers (active or not) and staff users, for schedule sync;
//! - [`schedule`]: appointments and patient demographics.
//!
//! Settings: `base_url` (required), the practice's API address such as
//! `https://acme.revolutionehr.com` or, in tests, `http://127.0.0.1:PORT`;
//! `request_timeout_secs` (optional), how long to wait for any one answer from the EHR;
//! `non_ascii_marker` (optional), written for characters with no ASCII form.

pub mod api;
pub mod mapping;
pub mod practice;
pub mod schedule;
pub mod write;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_practice;
#[cfg(test)]
mod tests_state;

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
            fields: mapping::mapping().describe_catalog("RevolutionEHR", "target"),
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
                config::non_ascii_setting(),
            ],
            sync_timing: ehr_adapter_sdk::DEFAULT_SYNC_TIMING,
        }
    }

    fn check() -> Result<CheckReport, AdapterError> {
        api::Api::from_config()?
            .0
            .health(&["ping"], "status", "ok", "version")
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

    fn read_providers() -> Result<Vec<Provider>, AdapterError> {
        practice::read_providers()
    }

    fn read_staff() -> Result<Vec<StaffUser>, AdapterError> {
        practice::read_staff()
    }
}

// Exported only when building the component: on a native target the export symbols are
// not valid linker names; the native tests call the `Adapter` impl directly instead.
#[cfg(target_arch = "wasm32")]
ehr_adapter_sdk::export!(Revolution);
