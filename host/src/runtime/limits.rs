//! Per-call limits and the memory limiter that enforces one of them.

use std::time::Duration;

/// What one adapter call may use.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Linear memory, bytes (all memories of the instance together).
    pub memory_bytes: usize,
    /// Wall-clock time for the whole call, including host calls it makes.
    pub timeout: Duration,
    /// Largest HTTP response body handed to the adapter, bytes.
    pub http_body_bytes: usize,
    /// Largest result (serialised as JSON) an adapter may return, bytes.
    pub output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 64 << 20,
            timeout: Duration::from_secs(30),
            http_body_bytes: 8 << 20,
            output_bytes: 4 << 20,
        }
    }
}

impl Limits {
    /// From the operator's `[limits]` section.
    pub fn from_config(c: &crate::config::LimitsConfig) -> Limits {
        Limits {
            memory_bytes: (c.memory_mb as usize) << 20,
            timeout: Duration::from_secs(c.timeout_secs),
            http_body_bytes: (c.http_body_mb as usize) << 20,
            ..Limits::default()
        }
    }
}

/// Raised inside wasmtime when an adapter asks for more memory than its limit, so the
/// call fails with a message naming the limit instead of a bare allocation failure.
#[derive(Debug, thiserror::Error)]
#[error("adapter tried to grow its memory to {wanted} bytes; the limit is {limit} bytes")]
pub struct MemoryLimitExceeded {
    /// What it asked for.
    pub wanted: usize,
    /// The limit.
    pub limit: usize,
}

/// A `ResourceLimiter` that fails (rather than quietly denies) growth past the limit.
pub struct MemoryLimiter {
    limit: usize,
    used: usize,
}

impl MemoryLimiter {
    /// A limiter for `limit` bytes in total.
    pub fn new(limit: usize) -> Self {
        MemoryLimiter { limit, used: 0 }
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // A component holds several core instances, each with its own memory; count the
        // growth of all of them against one budget.
        let total = self.used - current + desired;
        if total > self.limit {
            return Err(MemoryLimitExceeded {
                wanted: total,
                limit: self.limit,
            }
            .into());
        }
        self.used = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}
