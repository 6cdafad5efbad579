//! One adapter version pre-instantiated, whichever contract version it speaks, called in
//! the newest contract's types.

use super::exports::Exports;
use super::latest::{
    AdapterError, AdapterInfo, Appointment, CheckReport, EncounterSnapshot, Patient, Provider,
    ScheduleQuery, StaffUser, WriteResult,
};
use super::{v0_1_0, v0_2_0};
use crate::runtime::state::CallState;
use anyhow::bail;
use wasmtime::component::InstancePre;
use wasmtime::Store;

/// A pre-instantiated adapter of some supported contract version (cheap to clone: the
/// compiled code is shared).
#[derive(Clone)]
pub enum AdapterPre {
    /// Built for `ehr:adapter@0.1.0`.
    V0_1_0(v0_1_0::EhrAdapterPre<CallState>),
    /// Built for `ehr:adapter@0.2.0`: its exports are called directly ([`Exports`]).
    V0_2_0(v0_2_0::EhrAdapterPre<CallState>, Exports),
}

/// A call into an adapter's exports.
pub enum Call {
    /// `describe`.
    Describe,
    /// `check`.
    Check,
    /// `write-encounter`.
    Write(EncounterSnapshot),
    /// `read-schedule`.
    Schedule(ScheduleQuery),
    /// `read-patient`.
    Patient(String),
    /// `read-providers` (0.2.0 and later).
    Providers,
    /// `read-staff` (0.2.0 and later).
    Staff,
}

/// What a call returned, in the newest contract's types.
#[derive(Debug, serde::Serialize)]
pub enum Answer {
    /// From `describe`.
    Describe(AdapterInfo),
    /// From `check`.
    Check(Result<CheckReport, AdapterError>),
    /// From `write-encounter`.
    Write(Result<WriteResult, AdapterError>),
    /// From `read-schedule`.
    Schedule(Result<Vec<Appointment>, AdapterError>),
    /// From `read-patient`.
    Patient(Result<Patient, AdapterError>),
    /// From `read-providers`.
    Providers(Result<Vec<Provider>, AdapterError>),
    /// From `read-staff`.
    Staff(Result<Vec<StaffUser>, AdapterError>),
}

/// Why a call produced no answer: whether it failed while instantiating, and the error.
pub type CallFailure = (bool, wasmtime::Error);

impl AdapterPre {
    /// Types `pre` as the bindings of `contract`; fails if the component does not match.
    pub fn new(
        pre: InstancePre<CallState>,
        contract: &semver::Version,
    ) -> anyhow::Result<AdapterPre> {
        let typed = match (contract.major, contract.minor) {
            (0, 1) => {
                AdapterPre::V0_1_0(v0_1_0::EhrAdapterPre::new(pre).map_err(anyhow::Error::from)?)
            }
            (0, 2) => {
                let exports = Exports::find(pre.component())?;
                AdapterPre::V0_2_0(
                    v0_2_0::EhrAdapterPre::new(pre).map_err(anyhow::Error::from)?,
                    exports,
                )
            }
            _ => bail!(
                "contract {contract} is not supported by this host ({})",
                crate::contract::supported_description()
            ),
        };
        Ok(typed)
    }

    /// The engine the adapter was compiled for.
    pub fn engine(&self) -> &wasmtime::Engine {
        match self {
            AdapterPre::V0_1_0(p) => p.engine(),
            AdapterPre::V0_2_0(p, _) => p.engine(),
        }
    }

    /// Instantiates in `store` and calls nothing: what every call pays before the
    /// adapter runs.
    pub async fn instantiate(&self, store: &mut Store<CallState>) -> wasmtime::Result<()> {
        match self {
            AdapterPre::V0_1_0(pre) => pre.instantiate_async(store).await.map(drop),
            AdapterPre::V0_2_0(pre, _) => {
                pre.instance_pre().instantiate_async(store).await.map(drop)
            }
        }
    }

    /// Instantiates in `store` and makes `call`.
    pub async fn call(
        &self,
        store: &mut Store<CallState>,
        call: Call,
    ) -> Result<Answer, CallFailure> {
        match self {
            AdapterPre::V0_2_0(pre, exports) => {
                let instance = pre
                    .instance_pre()
                    .instantiate_async(&mut *store)
                    .await
                    .map_err(|e| (true, e))?;
                let (x, s, i) = (exports, &mut *store, instance);
                let out = match call {
                    Call::Describe => x.describe(s, i).await.map(Answer::Describe),
                    Call::Check => x.check(s, i).await.map(Answer::Check),
                    Call::Write(snapshot) => {
                        x.write_encounter(s, i, &snapshot).await.map(Answer::Write)
                    }
                    Call::Schedule(q) => x.read_schedule(s, i, &q).await.map(Answer::Schedule),
                    Call::Patient(id) => x.read_patient(s, i, &id).await.map(Answer::Patient),
                    Call::Providers => x.read_providers(s, i).await.map(Answer::Providers),
                    Call::Staff => x.read_staff(s, i).await.map(Answer::Staff),
                };
                out
            }
            AdapterPre::V0_1_0(pre) => {
                if let Some(answer) = beyond_0_1_0(&call) {
                    return Ok(answer);
                }
                let instance = pre
                    .instantiate_async(&mut *store)
                    .await
                    .map_err(|e| (true, e))?;
                let a = instance.ehr_adapter_adapter();
                let s = &mut *store;
                use v0_1_0 as old;
                let out = match call {
                    Call::Describe => a
                        .call_describe(s)
                        .await
                        .map(|i| Answer::Describe(old::info(i))),
                    Call::Check => a
                        .call_check(s)
                        .await
                        .map(|r| Answer::Check(r.map(old::check).map_err(old::error))),
                    Call::Write(snapshot) => a
                        .call_write_encounter(s, &old::snapshot(&snapshot))
                        .await
                        .map(|r| Answer::Write(r.map(old::write_result).map_err(old::error))),
                    Call::Schedule(q) => a.call_read_schedule(s, &old::query(&q)).await.map(|r| {
                        Answer::Schedule(
                            r.map(|l| l.into_iter().map(old::appointment).collect())
                                .map_err(old::error),
                        )
                    }),
                    Call::Patient(id) => a
                        .call_read_patient(s, &id)
                        .await
                        .map(|r| Answer::Patient(r.map(old::patient).map_err(old::error))),
                    Call::Providers | Call::Staff => unreachable!("answered above"),
                };
                out.map_err(|e| (false, e))
            }
        }
    }
}

/// The answer a 0.1.0 adapter gives, without being called, to what it cannot do.
fn beyond_0_1_0(call: &Call) -> Option<Answer> {
    let cannot = |what: &str| {
        AdapterError::Misconfigured(format!(
            "this adapter is built for contract 0.1.0, which cannot read {what}; ask its publisher for a version built for contract 0.2.0"
        ))
    };
    match call {
        Call::Providers => Some(Answer::Providers(Err(cannot("providers")))),
        Call::Staff => Some(Answer::Staff(Err(cannot("staff users")))),
        _ => None,
    }
}
