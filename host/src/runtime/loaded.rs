//! A loaded adapter version: its `InstancePre` and what it was granted. Every call gets a
//! new `Store` and instance, runs under the limits, and is dropped afterwards.
//!
//! Everything a call returns (results and errors) leaves with every secret the host holds
//! for the adapter redacted ([`LoadedAdapter::redact`]): an EHR that reflected a token to
//! the adapter cannot get it stored or shown through the adapter's answer.

use super::bindings::latest::{
    AdapterInfo, Appointment, CheckReport, EncounterSnapshot, Patient, Provider, ScheduleQuery,
    StaffUser, WriteResult,
};
use super::bindings::{AdapterPre, Answer, Call};
use super::error::CallError;
use super::job::JobControl;
use super::limits::{Limits, MemoryLimitExceeded};
use super::state::CallState;
use crate::capabilities::credentials::Credentials;
use crate::capabilities::grants::Grants;
use crate::capabilities::http::HttpCapability;
use crate::capabilities::log::CallLog;
use crate::capabilities::secrets::{returned, SecretSet};
use crate::capabilities::sql::databases::Databases;
use crate::capabilities::sql::SqlCapability;
use crate::capabilities::waiting::EhrWait;
use crate::package::{Manifest, PublicKey};
use crate::remediation::Situation;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::{Store, UpdateDeadline};

/// A call stopped at its deadline after computing this long without a host call is a
/// guest that never yields (an adapter bug); a shorter stretch means it was waiting on the
/// EHR until just before (a slow EHR: retryable). Half the limit when that is shorter.
const NEVER_YIELDS: Duration = Duration::from_secs(5);

/// Raised by the epoch callback when a call passes its deadline.
#[derive(Debug, thiserror::Error)]
#[error("call deadline exceeded")]
struct DeadlineExceeded;

/// One adapter version, ready to be called.
pub struct LoadedAdapter {
    pre: AdapterPre,
    /// Its manifest.
    pub manifest: Manifest,
    /// SHA-256 of its package file.
    pub hash: String,
    /// The publisher key that signed it (`None` for a component not packaged yet).
    pub publisher: Option<PublicKey>,
    /// What the advice for its failures depends on (local EHR, kind of credential).
    pub situation: Situation,
    grants: Arc<Grants>,
    /// The operator's settings for it, shared by every call (not copied per call).
    settings: Arc<BTreeMap<String, String>>,
    credentials: Arc<Credentials>,
    secrets: SecretSet,
    /// What every call's log starts from.
    log: CallLog,
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

impl LoadedAdapter {
    pub(crate) fn new(
        pre: AdapterPre,
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
        // Shared with the credentials, which add the tokens they obtain.
        let secrets = credentials.secrets().clone();
        for password in databases.passwords() {
            secrets.add_configured(password);
        }
        let m = &identity.manifest;
        let log = CallLog::new(&m.id, &m.version.to_string(), None).with_secrets(secrets.clone());
        LoadedAdapter {
            pre,
            situation: Situation::of(&identity.manifest, credentials.primary()),
            manifest: identity.manifest,
            hash: identity.hash,
            publisher: identity.publisher,
            settings: Arc::new(grants.settings.clone()),
            log,
            grants,
            credentials,
            secrets,
            http_client,
            databases,
            limits,
            _ticker: ticker,
        }
    }

    /// The same compiled version with another operator configuration: its own grants,
    /// settings and credentials (and so its own secrets to redact). The hub writes each
    /// practice's cloud-EHR jobs with the practice's own account this way; the code and
    /// the pre-instantiation are shared, nothing is compiled again.
    pub fn configured(&self, config: &crate::config::AdapterConfig) -> LoadedAdapter {
        LoadedAdapter::new(
            self.pre.clone(),
            super::engine::Identity {
                manifest: self.manifest.clone(),
                hash: self.hash.clone(),
                publisher: self.publisher,
            },
            Arc::new(Grants::new(&self.manifest, config)),
            Arc::new(Credentials::from_config(config)),
            Outbound {
                http_client: self.http_client.clone(),
                databases: self.databases.clone(),
            },
            self.limits,
            self._ticker.clone(),
        )
    }

    /// `text` with every secret the host holds for this adapter (configured tokens,
    /// client secrets, database passwords, OAuth2 tokens obtained so far) replaced by
    /// `[redacted]`, also in their URL-, JSON- and base64-encoded forms. What this
    /// adapter's calls return has been through it already; apply it to any other text
    /// built from them before it is stored or shown.
    pub fn redact(&self, text: &str) -> String {
        self.secrets.redact(text)
    }

    /// `describe`: what the adapter is and maps.
    pub async fn describe(&self) -> Result<AdapterInfo, CallError> {
        match self.run(None, Call::Describe).await? {
            Answer::Describe(info) => Ok(info),
            _ => unreachable!("describe returns describe output"),
        }
    }

    /// `check`: is the EHR reachable and the session valid.
    pub async fn check(&self) -> Result<CheckReport, CallError> {
        match self.run(None, Call::Check).await? {
            Answer::Check(r) => r.map_err(CallError::Adapter),
            _ => unreachable!("check returns check output"),
        }
    }

    /// `write-encounter` for one job.
    pub async fn write_encounter(
        &self,
        snapshot: EncounterSnapshot,
    ) -> Result<WriteResult, CallError> {
        self.write_job(snapshot, Arc::new(JobControl::new())).await
    }

    /// `write-encounter` for one queued job: `control` carries a person's cancel to the
    /// adapter (through the host, between requests) and collects what it reports landed.
    pub async fn write_job(
        &self,
        snapshot: EncounterSnapshot,
        control: Arc<JobControl>,
    ) -> Result<WriteResult, CallError> {
        let job = snapshot.job_id.clone();
        match self
            .run_with(Some(&job), Some(control), Call::Write(snapshot))
            .await?
        {
            Answer::Write(r) => r.map_err(CallError::Adapter),
            _ => unreachable!("write returns write output"),
        }
    }

    /// `read-schedule`.
    pub async fn read_schedule(&self, query: ScheduleQuery) -> Result<Vec<Appointment>, CallError> {
        match self.run(None, Call::Schedule(query)).await? {
            Answer::Schedule(r) => r.map_err(CallError::Adapter),
            _ => unreachable!("read-schedule returns schedule output"),
        }
    }

    /// `read-patient`.
    pub async fn read_patient(&self, patient_id: String) -> Result<Patient, CallError> {
        match self.run(None, Call::Patient(patient_id)).await? {
            Answer::Patient(r) => r.map_err(CallError::Adapter),
            _ => unreachable!("read-patient returns patient output"),
        }
    }

    /// `read-providers` (an adapter on contract 0.1.0 answers that it cannot).
    pub async fn read_providers(&self) -> Result<Vec<Provider>, CallError> {
        match self.run(None, Call::Providers).await? {
            Answer::Providers(r) => r.map_err(CallError::Adapter),
            _ => unreachable!("read-providers returns providers"),
        }
    }

    /// `read-staff` (an adapter on contract 0.1.0 answers that it cannot).
    pub async fn read_staff(&self) -> Result<Vec<StaffUser>, CallError> {
        match self.run(None, Call::Staff).await? {
            Answer::Staff(r) => r.map_err(CallError::Adapter),
            _ => unreachable!("read-staff returns staff users"),
        }
    }

    /// A fresh store and instance, exactly as every call makes them, dropped without
    /// calling anything: the fixed cost of a call before the adapter runs (benchmarks).
    pub async fn instantiate_only(&self) -> Result<(), CallError> {
        let deadline = Instant::now() + self.limits.timeout;
        let mut store = self.new_store(None, None, deadline);
        self.pre
            .instantiate(&mut store)
            .await
            .map_err(|e| CallError::Host(e.into()))
    }

    fn new_store(
        &self,
        job: Option<&str>,
        control: Option<Arc<JobControl>>,
        deadline: Instant,
    ) -> Store<CallState> {
        let wait = EhrWait::new();
        let http = HttpCapability::new(
            self.http_client.clone(),
            self.grants.clone(),
            self.credentials.clone(),
            self.limits.timeout,
            self.limits.http_body_bytes,
        )
        .with_call_deadline(deadline)
        .with_wait(wait.clone())
        .with_job(control.clone());
        let mut state = CallState::new(
            self.limits.memory_bytes,
            http,
            SqlCapability::new(self.grants.clone(), self.databases.clone()).with_wait(wait.clone()),
            self.settings.clone(),
            self.log.for_call(job),
            wait,
        );
        state.job = control;
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

    async fn run(&self, job: Option<&str>, call: Call) -> Result<Answer, CallError> {
        self.run_with(job, None, call).await
    }

    async fn run_with(
        &self,
        job: Option<&str>,
        control: Option<Arc<JobControl>>,
        call: Call,
    ) -> Result<Answer, CallError> {
        let started = Instant::now();
        let deadline = started + self.limits.timeout;
        let mut store = self.new_store(job, control, deadline);
        let call = self.pre.call(&mut store, call);
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
        let redact = |t: String| self.secrets.redact_owned(t);
        // An error is one message, logged and stored by whoever handles it: its adapter
        // text leaves here redacted and as one safe line. Results are data; they leave
        // redacted, and are made safe where they are shown.
        let error_text = |t: String| crate::untrusted::clean(&redact(t), crate::untrusted::MESSAGE);
        let output = match result {
            Err(_) => Err(self.out_of_time(store.data(), deadline)),
            Ok(Ok(out)) => Ok(out),
            Ok(Err((instantiating, e))) => {
                Err(self.classify(e, instantiating, store.data(), deadline))
            }
        }
        .map_err(|e| e.map_adapter_text(&error_text))?;
        tracing::debug!(adapter = %self.manifest.id, ?elapsed, "adapter call finished");
        self.check_output_size(&output)?;
        Ok(redact_output(output, &redact))
    }

    /// A call stopped at `deadline`: a timeout when it was waiting on the EHR (a host
    /// call in flight, or one that had only just returned), else a guest that never
    /// yields.
    fn out_of_time(&self, state: &CallState, deadline: Instant) -> CallError {
        let limit = self.limits.timeout;
        let computing = state.wait.computing_for(deadline);
        if computing >= NEVER_YIELDS.min(limit / 2) {
            CallError::Hung { limit, computing }
        } else {
            CallError::TimedOut { limit }
        }
    }

    fn classify(
        &self,
        e: wasmtime::Error,
        instantiating: bool,
        state: &CallState,
        deadline: Instant,
    ) -> CallError {
        if e.downcast_ref::<DeadlineExceeded>().is_some() {
            return self.out_of_time(state, deadline);
        }
        if let Some(m) = e.downcast_ref::<MemoryLimitExceeded>() {
            return CallError::MemoryExceeded { limit: m.limit };
        }
        if e.downcast_ref::<wasmtime::Trap>().is_none() && instantiating {
            return CallError::Host(e.into());
        }
        let stderr = state.stderr_tail();
        let trap = super::error::trap_words(&e);
        let message = if stderr.is_empty() {
            trap
        } else {
            format!("{trap}; adapter said: {stderr}")
        };
        CallError::Trapped { message }
    }

    /// Refuses an answer whose JSON would exceed the output limit, measured by walking
    /// the typed answer (nothing is serialised: this runs on every call).
    fn check_output_size(&self, output: &Answer) -> Result<(), CallError> {
        let size = super::json_size::json_len(output);
        if size > self.limits.output_bytes {
            return Err(CallError::OutputTooLarge {
                size,
                limit: self.limits.output_bytes,
            });
        }
        Ok(())
    }
}

/// `output` with its text passed through `f`; a typed error inside it also made one safe
/// line, like every error a call returns.
fn redact_output(output: Answer, f: returned::TextFn) -> Answer {
    let error_text = |t: String| crate::untrusted::clean(&f(t), crate::untrusted::MESSAGE);
    let e = &error_text;
    match output {
        Answer::Describe(i) => Answer::Describe(returned::adapter_info(i, f)),
        Answer::Check(r) => Answer::Check(
            r.map(|c| returned::check_report(c, f))
                .map_err(|x| returned::adapter_error(x, e)),
        ),
        Answer::Write(r) => Answer::Write(
            r.map(|w| returned::write_result(w, f))
                .map_err(|x| returned::adapter_error(x, e)),
        ),
        Answer::Schedule(r) => Answer::Schedule(
            r.map(|a| returned::appointments(a, f))
                .map_err(|x| returned::adapter_error(x, e)),
        ),
        Answer::Patient(r) => Answer::Patient(
            r.map(|p| returned::patient(p, f))
                .map_err(|x| returned::adapter_error(x, e)),
        ),
        Answer::Providers(r) => Answer::Providers(
            r.map(|l| returned::providers(l, f))
                .map_err(|x| returned::adapter_error(x, e)),
        ),
        Answer::Staff(r) => Answer::Staff(
            r.map(|l| returned::staff(l, f))
                .map_err(|x| returned::adapter_error(x, e)),
        ),
    }
}
