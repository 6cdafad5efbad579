//! Job states and the only transitions allowed between them.

use serde::{Deserialize, Serialize};

/// Where a job is in its life, as users see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting to be claimed (new, or retrying after a delay).
    Pending,
    /// A host is working on it and renews its lease with heartbeats.
    Claimed,
    /// Everything written.
    Succeeded,
    /// Written, with fields skipped or changed: users should look.
    SucceededWithWarnings,
    /// Not written (or not completely); the reason and remediation are recorded. A person
    /// may retry it.
    Failed,
    /// Cancelled by a person; nothing more will be attempted.
    Cancelled,
}

impl Status {
    /// True for states a job only leaves by a person's explicit action (or never).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Succeeded | Status::SucceededWithWarnings | Status::Failed | Status::Cancelled
        )
    }
}

/// What happens to a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// A host takes a pending job.
    Claim,
    /// The claiming host finished the write.
    Succeed {
        /// Whether fields were skipped or changed.
        with_warnings: bool,
    },
    /// The attempt failed and will be tried again after a delay.
    RetryLater,
    /// The attempt failed and the job stops here until a person acts.
    Fail,
    /// A lease ran out (the host died): the job goes back to the queue.
    LeaseExpired,
    /// A person asks for another attempt.
    Retry,
    /// A person cancels the job.
    Cancel,
}

/// A transition that is not allowed from the job's state, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("job is {from:?}: cannot {action}")]
pub struct TransitionError {
    /// The state the job was in.
    pub from: Status,
    /// What was attempted, in words.
    pub action: &'static str,
}

impl Status {
    /// The state after `t`, or why `t` is not allowed now.
    ///
    /// Notably: a succeeded job cannot be retried (that would write twice); a cancelled
    /// job cannot be retried; a claimed job can be cancelled (the host checks for
    /// cancellation before it writes, and if the write landed anyway the job records it
    /// as succeeded); only failed jobs can be retried by a person.
    pub fn apply(self, t: Transition) -> Result<Status, TransitionError> {
        use Status::*;
        use Transition::*;
        let refused = |action| Err(TransitionError { from: self, action });
        match (self, t) {
            (Pending, Claim) => Ok(Claimed),
            (
                Claimed,
                Succeed {
                    with_warnings: false,
                },
            ) => Ok(Succeeded),
            (
                Claimed,
                Succeed {
                    with_warnings: true,
                },
            ) => Ok(SucceededWithWarnings),
            (Claimed, RetryLater) | (Claimed, LeaseExpired) => Ok(Pending),
            (Claimed, Fail) => Ok(Failed),
            (Failed, Retry) => Ok(Pending),
            (Pending | Claimed | Failed, Cancel) => Ok(Cancelled),
            // Cancelled while a write was in flight and the write landed: the chart is the
            // truth, so the job records what was written rather than claiming it was not.
            (
                Cancelled,
                Succeed {
                    with_warnings: false,
                },
            ) => Ok(Succeeded),
            (
                Cancelled,
                Succeed {
                    with_warnings: true,
                },
            ) => Ok(SucceededWithWarnings),
            // An attempt that ends without writing leaves a cancelled job cancelled.
            (Cancelled, RetryLater | Fail | LeaseExpired) => Ok(Cancelled),
            (_, Claim) => refused("claim a job that is not pending"),
            (_, Succeed { .. }) | (_, RetryLater) | (_, Fail) => {
                refused("record an attempt on a job that is not claimed")
            }
            (_, LeaseExpired) => refused("expire the lease of a job that is not claimed"),
            (Succeeded | SucceededWithWarnings, Retry) => {
                refused("retry a job that already succeeded (it would be written twice)")
            }
            (_, Retry) => refused("retry a job that has not failed"),
            (_, Cancel) => refused("cancel a job that has finished"),
        }
    }
}

impl Status {
    /// The name stored in job tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Claimed => "claimed",
            Status::Succeeded => "succeeded",
            Status::SucceededWithWarnings => "succeeded_with_warnings",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }

    /// The status with a stored name.
    pub fn parse(name: &str) -> Option<Status> {
        [
            Status::Pending,
            Status::Claimed,
            Status::Succeeded,
            Status::SucceededWithWarnings,
            Status::Failed,
            Status::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::Status::*;
    use super::Transition::*;

    // The happy path and the retry loop.
    #[test]
    fn normal_paths() {
        assert_eq!(Pending.apply(Claim), Ok(Claimed));
        assert_eq!(
            Claimed.apply(Succeed {
                with_warnings: true
            }),
            Ok(SucceededWithWarnings)
        );
        assert_eq!(Claimed.apply(RetryLater), Ok(Pending));
        assert_eq!(Claimed.apply(LeaseExpired), Ok(Pending));
        assert_eq!(Claimed.apply(Fail), Ok(Failed));
        assert_eq!(Failed.apply(Retry), Ok(Pending));
    }

    // A succeeded job can never be retried or re-claimed (no double writes); cancelled
    // jobs are never attempted again; each refusal has a reason.
    #[test]
    fn refusals_protect_against_double_writes() {
        let e = Succeeded.apply(Retry).unwrap_err();
        assert!(e.to_string().contains("written twice"), "{e}");
        assert!(Succeeded.apply(Claim).is_err());
        assert!(Cancelled.apply(Retry).is_err());
        assert!(Cancelled.apply(Claim).is_err());
        assert!(Succeeded.apply(Cancel).is_err());
        assert!(Pending
            .apply(Succeed {
                with_warnings: false
            })
            .is_err());
        assert!(Pending.apply(Retry).is_err());
    }

    // Pending, claimed and failed jobs can be cancelled. A write that landed while the
    // cancel arrived is recorded as succeeded (the chart is the truth); an attempt that
    // wrote nothing leaves the job cancelled.
    #[test]
    fn cancel() {
        for s in [Pending, Claimed, Failed] {
            assert_eq!(s.apply(Cancel), Ok(Cancelled));
        }
        assert_eq!(
            Cancelled.apply(Succeed {
                with_warnings: false
            }),
            Ok(Succeeded)
        );
        assert_eq!(Cancelled.apply(RetryLater), Ok(Cancelled));
        assert_eq!(Cancelled.apply(Fail), Ok(Cancelled));
    }
}
