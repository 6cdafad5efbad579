//! Submitting a job: the one path the CLI, the local API (and the hub) take. A snapshot
//! is checked whole before anything is stored (size, duplicate keys, catalog rules); the
//! EHR must be one this host serves; the snapshot is sealed and queued. Nothing is ever
//! half-accepted.

use super::queue::{NewJob, Queue, QueueError};
use super::seal::Sealer;
use crate::package::Manifest;
use crate::snapshot::SnapshotErrors;

/// A queued job.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Submitted {
    /// The job id (from the snapshot).
    pub id: String,
    /// The EHR adapter that will write it.
    pub ehr: String,
}

/// Why a submission was refused; nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The snapshot is invalid; every problem is named.
    #[error(transparent)]
    Invalid(#[from] SnapshotErrors),
    /// No adapter for this EHR is installed here.
    #[error("no adapter `{ehr}` is installed on this host, so the job would never be written; installed: {}", if .known.is_empty() { "none".to_string() } else { .known.join(", ") })]
    UnknownEhr {
        /// The EHR asked for (cleaned for display).
        ehr: String,
        /// The adapters installed.
        known: Vec<String>,
    },
    /// The store refused (duplicate job id, store unavailable).
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The snapshot could not be sealed.
    #[error("cannot seal the snapshot: {0}")]
    Seal(String),
}

/// Checks, seals and queues `snapshot` (the JSON document's bytes) for `ehr`, which must
/// be among `known` (the adapters this host serves).
pub async fn submit<Q: Queue>(
    queue: &Q,
    sealer: &Sealer,
    known: &[String],
    ehr: &str,
    snapshot: &[u8],
) -> Result<Submitted, SubmitError> {
    submit_scoped(queue, sealer, known, ehr, snapshot, None).await
}

/// [`submit`] into a tenant's `scope` (a hub queues each practice's jobs under it).
pub async fn submit_scoped<Q: Queue>(
    queue: &Q,
    sealer: &Sealer,
    known: &[String],
    ehr: &str,
    snapshot: &[u8],
    scope: Option<&str>,
) -> Result<Submitted, SubmitError> {
    if !Manifest::valid_id(ehr) || !known.iter().any(|k| k == ehr) {
        return Err(SubmitError::UnknownEhr {
            ehr: crate::untrusted::clean(ehr, crate::untrusted::LABEL),
            known: known.to_vec(),
        });
    }
    let parsed = crate::snapshot::parse_bytes(snapshot)?;
    let id = parsed.job_id;
    let payload = sealer
        .seal(&id, snapshot)
        .map_err(|e| SubmitError::Seal(format!("{e:#}")))?;
    queue
        .submit(NewJob {
            scope: scope.map(str::to_string),
            ..NewJob::new(id.clone(), ehr.to_string(), payload)
        })
        .await?;
    Ok(Submitted {
        id,
        ehr: ehr.to_string(),
    })
}
