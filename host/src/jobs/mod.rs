//! Write jobs: the lifecycle users see and the rules for retrying them.
//!
//! A job moves `pending → claimed → succeeded | succeeded with warnings | failed |
//! cancelled`. How a failure proceeds comes from its [`FailureClass`]: retryable failures
//! go back to `pending` with a backoff delay until the attempt limit, needs-a-person
//! failures wait in `failed` for a retry after the fix, terminal failures stay `failed`.
//! Jobs are never silently discarded: every transition is explicit and checked here,
//! so every queue implementation applies the same rules.
//!
//! [`FailureClass`]: crate::remediation::FailureClass

pub mod api;
pub mod attempt;
pub mod clock;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
pub mod gate;
pub mod health;
mod in_flight;
pub mod intake;
pub mod key;
pub mod lifecycle;
mod picking;
pub mod policy;
pub mod postgres;
pub mod queue;
pub mod runner;
pub mod seal;
pub mod sqlite;
mod stored;
pub mod view;
pub mod worker;
pub mod write_slot;

pub use clock::{Clock, ManualClock, SystemClock};
pub use health::{StoreHealth, StoreState};
pub use intake::{submit, submit_scoped, SubmitError, Submitted};
pub use lifecycle::{Status, Transition, TransitionError};
pub use policy::{alert, is_stuck, Alert, Decision, RetryPolicy, STUCK_AFTER};
pub use postgres::PostgresQueue;
pub use queue::{
    CancelOutcome, ClaimFilter, EhrGroup, JobRecord, KeyState, Lease, NewJob, Queue, QueueError,
};
pub use seal::Sealer;
pub use sqlite::{CommitCounts, SqliteQueue};
pub use view::JobView;
