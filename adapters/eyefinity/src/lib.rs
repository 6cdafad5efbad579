//! # eyefinity — the Eyefinity adapter for `ehr-host`
//!
//! Writes AI-scribe encounter snapshots into Eyefinity visits as one exam document per
//! visit, and reads its schedule and patients. The host runs this crate as a signed
//! WebAssembly component: it supplies outbound HTTP (adding the practice's credentials
//! itself), the operator's settings and logging; this crate never sees a token.
//!
//! - [`mapping`]: which catalog field goes to which document element;
//! - [`api`]: typed calls to the EHR's API and the JSON shapes it speaks;
//! - [`write`]: the write flow (identity guard, form, landed check, one save), built on
//!   the SDK's `identity`, `write` and `rest` modules;
//! - [`practice`]: the providers (active or not) and staff users, for schedule sync;
//! - [`schedule`]: appointments (one request per day) and patient demographics.
//!
//! Settings: `base_url` (required), the practice's API address; `request_timeout_secs`
//! (optional), how long to wait for any one answer from the EHR.

#![warn(missing_docs)]

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

/// The adapter. It holds no state: every call runs in a fresh instance.
pub struct Eyefinity;

/// The adapter id; must equal the package manifest's id.
pub const ADAPTER_ID: &str = "eyefinity";

impl Adapter for Eyefinity {
    fn describe() -> AdapterInfo {
        AdapterInfo {
            id: ADAPTER_ID.to_string(),
            ehr: "Eyefinity".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "Writes the exam as one document per Eyefinity visit (findings, \
                          keratometry, diagnoses, note) and reads its schedule and patients"
                .to_string(),
            fields: mapping::mapping().describe_catalog("Eyefinity", "element"),
            http_origins: vec![
                "https://*.eyefinity.com".to_string(),
                "config:base_url".to_string(),
            ],
            databases: Vec::new(),
            settings: vec![
                (
                    "base_url".to_string(),
                    "the practice's Eyefinity API address".to_string(),
                ),
                (
                    "request_timeout_secs".to_string(),
                    "optional: seconds to wait for any one answer from the EHR".to_string(),
                ),
            ],
            sync_timing: ehr_adapter_sdk::DEFAULT_SYNC_TIMING,
        }
    }

    fn check() -> Result<CheckReport, AdapterError> {
        api::Api::from_config()?
            .0
            .health(&["status"], "state", "up", "build")
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

// Exported only when building the component (see the revolution adapter for why).
#[cfg(target_arch = "wasm32")]
ehr_adapter_sdk::export!(Eyefinity);
