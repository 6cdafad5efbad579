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
    /// A person asks for another attempt (or the host gives a job back once, after the
    /// adapter version that failed it was rolled back).
    Retry,
    /// A person cancels the job. A claimed job stays claimed: the cancel is a request
    /// its host acts on before its next write ([`Transition::StopForCancel`]).
    Cancel,
    /// The host stopped a claimed job because a person asked to cancel it (or its lease
    /// lapsed after the request).
    StopForCancel,
}

/// A transition that is not allowed from the job's state, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is {}: cannot {action}", .from.words())]
pub struct TransitionError {
    /// The state the job was in.
    pub from: Status,
    /// What was attempted, in words.
    pub action: &'static str,
}

impl Status {
    /// Where a claimed job goes when its write succeeded (the only state a write's
    /// success comes from), with or without warnings.
    pub fn succeeded(with_warnings: bool) -> Status {
        if with_warnings {
            Status::SucceededWithWarnings
        } else {
            Status::Succeeded
        }
    }

    /// The state after `t`, or why `t` is not allowed now.
    ///
    /// Notably: a succeeded job cannot be retried (that would write twice); a cancelled
    /// job cannot be retried; cancelling a claimed job leaves it claimed until its host
    /// stops (the chart is the truth: if the write finished first, the job succeeded);
    /// only failed jobs can be retried by a person.
    pub fn apply(self, t: Transition) -> Result<Status, TransitionError> {
        use Status::*;
        use Transition::*;
        let refused = |action| Err(TransitionError { from: self, action });
        match (self, t) {
            (Pending, Claim) => Ok(Claimed),
            (Claimed, Succeed { with_warnings }) => Ok(Status::succeeded(with_warnings)),
            (Claimed, RetryLater) | (Claimed, LeaseExpired) => Ok(Pending),
            (Claimed, Fail) => Ok(Failed),
            (Claimed, StopForCancel) => Ok(Cancelled),
            (Failed, Retry) => Ok(Pending),
            (Pending | Failed, Cancel) => Ok(Cancelled),
            (Claimed, Cancel) => Ok(Claimed),
            (_, Claim) => refused("be claimed: it is not pending"),
            (_, Succeed { .. } | RetryLater | Fail | StopForCancel) => {
                refused("record an attempt: it is not being written")
            }
            (_, LeaseExpired) => refused("expire a lease: it is not being written"),
            (Succeeded | SucceededWithWarnings, Retry) => {
                refused("be retried: it already succeeded, and a retry would write it twice")
            }
            (Cancelled, Retry) => refused(
                "be retried: it was cancelled; send it again from Doctora if it is still wanted",
            ),
            (_, Retry) => refused("be retried: only failed jobs can be retried"),
            (Cancelled, Cancel) => refused("be cancelled again"),
            (_, Cancel) => refused("be cancelled: it has finished"),
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

    /// The state in words for messages (`succeeded with warnings`).
    pub fn words(self) -> &'static str {
        match self {
            Status::SucceededWithWarnings => "succeeded with warnings",
            s => s.as_str(),
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
        assert!(e.to_string().contains("write it twice"), "{e}");
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

    // Pending and failed jobs are cancelled at once; a claimed job stays claimed until
    // its host stops for the cancel; messages use words, not type names.
    #[test]
    fn cancel() {
        for s in [Pending, Failed] {
            assert_eq!(s.apply(Cancel), Ok(Cancelled));
        }
        assert_eq!(Claimed.apply(Cancel), Ok(Claimed));
        assert_eq!(Claimed.apply(StopForCancel), Ok(Cancelled));
        assert!(Pending.apply(StopForCancel).is_err());
        let e = SucceededWithWarnings.apply(Retry).unwrap_err().to_string();
        assert_eq!(
            e,
            "is succeeded with warnings: cannot be retried: it already succeeded, and a retry would write it twice"
        );
        assert!(Cancelled.apply(Cancel).is_err());
    }
}
