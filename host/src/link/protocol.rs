//! The link between a practice's agent and the hub, as types: every request and answer
//! body of `/link/v1`, shared by the hub (server) and the agent (client), so the two
//! cannot drift. The wire format and the rules are in `PROTOCOL.md` beside this file.

use crate::remediation::Remediation;
use crate::report::WriteReport;
use serde::{Deserialize, Serialize};

/// The path prefix of every link endpoint.
pub const PREFIX: &str = "/link/v1";

/// Header naming the agent on a signed request.
pub const AGENT_HEADER: &str = "x-ehr-agent";
/// Header with the request time, milliseconds since the Unix epoch.
pub const TIME_HEADER: &str = "x-ehr-time";
/// Header with a random nonce, 32 hex characters.
pub const NONCE_HEADER: &str = "x-ehr-nonce";
/// Header with the ed25519 signature of the request, hex.
pub const SIGNATURE_HEADER: &str = "x-ehr-signature";

/// Header with the agent's version (semver), on every authenticated link request: the
/// hub checks it against its minimum before handing out any job.
pub const VERSION_HEADER: &str = "x-ehr-agent-version";

/// The characters of a pairing code: no vowels (no words), no 0/O/1/I (no misreading).
pub const CODE_ALPHABET: &str = "BCDFGHJKLMNPQRSTVWXZ23456789";
/// The length of a pairing code.
pub const CODE_LEN: usize = 8;

/// How far a signed request's time may be from the hub's clock.
pub const MAX_CLOCK_SKEW_MS: u64 = 5 * 60 * 1000;
/// The longest a job poll is held open, seconds.
pub const MAX_POLL_SECONDS: u32 = 50;

/// The bytes an agent signs: method, path with query, time, nonce and the SHA-256 of the
/// body (hex), one per line.
pub fn signing_input(
    method: &str,
    path_and_query: &str,
    time_ms: u64,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    use sha2::Digest;
    let body_hash = hex::encode(sha2::Sha256::digest(body));
    format!("{method}\n{path_and_query}\n{time_ms}\n{nonce}\n{body_hash}").into_bytes()
}

/// A pairing code as typed (`bcdf-ghjk`, `BCDF GHJK`) in its canonical form
/// (`BCDFGHJK`), or why it cannot be one.
pub fn normalize_code(typed: &str) -> Result<String, String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if code.chars().count() != CODE_LEN {
        return Err(format!(
            "a pairing code has {CODE_LEN} characters (like BCDF-GHJK); this one has {}",
            code.chars().count()
        ));
    }
    if let Some(bad) = code.chars().find(|c| !CODE_ALPHABET.contains(*c)) {
        return Err(format!(
            "`{bad}` does not occur in pairing codes (they use {CODE_ALPHABET}): check the code for typos"
        ));
    }
    Ok(code)
}

/// `POST /link/v1/pair`: an agent presents a one-time pairing code and its new public key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairRequest {
    /// The code the operator created (`BCDF-GHJK`; case and the dash do not matter).
    pub code: String,
    /// The agent's ed25519 public key, 64 hex characters. The secret half never leaves
    /// the agent.
    pub public_key: String,
    /// A name for people (`Front desk PC`), defaulting to the computer's name.
    pub name: String,
    /// The agent's version (semver).
    pub version: String,
}

/// The answer to a pairing: who the agent now is, and how often to talk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    /// The agent's id at the hub.
    pub agent_id: String,
    /// The practice it belongs to.
    pub practice_id: String,
    /// The practice's name, for status.
    pub practice_name: String,
    /// When the pairing expires (ms since the epoch), if it does.
    pub expires_ms: Option<u64>,
    /// The intervals to use.
    pub intervals: Intervals,
}

/// How often an agent talks to the hub; chosen by the hub, changeable at any answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intervals {
    /// Between heartbeats, seconds.
    pub heartbeat_seconds: u32,
    /// How long a job poll is held open, seconds (at most [`MAX_POLL_SECONDS`]).
    pub poll_seconds: u32,
    /// A job handed out is the agent's for this long unless renewed, seconds.
    pub lease_seconds: u32,
}

/// `POST /link/v1/session` (signed, empty body): a short-lived token for the other calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Sent as `Authorization: Bearer <token>`.
    pub token: String,
    /// When it stops working (ms since the epoch); the agent gets a new one before.
    pub expires_ms: u64,
    /// The intervals to use now.
    pub intervals: Intervals,
}

/// `POST /link/v1/heartbeat`: the agent's health, as the hub shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// The agent's version (semver).
    pub version: String,
    /// Every adapter it serves, with its EHR's connectivity.
    pub adapters: Vec<AdapterHealth>,
    /// Its local queue.
    pub queue: QueueCounts,
}

/// One adapter the agent serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdapterHealth {
    /// Adapter id.
    pub id: String,
    /// Its version.
    pub version: String,
    /// The EHR's connectivity, from the adapter's last `check`.
    pub ehr: EhrConnectivity,
}

/// Whether an adapter's EHR answered its last check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EhrConnectivity {
    /// `check` succeeded.
    Connected {
        /// When (ms since the epoch).
        checked_ms: u64,
    },
    /// `check` failed.
    Unreachable {
        /// When (ms since the epoch).
        checked_ms: u64,
        /// The failure kind (`unreachable`, `session_expired`, ...).
        kind: String,
        /// The headline users see.
        title: String,
    },
    /// Not checked yet.
    Unknown,
}

/// Job counts of the agent's local queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueCounts {
    /// Waiting (new or retrying later).
    pub pending: u32,
    /// Being written.
    pub claimed: u32,
    /// Failed, waiting for a person.
    pub failed: u32,
    /// Results not yet acknowledged by the hub.
    pub unreported: u32,
}

/// The hub's answer to a heartbeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeartbeatAck {
    /// The intervals to use from now on.
    pub intervals: Intervals,
    /// The lowest agent version the hub hands jobs to.
    pub min_version: String,
    /// The practice's schedule-sync settings, so the agent's rules match the hub's
    /// (absent from hubs older than the schedule sync).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleDirective>,
}

/// How a practice's schedule is synced, as the hub tells its agents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleDirective {
    /// The practice's settings.
    pub settings: crate::schedule::sync::SyncSettings,
    /// When the operator last asked for a sync now (ms); an agent that has not synced
    /// since reads at once.
    pub sync_requested_ms: Option<u64>,
}

/// `POST /link/v1/schedule`: changes from one source's outbox, oldest first, and each
/// EHR's last sync pass. Idempotent: the hub applies each (source, seq) once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleBatch {
    /// The outbox's id (changes are numbered per source).
    pub source: String,
    /// Up to [`MAX_SCHEDULE_CHANGES`] changes, by increasing `seq`.
    pub changes: Vec<crate::schedule::sync::ScheduleChange>,
    /// The last pass of each EHR synced.
    pub runs: Vec<crate::schedule::sync::SyncRun>,
}

/// The most changes in one schedule batch.
pub const MAX_SCHEDULE_CHANGES: usize = 500;

/// The hub's answer to a schedule batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleAck {
    /// Every change of the source up to this number is applied: the source may forget it.
    pub applied_through: u64,
}

/// `GET /link/v1/jobs?wait=S`: jobs handed to the agent (an empty list after the wait).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Jobs {
    /// The jobs, each leased to this agent.
    pub jobs: Vec<LinkJob>,
}

/// One job handed to an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkJob {
    /// The job id: also the EHR-side idempotency key, so a job handed out twice is
    /// written once.
    pub id: String,
    /// The adapter that writes it.
    pub ehr: String,
    /// The snapshot document, as submitted (JSON text).
    pub snapshot: String,
    /// The hub's attempt count for this job.
    pub attempt: u32,
    /// A person asked for another try after a failure (the agent retries its own
    /// failed copy of the job).
    pub retry: bool,
}

/// `POST /link/v1/jobs/{id}/lease`: the agent still has the job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaseRenewal {
    /// What it is doing, in words (`writing refraction`), when it is being written.
    pub progress: Option<String>,
}

/// The answer to a lease renewal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseAnswer {
    /// A person asked to cancel: stop before the next write and report what landed.
    pub cancel_requested: bool,
}

/// Where a job stands at the agent, as reported to the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkOutcome {
    /// Written.
    Succeeded,
    /// Written with fields skipped or changed.
    SucceededWithWarnings,
    /// Failed; the agent will not retry it by itself (a person must, or it is terminal).
    Failed,
    /// Cancelled.
    Cancelled,
}

/// `POST /link/v1/jobs/{id}/result`: what happened to a job. Posting the same result
/// twice is harmless; the hub acknowledges both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobResult {
    /// Where the job ended.
    pub outcome: LinkOutcome,
    /// The last attempt's per-field report, when the adapter was called.
    pub report: Option<WriteReport>,
    /// The failure, when it failed or was cancelled.
    pub error: Option<Remediation>,
    /// The last attempt as the agent's audit trail has it (its transaction id, the EHR's
    /// request ids, when), so the hub's trail holds the same key; absent when the agent
    /// made no attempt (or is older than this field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<AttemptTrail>,
}

/// The audit trail's view of one attempt, as the agent reports it to the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptTrail {
    /// The attempt's transaction id (sent to the EHR as `x-transaction-id`).
    pub transaction_id: String,
    /// Request ids the EHR answered with.
    pub ehr_request_ids: Vec<String>,
    /// The patient id the job was for.
    pub patient_id: String,
    /// When the attempt started (ms since the epoch).
    pub started_ms: u64,
    /// When it ended.
    pub ended_ms: u64,
}

/// The hub's acknowledgement of a result: the agent may forget it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultAck {
    /// Always true; a refusal is an HTTP error instead.
    pub acknowledged: bool,
}

/// Every error the link answers, as the body of a non-2xx status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkError {
    /// What went wrong.
    pub error: LinkErrorKind,
    /// In words, for the log.
    pub message: String,
    /// For `agent_needs_update`: the lowest version the hub accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_version: Option<String>,
}

/// Why the hub refused a link request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkErrorKind {
    /// 400: the request is malformed.
    BadRequest,
    /// 400: the pairing code is unknown, used or expired.
    BadCode,
    /// 401: no valid token, or a bad signature.
    Unauthenticated,
    /// 401: the pairing expired: pair again with a new code.
    PairingExpired,
    /// 401: the operator revoked this device.
    Revoked,
    /// 404: no such job for this agent.
    NotFound,
    /// 409: the job is no longer this agent's (its lease lapsed and it was handed on).
    LeaseLost,
    /// 426: the agent is older than the hub's minimum version.
    AgentNeedsUpdate,
    /// 429: too many requests; wait `Retry-After` seconds.
    RateLimited,
    /// 503: the hub's store is unavailable.
    Unavailable,
}

#[cfg(test)]
mod tests {
    use super::*;

    // The signing input binds every part of the request: changing any one changes it.
    #[test]
    fn signing_input_binds_the_request() {
        let base = signing_input("POST", "/link/v1/session", 1, "ab", b"{}");
        for other in [
            signing_input("GET", "/link/v1/session", 1, "ab", b"{}"),
            signing_input("POST", "/link/v1/jobs", 1, "ab", b"{}"),
            signing_input("POST", "/link/v1/session", 2, "ab", b"{}"),
            signing_input("POST", "/link/v1/session", 1, "ac", b"{}"),
            signing_input("POST", "/link/v1/session", 1, "ab", b"{ }"),
        ] {
            assert_ne!(base, other);
        }
    }

    // Codes are read however they are typed, and a misread character is named.
    #[test]
    fn codes_normalise() {
        assert_eq!(normalize_code("bcdf-ghjk").unwrap(), "BCDFGHJK");
        assert_eq!(normalize_code(" BCDF GHJK").unwrap(), "BCDFGHJK");
        assert!(normalize_code("BCDF-GHJ")
            .unwrap_err()
            .contains("8 characters"));
        assert!(normalize_code("BCDF-GHJ0").unwrap_err().contains("`0`"));
        assert!(normalize_code("BCDF-GHJA").unwrap_err().contains("`A`"));
    }

    // Errors travel as snake_case kinds.
    #[test]
    fn error_kinds_are_stable() {
        let e = LinkError {
            error: LinkErrorKind::AgentNeedsUpdate,
            message: "x".into(),
            min_version: Some("0.3.0".into()),
        };
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["error"], "agent_needs_update");
        assert_eq!(serde_json::from_value::<LinkError>(json).unwrap(), e);
    }
}
