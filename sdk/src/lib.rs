//! # ehr-adapter-sdk
//!
//! Everything an EHR adapter for `ehr-host` needs: the contract types, the [`Adapter`]
//! trait and [`export!`] macro, wrappers for the host capabilities ([`http`], [`sql`],
//! [`log`], [`config`]), a declarative [`mapping`] from catalog fields to EHR targets, the
//! [`catalog`] itself, and a [`testing`] harness that runs adapter code natively against
//! stubbed HTTP and SQL replies. The safe write is the short one: the [`identity`] guard,
//! the [`write`] order (a job that landed is never reported as refused), the [`rest`]
//! client (escaped ids, idempotency keys, typed errors), the shared [`icd10`] validator
//! and ASCII [`text`] that never loses meaning.
//!
//! ```ignore
//! use ehr_adapter_sdk::prelude::*;
//!
//! struct MyEhr;
//! impl Adapter for MyEhr {
//!     fn describe() -> AdapterInfo { /* ... */ }
//!     fn check() -> Result<CheckReport, AdapterError> { /* ... */ }
//!     fn write_encounter(s: EncounterSnapshot) -> Result<WriteResult, AdapterError> { /* ... */ }
//! }
//! ehr_adapter_sdk::export!(MyEhr);
//! ```
//!
//! Build with `cargo build --target wasm32-wasip2 --release`; the result is a component
//! that `ehr-host sign` packages.

pub mod bindings;
pub mod catalog;
pub mod config;
pub mod debug_hooks;
pub mod http;
pub mod icd10;
pub mod identity;
pub mod job;
pub mod ledger;
pub mod log;
pub mod mapping;
pub mod report;
pub mod rest;
pub mod schedule_rows;
pub mod sql;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
pub mod text;
pub mod write;

pub use bindings::ehr::adapter::types::*;

/// The SDK README's examples, compiled and run as doctests so the walk-through authors
/// follow cannot drift from the SDK.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// Imports most adapters need: every contract type a snapshot, a report or an error is
/// made of, the mapping, and the capability modules.
pub mod prelude {
    pub use crate::mapping::{Mapping, Plan, Unit};
    pub use crate::report::{skipped, written};
    pub use crate::{config, http, log, sql, Adapter};
    pub use crate::{
        AdapterError, AdapterInfo, Appointment, CheckReport, ClinicalField, Diagnosis,
        EncounterSnapshot, FieldError, FieldMapping, FieldResult, FieldStatus, FieldValue,
        FieldWarning, Laterality, Notice, NoticeKind, Patient, PatientRef, Permission, Procedure,
        Provider, RateLimit, Rejection, SchedulePatient, ScheduleQuery, SkipReason, StaffUser,
        SyncTiming, TemplateRef, WarningKind, WriteResult,
    };
}

/// The patient record nested in an [`Appointment`] (the same type as [`Patient`]).
pub type SchedulePatient = Patient;

/// What an adapter implements. Each method is one export of the contract; the host calls
/// each in a fresh instance, so keep no state between calls.
pub trait Adapter {
    /// Says what the adapter is, what it maps and what it needs. Must not do I/O.
    fn describe() -> AdapterInfo;

    /// Checks that the EHR is reachable and the credentials or session are valid.
    fn check() -> Result<CheckReport, AdapterError>;

    /// Writes one encounter and reports every field. Verify the encounter belongs to
    /// `snapshot.patient` before writing, and use `snapshot.job_id` as the idempotency key.
    fn write_encounter(snapshot: EncounterSnapshot) -> Result<WriteResult, AdapterError>;

    /// Reads appointments. The default says the adapter cannot.
    fn read_schedule(_query: ScheduleQuery) -> Result<Vec<Appointment>, AdapterError> {
        Err(AdapterError::Misconfigured(
            "this adapter does not read schedules".into(),
        ))
    }

    /// Reads one patient. The default says the adapter cannot.
    fn read_patient(_patient_id: String) -> Result<Patient, AdapterError> {
        Err(AdapterError::Misconfigured(
            "this adapter does not read patients".into(),
        ))
    }

    /// Reads the practice's providers, with whether each is active (for schedule sync).
    /// The default says the adapter cannot.
    fn read_providers() -> Result<Vec<Provider>, AdapterError> {
        Err(AdapterError::Misconfigured(
            "this adapter does not read providers".into(),
        ))
    }

    /// Reads the practice's staff users and their emails (for schedule sync). The default
    /// says the adapter cannot.
    fn read_staff() -> Result<Vec<StaffUser>, AdapterError> {
        Err(AdapterError::Misconfigured(
            "this adapter does not read staff users".into(),
        ))
    }
}

/// The schedule-sync timing of an EHR whose schedule may be read every 5 minutes, where a
/// sync normally shows within 15 minutes and is abnormal after 30 (the practice guide's
/// most common row). Adapters for slower EHRs declare their own.
pub const DEFAULT_SYNC_TIMING: SyncTiming = SyncTiming {
    min_poll_seconds: 300,
    normal_minutes: 15,
    abnormal_minutes: 30,
};

impl<T: Adapter> bindings::exports::ehr::adapter::adapter::Guest for T {
    fn describe() -> AdapterInfo {
        T::describe()
    }
    fn check() -> Result<CheckReport, AdapterError> {
        T::check()
    }
    fn write_encounter(snapshot: EncounterSnapshot) -> Result<WriteResult, AdapterError> {
        // An adapter built on the SDK reports every part that lands (`write::write_parts`,
        // `ledger::Ledger::write`). Saying so before it starts, with nothing landed, lets
        // the host tell "nothing is in the chart" from "it cannot say" when the call stops
        // early. An adapter that writes outside those helpers reports with `job::progress`.
        if !job::progress("reading the encounter", &[]) {
            return Err(job::stopped(&snapshot.job_id));
        }
        T::write_encounter(snapshot)
    }
    fn read_schedule(query: ScheduleQuery) -> Result<Vec<Appointment>, AdapterError> {
        T::read_schedule(query)
    }
    fn read_patient(patient_id: String) -> Result<Patient, AdapterError> {
        T::read_patient(patient_id)
    }
    fn read_providers() -> Result<Vec<Provider>, AdapterError> {
        T::read_providers()
    }
    fn read_staff() -> Result<Vec<StaffUser>, AdapterError> {
        T::read_staff()
    }
}

impl Laterality {
    /// The eye as charts abbreviate it: `OD` (right), `OS` (left), `OU` (both); `None`
    /// when no eye applies.
    pub fn eye_code(&self) -> Option<&'static str> {
        match self {
            Laterality::Right => Some("OD"),
            Laterality::Left => Some("OS"),
            Laterality::Both => Some("OU"),
            Laterality::NotApplicable => None,
        }
    }
}

/// Exports a type implementing [`Adapter`] as the component's `adapter` interface.
/// Only on `wasm32`: the export names (`ehr:adapter/adapter@0.2.0#check`) are not valid
/// symbols for native linkers, and native builds exist only for tests with the harness.
#[macro_export]
macro_rules! export {
    ($ty:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::export_bindings!($ty with_types_in $crate::bindings);
    };
}
