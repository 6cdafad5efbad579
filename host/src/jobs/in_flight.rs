//! The attempts a runner has in flight, and what happens when one of their jobs is
//! claimed again before its attempt ended.
//!
//! That happens in two ways. A job of ours whose lease lapsed (the store was away longer
//! than the lease) comes back to us while its attempt still runs; that attempt goes on
//! and records it. And a job whose attempt already recorded it (a failure, then given
//! back when its adapter version was rolled back) is claimed again in the moment before
//! that attempt's task ended. The new claim waits for the earlier attempt to end, then
//! writes only if the job is still claimed as that claim left it: in the first case the
//! earlier attempt has settled it meanwhile, in the second nothing has, and dropping the
//! claim would leave the job waiting for its lease.

use super::lifecycle::Status;
use super::queue::{EhrGroup, JobRecord, Queue, QueueError};
use std::collections::HashMap;
use tokio::task;
use tokio_util::sync::CancellationToken;

/// The attempts in flight, by task.
#[derive(Default)]
pub(super) struct InFlight {
    attempts: HashMap<task::Id, Attempt>,
    started: u64,
}

struct Attempt {
    job: String,
    group: EhrGroup,
    /// Which start this was: a job claimed twice waits for its latest attempt.
    nth: u64,
    /// Cancelled when the attempt's task ends, however it ends.
    ended: CancellationToken,
}

impl InFlight {
    /// The latest attempt at `job` still in flight: one more must wait for it to end.
    pub fn latest_of(&self, job: &str) -> Option<CancellationToken> {
        self.attempts
            .values()
            .filter(|a| a.job == job)
            .max_by_key(|a| a.nth)
            .map(|a| a.ended.clone())
    }

    /// The attempt at `job` of `group` runs as `task`, which holds a drop guard of
    /// `ended` (so it is cancelled however the task ends).
    pub fn started(
        &mut self,
        task: task::Id,
        job: String,
        group: EhrGroup,
        ended: CancellationToken,
    ) {
        self.started += 1;
        let nth = self.started;
        self.attempts.insert(
            task,
            Attempt {
                job,
                group,
                nth,
                ended,
            },
        );
    }

    /// The attempt run by `task` ended.
    pub fn ended(&mut self, task: task::Id) {
        self.attempts.remove(&task);
    }

    /// The groups with an attempt in flight.
    pub fn groups(&self) -> impl Iterator<Item = &EhrGroup> {
        self.attempts.values().map(|a| &a.group)
    }
}

/// Waits for the `earlier` attempt at `job` to end; then whether `job` is still claimed by
/// `host` as this claim left it (nothing settled it meanwhile), so still to be written.
pub(super) async fn still_ours<Q: Queue>(
    queue: &Q,
    host: &str,
    job: &JobRecord,
    earlier: CancellationToken,
) -> Result<bool, QueueError> {
    earlier.cancelled().await;
    let now = queue.get(&job.id).await?;
    Ok(now.status == Status::Claimed
        && now.claimed_by.as_deref() == Some(host)
        && now.attempts == job.attempts)
}
