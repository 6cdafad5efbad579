//! # crystalpm — the CrystalPM adapter for `ehr-host`
//!
//! Writes AI-scribe encounter snapshots into a CrystalPM practice database (MySQL or
//! MariaDB on the office server) and reads its schedule and patients. The host holds the
//! database connection and its password; this crate only names the database label
//! [`DB`] and sends parameterised statements.
//!
//! - [`mapping`]: catalog field → table and column;
//! - [`write`]: the write flow, in one transaction (wrong-patient guard, idempotency
//!   ledger, writes);
//! - [`schedule`]: appointments, demographics with insurance, providers and staff users.
//!
//! The schema it expects is `sql/schema.sql` (CrystalPM's tables plus the adapter's
//! `doctora_jobs` ledger).

pub mod mapping;
pub mod schedule;
pub mod write;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_schedule;

use ehr_adapter_sdk::prelude::*;

/// The adapter. Stateless: every call runs in a fresh instance.
pub struct CrystalPm;

/// The adapter id; must equal the package manifest's id.
pub const ADAPTER_ID: &str = "crystalpm";

/// The database label the adapter asks for; the operator maps it to a server in
/// `[databases.crystalpm]` and grants it with `databases = ["crystalpm"]`.
pub const DB: &str = "crystalpm";

/// A local EHR's database may be read every minute; a sync normally shows within 5
/// minutes and is abnormal after 15.
const LOCAL_SYNC_TIMING: SyncTiming = SyncTiming {
    min_poll_seconds: 60,
    normal_minutes: 5,
    abnormal_minutes: 15,
};

impl Adapter for CrystalPm {
    fn describe() -> AdapterInfo {
        AdapterInfo {
            id: ADAPTER_ID.to_string(),
            ehr: "CrystalPM".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "Writes exam findings, refraction, acuity, IOP, diagnoses and notes \
                          into a CrystalPM database and reads its schedule and patients"
                .to_string(),
            fields: mapping::mapping().describe_catalog("CrystalPM", "column"),
            http_origins: Vec::new(),
            databases: vec![DB.to_string()],
            settings: ehr_adapter_sdk::debug_hooks::settings(),
            sync_timing: LOCAL_SYNC_TIMING,
        }
    }

    fn check() -> Result<CheckReport, AdapterError> {
        write::LEDGER.check(
            "CrystalPM",
            "SELECT VERSION()",
            "SELECT COUNT(*) FROM patients",
            "doctora_jobs",
        )
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
        schedule::read_providers()
    }

    fn read_staff() -> Result<Vec<StaffUser>, AdapterError> {
        schedule::read_staff()
    }
}

#[cfg(target_arch = "wasm32")]
ehr_adapter_sdk::export!(CrystalPm);
