//! What the hub keeps besides its jobs (which live in the job [`Queue`] with the practice
//! as scope): practices and their settings, API keys (hashed), pairing codes (hashed),
//! paired agents with their public keys and last heartbeat, link sessions (hashed
//! tokens), the nonces of signed requests, the operator's settings and the retries a
//! person asked for. On SQLite by default; on PostgreSQL when several hub instances
//! share one database. Both pass one suite ([`conformance`]).
//!
//! Times are passed in (ms since the epoch), so the rules about expiry are tested with
//! times the test chooses.
//!
//! [`Queue`]: crate::jobs::Queue

mod codec;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
#[cfg(any(test, feature = "conformance"))]
mod conformance_schedule;
pub(crate) mod pg_connection;
pub mod postgres;
pub mod schedule;
mod schedule_pg;
mod schedule_sqlite;
pub mod sqlite;
mod types;
pub mod users;

pub use postgres::PostgresHubStore;
pub use schedule::{HeldAppointment, PracticeSchedule, ScheduleReceipt};
pub use sqlite::SqliteHubStore;
pub use types::*;
pub use users::{ConsoleSession, UserRecord, UserRole, UserStore};

use crate::link::protocol::{Heartbeat, ScheduleBatch};
use std::future::Future;

/// Why a store operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No such record.
    #[error("there is no {what} `{id}`")]
    NotFound {
        /// `practice`, `agent`, `API key`.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// The id is taken.
    #[error("{what} `{id}` already exists")]
    Duplicate {
        /// `practice`.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// A pairing code that cannot be used.
    #[error("{0}")]
    BadCode(CodeProblem),
    /// The store failed (unreachable, read-only, full).
    #[error("hub store error: {0}")]
    Storage(String),
}

/// Why a pairing code was refused, in the words the agent shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeProblem {
    /// No such code (mistyped, or never made).
    Unknown,
    /// The code was used already (codes are single use).
    Used,
    /// The code is past its expiry.
    Expired,
}

impl std::fmt::Display for CodeProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CodeProblem::Unknown => "this pairing code is not valid: check it for typos, or ask for a new one",
            CodeProblem::Used => "this pairing code was already used (each code pairs one computer): ask for a new one",
            CodeProblem::Expired => "this pairing code has expired: ask for a new one (codes are valid for a few minutes)",
        })
    }
}

/// The hub's store. Every method is atomic.
pub trait HubStore: UserStore + Send + Sync + 'static {
    /// Adds a practice; a taken id is [`StoreError::Duplicate`].
    fn create_practice(&self, p: &Practice) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// One practice.
    fn practice(&self, id: &str) -> impl Future<Output = Result<Practice, StoreError>> + Send;

    /// Every practice, by id.
    fn practices(&self) -> impl Future<Output = Result<Vec<Practice>, StoreError>> + Send;

    /// Replaces a practice's settings.
    fn set_practice_settings(
        &self,
        id: &str,
        settings: &PracticeSettings,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Stores an API key (its hash) for a practice.
    fn create_api_key(
        &self,
        key: &ApiKeyRecord,
        hash: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// An API key and its stored hash, by id.
    fn api_key(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<(ApiKeyRecord, String), StoreError>> + Send;

    /// API keys, of one practice or all.
    fn api_keys(
        &self,
        practice: Option<&str>,
    ) -> impl Future<Output = Result<Vec<ApiKeyRecord>, StoreError>> + Send;

    /// Revokes an API key at `now_ms` (a revoked key stays listed).
    fn revoke_api_key(
        &self,
        id: &str,
        now_ms: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Stores a pairing code (its hash).
    fn create_pair_code(
        &self,
        code: &PairCode,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Uses the code with `hash` at `now_ms` to pair `agent` with the code's practice:
    /// refused when unknown, used or expired; otherwise the code is used up and the
    /// agent stored, in one step. Returns the stored agent.
    fn redeem_pair_code(
        &self,
        hash: &str,
        agent: NewAgent,
        now_ms: u64,
    ) -> impl Future<Output = Result<AgentRecord, StoreError>> + Send;

    /// One agent.
    fn agent(&self, id: &str) -> impl Future<Output = Result<AgentRecord, StoreError>> + Send;

    /// Agents, of one practice or all, by practice then pairing time.
    fn agents(
        &self,
        practice: Option<&str>,
    ) -> impl Future<Output = Result<Vec<AgentRecord>, StoreError>> + Send;

    /// Revokes an agent at `now_ms` and ends its sessions.
    fn revoke_agent(
        &self,
        id: &str,
        now_ms: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records a heartbeat (and the version it carries) at `now_ms`.
    fn record_heartbeat(
        &self,
        agent_id: &str,
        heartbeat: &Heartbeat,
        now_ms: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records the nonce of a signed request; false when it was seen before (a replay).
    fn use_nonce(
        &self,
        agent_id: &str,
        nonce: &str,
        expires_ms: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Stores a session (its token's hash).
    fn create_session(
        &self,
        token_hash: &str,
        agent_id: &str,
        expires_ms: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The agent of a session that has not expired at `now_ms`.
    fn session_agent(
        &self,
        token_hash: &str,
        now_ms: u64,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// Removes nonces and sessions expired before `now_ms`.
    fn prune(&self, now_ms: u64) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The operator's settings (defaults when never saved).
    fn settings(&self) -> impl Future<Output = Result<HubSettings, StoreError>> + Send;

    /// Saves the operator's settings.
    fn save_settings(
        &self,
        settings: &HubSettings,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Notes that a person retried job `id`: the next hand-out tells the agent so.
    fn mark_retry(&self, job_id: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Whether a retry of job `id` was noted; clears the note.
    fn take_retry(&self, job_id: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Applies a batch of schedule changes from `source` (an agent's outbox, or the
    /// hub's own) to `practice`'s synced schedule: each change number once, in order;
    /// numbers applied before are counted as duplicates and ignored. Keeps the newer of
    /// each EHR's runs.
    fn apply_schedule(
        &self,
        practice: &str,
        source: &str,
        batch: &ScheduleBatch,
        now_ms: u64,
    ) -> impl Future<Output = Result<ScheduleReceipt, StoreError>> + Send;

    /// `practice`'s synced schedule: appointments, last runs, changes received.
    fn schedule(
        &self,
        practice: &str,
    ) -> impl Future<Output = Result<PracticeSchedule, StoreError>> + Send;
}
