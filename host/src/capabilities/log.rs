//! Adapter log lines into `tracing`, tagged with adapter, version and job. Lines are
//! capped in length and number per call so a misbehaving adapter cannot flood the log.

/// Longest line kept, in bytes; longer lines are cut.
const MAX_LINE: usize = 4096;
/// Lines kept per call; later ones are counted and dropped.
const MAX_LINES_PER_CALL: u32 = 1000;

/// Severity of an adapter log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Trace.
    Trace,
    /// Debug.
    Debug,
    /// Info.
    Info,
    /// Warn.
    Warn,
    /// Error.
    Error,
}

/// The log of one call.
#[derive(Debug, Clone)]
pub struct CallLog {
    adapter: String,
    version: String,
    job: String,
    lines: u32,
}

impl CallLog {
    /// A log for a call of `adapter`@`version` on behalf of `job` (empty when none).
    pub fn new(adapter: &str, version: &str, job: Option<&str>) -> Self {
        CallLog {
            adapter: adapter.to_string(),
            version: version.to_string(),
            job: job.unwrap_or("-").to_string(),
            lines: 0,
        }
    }

    /// Records one line.
    pub fn log(&mut self, level: Level, message: &str) {
        self.lines += 1;
        if self.lines > MAX_LINES_PER_CALL {
            if self.lines == MAX_LINES_PER_CALL + 1 {
                tracing::warn!(adapter = %self.adapter, job = %self.job, "adapter log limit reached; further lines of this call are dropped");
            }
            return;
        }
        let mut end = message.len().min(MAX_LINE);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let m = &message[..end];
        let (a, v, j) = (&self.adapter, &self.version, &self.job);
        match level {
            Level::Trace => {
                tracing::trace!(target: "adapter", adapter = %a, version = %v, job = %j, "{m}")
            }
            Level::Debug => {
                tracing::debug!(target: "adapter", adapter = %a, version = %v, job = %j, "{m}")
            }
            Level::Info => {
                tracing::info!(target: "adapter", adapter = %a, version = %v, job = %j, "{m}")
            }
            Level::Warn => {
                tracing::warn!(target: "adapter", adapter = %a, version = %v, job = %j, "{m}")
            }
            Level::Error => {
                tracing::error!(target: "adapter", adapter = %a, version = %v, job = %j, "{m}")
            }
        }
    }
}
