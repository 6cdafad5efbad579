//! What each failure means for the job and what the user should do, in the words of the
//! product's own user guides. Every typed adapter error and every host-side failure maps
//! to exactly one [`Remediation`], built here and nowhere else:
//!
//! - [`for_call_error`]: a failed call into an adapter ([`adapter`]);
//! - the host's own failures (stored job unreadable, no adapter, cancelled, a report that
//!   does not account for the snapshot) in [`host`].
//!
//! The advice says what to do about the cause. What happens to the job next (retried at
//! a time, given up, waiting for a person) is a separate, typed [`NextStep`] recorded
//! when the decision is made, so a message never promises a retry that will not come.

mod adapter;
mod host;

pub use adapter::for_call_error;
pub use host::*;

use serde::{Deserialize, Serialize};

/// How a failed job proceeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// Retried automatically with backoff (unreachable, timeout, 429, 5xx).
    Retryable,
    /// Waits for a person to fix something, then a retry (session, permission, config).
    NeedsPerson,
    /// Fails with details; retrying the same data will not help.
    Terminal,
}

/// Every kind of failure, as stored and as the API reports it (`session_expired`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemediationKind {
    /// The EHR session or token expired.
    SessionExpired,
    /// The EHR is reachable but no user is logged in.
    NotLoggedIn,
    /// The EHR could not be reached.
    Unreachable,
    /// The EHR did not answer in time.
    Timeout,
    /// The EHR is rate-limiting.
    RateLimited,
    /// The integration account lacks a permission.
    PermissionDenied,
    /// The EHR refused the values.
    Rejected,
    /// The encounter belongs to another patient.
    WrongPatient,
    /// The encounter is signed or locked.
    EncounterLocked,
    /// The EHR's template changed.
    TemplateMismatch,
    /// The patient or encounter does not exist.
    NotFound,
    /// The EHR failed internally.
    EhrInternal,
    /// The adapter's configuration is incomplete.
    Misconfigured,
    /// The adapter failed (trap, bad report, its own error).
    AdapterBug,
    /// The adapter computed without pause past its time limit.
    AdapterTimeout,
    /// The host could not run the adapter.
    AgentOutdated,
    /// The stored snapshot could not be opened.
    SnapshotUnreadable,
    /// No adapter serves the job's EHR here.
    AdapterMissing,
    /// A person cancelled the job.
    Cancelled,
}

impl RemediationKind {
    /// The stored name (`session_expired`).
    pub fn as_str(self) -> &'static str {
        match self {
            RemediationKind::SessionExpired => "session_expired",
            RemediationKind::NotLoggedIn => "not_logged_in",
            RemediationKind::Unreachable => "unreachable",
            RemediationKind::Timeout => "timeout",
            RemediationKind::RateLimited => "rate_limited",
            RemediationKind::PermissionDenied => "permission_denied",
            RemediationKind::Rejected => "rejected",
            RemediationKind::WrongPatient => "wrong_patient",
            RemediationKind::EncounterLocked => "encounter_locked",
            RemediationKind::TemplateMismatch => "template_mismatch",
            RemediationKind::NotFound => "not_found",
            RemediationKind::EhrInternal => "ehr_internal",
            RemediationKind::Misconfigured => "misconfigured",
            RemediationKind::AdapterBug => "adapter_bug",
            RemediationKind::AdapterTimeout => "adapter_timeout",
            RemediationKind::AgentOutdated => "agent_outdated",
            RemediationKind::SnapshotUnreadable => "snapshot_unreadable",
            RemediationKind::AdapterMissing => "adapter_missing",
            RemediationKind::Cancelled => "cancelled",
        }
    }
}

/// What happens to the job after this failure, decided when it was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum NextStep {
    /// A one-off call (`ehr-host write`): nothing is queued.
    None,
    /// The agent tries again by itself, not before `at_ms` (ms since the epoch).
    RetryAutomatically {
        /// Earliest next attempt.
        at_ms: u64,
        /// The attempt that failed.
        attempt: u32,
        /// Attempts allowed in all.
        max_attempts: u32,
    },
    /// The agent gave up after `attempts` retryable failures: a person retries.
    GaveUp {
        /// Attempts made.
        attempts: u32,
    },
    /// Waiting for a person to fix the cause and retry.
    WaitForPerson,
    /// Retrying the same data will not help.
    WillNotSucceed,
    /// A person cancelled the job: nothing more will be attempted.
    Stopped,
}

/// The user-facing account of a failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Remediation {
    /// Stable machine-readable kind.
    pub kind: RemediationKind,
    /// How the job proceeds.
    pub class: FailureClass,
    /// The headline users see (`EHR session expired`).
    pub title: String,
    /// What to do about the cause, in plain words.
    pub advice: String,
    /// What the adapter or host reported (cleaned, bounded, secrets redacted).
    pub detail: String,
    /// Seconds to wait before retrying, when the EHR said.
    pub retry_after_seconds: Option<u32>,
    /// What happens next; set when the job's fate is decided.
    #[serde(default = "none")]
    pub next: NextStep,
}

fn none() -> NextStep {
    NextStep::None
}

impl Remediation {
    fn new(
        kind: RemediationKind,
        class: FailureClass,
        title: &str,
        advice: impl Into<String>,
        detail: impl Into<String>,
    ) -> Remediation {
        Remediation {
            kind,
            class,
            title: title.to_string(),
            advice: advice.into(),
            detail: detail.into(),
            retry_after_seconds: None,
            next: NextStep::None,
        }
    }

    /// This remediation with its next step decided.
    pub fn with_next(mut self, next: NextStep) -> Remediation {
        self.next = next;
        self
    }
}

/// What the host knows about the adapter that failed, which changes the advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Situation {
    /// The adapter reaches an EHR database on the practice network (CrystalPM,
    /// OfficeMate) rather than a cloud EHR.
    pub local: bool,
    /// How the host authenticates to the EHR.
    pub credential: CredentialKind,
}

impl Situation {
    /// The situation of an adapter with `manifest`, whose host holds `credential` (the
    /// first one configured) for its EHR.
    pub fn of(
        manifest: &crate::package::Manifest,
        credential: Option<&crate::config::Credential>,
    ) -> Situation {
        let local = manifest.is_local();
        let credential = match credential {
            Some(crate::config::Credential::Bearer { .. }) => CredentialKind::ApiToken,
            Some(crate::config::Credential::Oauth2 { .. }) => CredentialKind::OAuth2,
            None if local => CredentialKind::Database,
            None => CredentialKind::Session,
        };
        Situation { local, credential }
    }
}

/// How the host authenticates to an adapter's EHR, as far as advice is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CredentialKind {
    /// No host credential: the EHR session belongs to a person who logs in.
    #[default]
    Session,
    /// A fixed API token in the host's configuration.
    ApiToken,
    /// OAuth2 client credentials in the host's configuration.
    OAuth2,
    /// A database login in the host's configuration.
    Database,
}
