//! Calls into a contract 0.2.0 adapter's exports, found once per loaded version.
//!
//! The generated bindings look up and type-check all seven exports on every
//! instantiation (`GuestIndices::load`), although a call uses one: with a fresh instance
//! per call that was a measurable part of every call's fixed cost. Here each export's
//! index is found when the adapter is loaded, and a call type-checks only the function
//! it makes, as bare wasmtime would.

use super::v0_2_0::{
    AdapterError, AdapterInfo, Appointment, CheckReport, EncounterSnapshot, Patient, Provider,
    ScheduleQuery, StaffUser, WriteResult,
};
use crate::runtime::state::CallState;
use anyhow::Context;
use wasmtime::component::{
    Component, ComponentExportIndex, ComponentNamedList, Instance, Lift, Lower,
};
use wasmtime::Store;

/// The interface every 0.2.0 adapter exports.
const INTERFACE: &str = "ehr:adapter/adapter@0.2.0";

/// Where each export of the adapter interface is in one compiled component.
#[derive(Debug, Clone, Copy)]
pub struct Exports {
    describe: ComponentExportIndex,
    check: ComponentExportIndex,
    write_encounter: ComponentExportIndex,
    read_schedule: ComponentExportIndex,
    read_patient: ComponentExportIndex,
    read_providers: ComponentExportIndex,
    read_staff: ComponentExportIndex,
}

impl Exports {
    /// Finds the exports in `component`; fails naming the first one it lacks.
    pub fn find(component: &Component) -> anyhow::Result<Exports> {
        let interface = component
            .get_export_index(None, INTERFACE)
            .with_context(|| format!("the component does not export {INTERFACE}"))?;
        let find = |name: &str| {
            component
                .get_export_index(Some(&interface), name)
                .with_context(|| format!("the component's {INTERFACE} lacks `{name}`"))
        };
        Ok(Exports {
            describe: find("describe")?,
            check: find("check")?,
            write_encounter: find("write-encounter")?,
            read_schedule: find("read-schedule")?,
            read_patient: find("read-patient")?,
            read_providers: find("read-providers")?,
            read_staff: find("read-staff")?,
        })
    }

    /// `describe`.
    pub async fn describe(&self, s: &mut Store<CallState>, i: Instance) -> Result<AdapterInfo> {
        call(s, i, self.describe, ()).await
    }

    /// `check`.
    pub async fn check(
        &self,
        s: &mut Store<CallState>,
        i: Instance,
    ) -> Result<std::result::Result<CheckReport, AdapterError>> {
        call(s, i, self.check, ()).await
    }

    /// `write-encounter`.
    pub async fn write_encounter(
        &self,
        s: &mut Store<CallState>,
        i: Instance,
        snapshot: &EncounterSnapshot,
    ) -> Result<std::result::Result<WriteResult, AdapterError>> {
        call(s, i, self.write_encounter, (snapshot,)).await
    }

    /// `read-schedule`.
    pub async fn read_schedule(
        &self,
        s: &mut Store<CallState>,
        i: Instance,
        query: &ScheduleQuery,
    ) -> Result<std::result::Result<Vec<Appointment>, AdapterError>> {
        call(s, i, self.read_schedule, (query,)).await
    }

    /// `read-patient`.
    pub async fn read_patient(
        &self,
        s: &mut Store<CallState>,
        i: Instance,
        patient_id: &str,
    ) -> Result<std::result::Result<Patient, AdapterError>> {
        call(s, i, self.read_patient, (patient_id,)).await
    }

    /// `read-providers`.
    pub async fn read_providers(
        &self,
        s: &mut Store<CallState>,
        i: Instance,
    ) -> Result<std::result::Result<Vec<Provider>, AdapterError>> {
        call(s, i, self.read_providers, ()).await
    }

    /// `read-staff`.
    pub async fn read_staff(
        &self,
        s: &mut Store<CallState>,
        i: Instance,
    ) -> Result<std::result::Result<Vec<StaffUser>, AdapterError>> {
        call(s, i, self.read_staff, ()).await
    }
}

/// What a call into the component returns: its result, or why it has none (as
/// [`super::pre::CallFailure`]: a function whose type does not match the contract is a
/// failure to set the call up, like a failed instantiation; a trap, the deadline or the
/// memory limit is the call's own).
pub type Result<T> = std::result::Result<T, super::pre::CallFailure>;

/// Calls the export at `index` of `instance` with `params`, type-checking that one
/// function against the types the host expects.
async fn call<P, R>(
    store: &mut Store<CallState>,
    instance: Instance,
    index: ComponentExportIndex,
    params: P,
) -> Result<R>
where
    P: ComponentNamedList + Lower + Send + Sync,
    (R,): ComponentNamedList + Lift + Send + Sync + 'static,
{
    let f = instance
        .get_typed_func::<P, (R,)>(&mut *store, index)
        .map_err(|e| (true, e))?;
    let (out,) = f
        .call_async(&mut *store, params)
        .await
        .map_err(|e| (false, e))?;
    Ok(out)
}
