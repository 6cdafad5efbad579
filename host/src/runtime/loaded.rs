//! A loaded adapter version: its `InstancePre` and what it was granted. Every call gets a
//! new `Store` and instance, runs under the limits, and is dropped afterwards.

use super::bindings::latest::{
    AdapterError, AdapterInfo, Appointment, CheckReport, EhrAdapterPre, EncounterSnapshot, Patient,
    ScheduleQuery, WriteResult,
};
use super::error::CallError;
use super::limits::{Limits, MemoryLimitExceeded};
use super::state::CallState;
use crate::capabilities::credentials::Credentials;
use crate::capabilities::grants::Grants;
use crate::capabilities::http::HttpCapability;
use crate::capabilities::log::CallLog;
use crate::capabilities::sql::databases::Databases;
use crate::capabilities::sql::SqlCapability;
use crate::package::{Manifest, PublicKey};
use std::sync::Arc;
use std::time::Instant;
use wasmtime::{Store, UpdateDeadline};

/// Raised by the epoch callback when a call passes its deadline.
#[derive(Debug, thiserror::Error)]
#[error("call deadline exceeded")]
struct DeadlineExceeded;

/// One adapter version, ready to be called.
pub struct LoadedAdapter {
    pre: EhrAdapterPre<CallState>,
    /// Its manifest.
    pub manifest: Manifest,
    /// SHA-256 of its package file.
    pub hash: String,
    /// The publisher key that signed it (`None` for a component not packaged yet).
    pub publisher: Option<PublicKey>,
    grants: Arc<Grants>,
    credentials: Arc<Credentials>,
    http_client: reqwest::Client,
    databases: Arc<Databases>,
    limits: Limits,
    _ticker: Arc<super::engine::Ticker>,
}

/// The process-wide ways out that every loaded adapter shares: the HTTP client and the
/// database pools.
pub(crate) struct Outbound {
    /// The HTTP client.
    pub http_client: reqwest::Client,
    /// The operator's databases and their pools.
    pub databases: Arc<Databases>,
}

enum Op {
    Describe,
    Check,
    Write(EncounterSnapshot),
    Schedule(ScheduleQuery),
    Patient(String),
}

enum Output {
    Describe(AdapterInfo),
    Check(Result<CheckReport, AdapterError>),
    Write(Result<WriteResult, AdapterError>),
    Schedule(Result<Vec<Appointment>, AdapterError>),
    Patient(Result<Patient, AdapterError>),
}

impl LoadedAdapter {
    pub(crate) fn new(
        pre: EhrAdapterPre<CallState>,
        identity: super::engine::Identity,
        grants: Arc<Grants>,
        credentials: Arc<Credentials>,
        outbound: Outbound,
        limits: Limits,
        ticker: Arc<super::engine::Ticker>,
    ) -> Self {
        let Outbound {
            http_client,
            databases,
        } = outbound;
        LoadedAdapter {
            pre,
            manifest: identity.manifest,
            hash: identity.hash,
            publisher: identity.publisher,
            grants,
            credentials,
            http_client,
            databases,
            limits,
            _ticker: ticker,
        }
    }

    /// `describe`: what the adapter is and maps.
    pub async fn describe(&self) -> Result<AdapterInfo, CallError> {
        match self.run(None, Op::Describe).await? {
            Output::Describe(info) => Ok(info),
            _ => unreachable!("describe returns describe output"),
        }
    }

    /// `check`: is the EHR reachable and the session valid.
    pub async fn check(&self) -> Result<CheckReport, CallError> {
        match self.run(None, Op::Check).await? {
            Output::Check(r) => r.map_err(CallError::Adapter),
            _ => unreachable!("check returns check output"),
        }
    }

    /// `write-encounter` for one job.
    pub async fn write_encounter(
        &self,
        snapshot: EncounterSnapshot,
    ) -> Result<WriteResult, CallError> {
        let job = snapshot.job_id.clone();
        match self.run(Some(&job), Op::Write(snapshot)).await? {
            Output::Write(r) => r.map_err(CallError::Adapter),
            _ => unreachable!("write returns write output"),
        }
    }

    /// `read-schedule`.
    pub async fn read_schedule(&self, query: ScheduleQuery) -> Result<Vec<Appointment>, CallError> {
        match self.run(None, Op::Schedule(query)).await? {
            Output::Schedule(r) => r.map_err(CallError::Adapter),
            _ => unreachable!("read-schedule returns schedule output"),
        }
    }

    /// `read-patient`.
    pub async fn read_patient(&self, patient_id: String) -> Result<Patient, CallError> {
        match self.run(None, Op::Patient(patient_id)).await? {
            Output::Patient(r) => r.map_err(CallError::Adapter),
            _ => unreachable!("read-patient returns patient output"),
        }
    }

    fn new_store(&self, job: Option<&str>) -> Store<CallState> {
        let deadline = Instant::now() + self.limits.timeout;
        let http = HttpCapability::new(
            self.http_client.clone(),
            self.grants.clone(),
            self.credentials.clone(),
            self.limits.timeout,
            self.limits.http_body_bytes,
        )
        .with_call_deadline(deadline);
        let state = CallState::new(
            self.limits.memory_bytes,
            http,
            SqlCapability::new(self.grants.clone(), self.databases.clone()),
            Arc::new(self.grants.settings.clone()),
            CallLog::new(&self.manifest.id, &self.manifest.version.to_string(), job),
        );
        let mut store = Store::new(self.pre.engine(), state);
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= deadline {
                Err(DeadlineExceeded.into())
            } else {
                // Yield every tick so a busy adapter never starves other calls.
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store
    }

    async fn run(&self, job: Option<&str>, op: Op) -> Result<Output, CallError> {
        let mut store = self.new_store(job);
        let started = Instant::now();
        let call = async {
            let instance = self
                .pre
                .instantiate_async(&mut store)
                .await
                .map_err(|e| (true, e))?;
            let a = instance.ehr_adapter_adapter();
            let out = match op {
                Op::Describe => a.call_describe(&mut store).await.map(Output::Describe),
                Op::Check => a.call_check(&mut store).await.map(Output::Check),
                Op::Write(s) => a
                    .call_write_encounter(&mut store, &s)
                    .await
                    .map(Output::Write),
                Op::Schedule(q) => a
                    .call_read_schedule(&mut store, &q)
                    .await
                    .map(Output::Schedule),
                Op::Patient(p) => a
                    .call_read_patient(&mut store, &p)
                    .await
                    .map(Output::Patient),
            };
            out.map_err(|e| (false, e))
        };
        // Host calls (HTTP, SQL) are awaited outside wasm, where epochs cannot stop them;
        // the outer timeout covers those, with a little grace so the epoch fires first.
        let grace = super::engine::TICK * 10;
        let result = tokio::time::timeout(self.limits.timeout + grace, call).await;
        // However the call ended (returned, failed, trapped, ran out of time), its store
        // is ours again: roll back any transaction the adapter left open, before the
        // result is reported, so a failed job never leaves half an encounter behind.
        let rolled_back = store.data_mut().sql.finish().await;
        if !rolled_back.is_empty() {
            tracing::warn!(adapter = %self.manifest.id, databases = ?rolled_back, "call ended with open transactions; rolled back");
        }
        let elapsed = started.elapsed();
        let output = match result {
            Err(_) => Err(CallError::TimedOut {
                limit: self.limits.timeout,
            }),
            Ok(Ok(out)) => Ok(out),
            Ok(Err((instantiating, e))) => Err(self.classify(e, instantiating, store.data())),
        }?;
        tracing::debug!(adapter = %self.manifest.id, ?elapsed, "adapter call finished");
        self.check_output_size(&output)?;
        Ok(output)
    }

    fn classify(&self, e: wasmtime::Error, instantiating: bool, state: &CallState) -> CallError {
        if e.downcast_ref::<DeadlineExceeded>().is_some() {
            return CallError::TimedOut {
                limit: self.limits.timeout,
            };
        }
        if let Some(m) = e.downcast_ref::<MemoryLimitExceeded>() {
            return CallError::MemoryExceeded { limit: m.limit };
        }
        if e.downcast_ref::<wasmtime::Trap>().is_none() && instantiating {
            return CallError::Host(e.into());
        }
        let stderr = state.stderr_tail();
        let trap = match e.downcast_ref::<wasmtime::Trap>() {
            Some(t) => t.to_string(),
            None => format!("{e:#}"),
        };
        let message = if stderr.is_empty() {
            trap
        } else {
            format!("{trap}; adapter said: {stderr}")
        };
        CallError::Trapped { message }
    }

    fn check_output_size(&self, output: &Output) -> Result<(), CallError> {
        let size = match output {
            Output::Describe(v) => json_len(v),
            Output::Check(v) => json_len(v),
            Output::Write(v) => json_len(v),
            Output::Schedule(v) => json_len(v),
            Output::Patient(v) => json_len(v),
        };
        if size > self.limits.output_bytes {
            return Err(CallError::OutputTooLarge {
                size,
                limit: self.limits.output_bytes,
            });
        }
        Ok(())
    }
}

fn json_len<T: serde::Serialize>(v: &T) -> usize {
    serde_json::to_vec(v).map(|b| b.len()).unwrap_or(usize::MAX)
}
