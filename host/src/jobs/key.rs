//! The job key, guarded: snapshots in the queue are sealed with it, so a missing or
//! different key would make every pending job fail "cannot be decrypted". A queue that
//! holds sealed jobs therefore refuses to start or take jobs with a missing or different
//! key, naming the file and how to restore it; a new key is made only for an empty queue.
//!
//! The store keeps a check value sealed with the key its jobs use; a key that cannot
//! open it is not that key.

use super::queue::Queue;
use super::seal::Sealer;
use anyhow::{bail, Result};
use std::path::Path;

const CHECK_ID: &str = "ehr-host job key check";
const CHECK_TEXT: &[u8] = b"the key these jobs are sealed with";

/// The sealer for `queue`, from the key file at `path`: created when the queue holds no
/// sealed job yet, refused when missing or different for a queue that does.
pub async fn open<Q: Queue>(queue: &Q, path: &Path) -> Result<Sealer> {
    let state = queue.key_state().await?;
    let holds_jobs = state.check.is_some() || state.sealed_jobs > 0;
    if !path.exists() && holds_jobs {
        bail!(
            "the job key {} is missing, but the job queue holds {} sealed job(s) that only that key opens. \
             Restore the key file from a backup (hosts sharing a queue share one key: copy it from another host, \
             or point --jobs-key at it). A new key would not open them, so none is made.",
            path.display(),
            state.sealed_jobs
        );
    }
    let sealer = Sealer::load_or_create(path)?;
    match state.check {
        Some(check) if sealer.open(CHECK_ID, &check).is_err() => bail!(
            "the job key {} is not the key this job queue's jobs were sealed with ({} sealed job(s)). \
             Restore the right key file (hosts sharing a queue share one key), or use --jobs-key to point at it.",
            path.display(),
            state.sealed_jobs
        ),
        Some(_) => {}
        None => queue.record_key_check(&sealer.seal(CHECK_ID, CHECK_TEXT)?).await?,
    }
    Ok(sealer)
}
