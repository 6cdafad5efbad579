//! How an adapter call can fail, as the host sees it.

use super::bindings::latest::AdapterError;
use std::time::Duration;

/// The failure of one call into an adapter.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The adapter returned one of the contract's typed errors.
    #[error("{}", super::bindings::describe_error(.0))]
    Adapter(AdapterError),
    /// The call ran past its wall-clock limit and was stopped.
    #[error("the adapter did not finish within {}s and was stopped", .limit.as_secs_f32())]
    TimedOut {
        /// The limit.
        limit: Duration,
    },
    /// The adapter tried to use more memory than allowed.
    #[error("the adapter exceeded its memory limit of {} MiB and was stopped", .limit >> 20)]
    MemoryExceeded {
        /// The limit, bytes.
        limit: usize,
    },
    /// The adapter trapped (panicked, hit `unreachable`, ...): a bug in the adapter.
    #[error("the adapter crashed: {message}")]
    Trapped {
        /// What the trap and the adapter's last stderr output said.
        message: String,
    },
    /// The adapter returned a result larger than allowed.
    #[error("the adapter returned {size} bytes of results, more than the {limit} byte limit")]
    OutputTooLarge {
        /// Result size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The host could not run the adapter at all (instantiation failed).
    #[error("the host could not run the adapter: {0:#}")]
    Host(anyhow::Error),
}
