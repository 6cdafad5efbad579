//! The serializable snapshot of what the sandbox holds, for tests to assert on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::faults::Fault;

/// Everything a test may want to check after driving a client against the sandbox.
/// Serialized as camelCase JSON by `GET /_sandbox/state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    /// What has been written to each seeded encounter (Eyefinity: visit), by id. For
    /// Eyefinity, `sections` holds the document's elements under `"elements"`, the
    /// diagnoses are in `diagnoses` and the document's note is the only entry of `notes`.
    pub encounters: BTreeMap<String, EncounterState>,
    /// Every request to `/api/` and `/oauth/` (and unknown paths) since start or the last
    /// reset, oldest first. `/_sandbox/` control requests are left out.
    pub requests: Vec<RequestRecord>,
    /// The fault in force, with its remaining count.
    pub fault: Option<Fault>,
}

/// What has been written to one encounter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncounterState {
    /// Stored exam fields per section name (e.g. `"iop"`), each a JSON object of
    /// EHR field name to value.
    pub sections: BTreeMap<String, serde_json::Value>,
    /// The current diagnosis list.
    pub diagnoses: Vec<Diagnosis>,
    /// Chart notes in the order they were appended.
    pub notes: Vec<Note>,
    /// How many mutating requests were actually applied to this encounter. Idempotent
    /// replays and refused requests do not count.
    pub applied_writes: u32,
    /// Document revision, for the Eyefinity dialect (one document per visit, each applied
    /// write a new revision); always 0 for RevolutionEHR.
    #[serde(default)]
    pub revision: u32,
}

/// One diagnosis on an encounter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnosis {
    /// ICD-10-CM code, e.g. `H40.1131`.
    pub icd10: String,
    /// Free-text description.
    pub description: Option<String>,
    /// Laterality: `OD`, `OS` or `OU`.
    pub eye: Option<String>,
    /// Whether this is the encounter's primary diagnosis (at most one is).
    pub primary: bool,
}

/// One appended chart note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// Sandbox-assigned id, `N` followed by a number.
    pub id: String,
    /// The note text.
    pub text: String,
    /// When the note was stored (RFC 3339, UTC).
    pub created_at: String,
}

/// One entry of the request log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    /// HTTP method, e.g. `PUT`.
    pub method: String,
    /// Request path without the query string.
    pub path: String,
    /// Status answered; `0` when the connection was reset without an answer.
    pub status: u16,
    /// The `Idempotency-Key` header, if sent.
    pub idempotency_key: Option<String>,
    /// Whether the answer was replayed from the idempotency store instead of applied.
    pub replayed: bool,
    /// The caller's `X-Transaction-Id` header, if sent (the host's audit key).
    #[serde(default)]
    pub transaction_id: Option<String>,
    /// The request id the sandbox answered with (`X-Request-Id`), as an EHR's log keeps it.
    #[serde(default)]
    pub request_id: Option<String>,
}
