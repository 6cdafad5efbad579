//! Adapter log lines into `tracing`, tagged with adapter, version and job. Lines are
//! capped in length and number per call so a misbehaving adapter cannot flood the log.
//!
//! An adapter's line is untrusted text: before it is logged, every secret the host holds
//! is redacted from it, and it is made one safe line ([`untrusted::clean`]), so one
//! adapter log line is exactly one host log line: a newline cannot start a forged line
//! ("job J-FAKE succeeded") and an escape sequence cannot act on the terminal showing it.

use super::secrets::SecretSet;
use crate::untrusted;
use std::sync::Arc;

/// Longest line kept, in characters; longer lines are cut with a count of what was cut.
const MAX_LINE: usize = untrusted::MESSAGE;
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
    // Shared by every call of one loaded adapter: cleaned once, not per call.
    adapter: Arc<str>,
    version: Arc<str>,
    job: String,
    lines: u32,
    secrets: SecretSet,
}

impl CallLog {
    /// A log for a call of `adapter`@`version` on behalf of `job` (empty when none).
    /// The job id comes from outside the host too, so it is cleaned like the lines.
    pub fn new(adapter: &str, version: &str, job: Option<&str>) -> Self {
        CallLog {
            adapter: untrusted::clean(adapter, untrusted::LABEL).into(),
            version: untrusted::clean(version, untrusted::LABEL).into(),
            job: String::new(),
            lines: 0,
            secrets: SecretSet::new(),
        }
        .for_call(job)
    }

    /// A fresh log for another call of the same adapter (its names are not cleaned
    /// again), on behalf of `job`.
    pub fn for_call(&self, job: Option<&str>) -> Self {
        CallLog {
            adapter: self.adapter.clone(),
            version: self.version.clone(),
            job: untrusted::clean(job.unwrap_or("-"), untrusted::LABEL),
            lines: 0,
            secrets: self.secrets.clone(),
        }
    }

    /// Redacts `secrets` from every line.
    pub fn with_secrets(mut self, secrets: SecretSet) -> Self {
        self.secrets = secrets;
        self
    }

    /// What is logged for the adapter's `message`: redacted (before it is cut, so a cut
    /// cannot leave half a secret), then one safe line of bounded length.
    pub fn line(&self, message: &str) -> String {
        untrusted::clean(&self.secrets.redact(message), MAX_LINE)
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
        if !enabled(level) {
            // Redacting and cleaning a line nobody will see is wasted work per call.
            return;
        }
        let line = self.line(message);
        let m = &line;
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

/// Whether a line at `level` would be logged anywhere.
fn enabled(level: Level) -> bool {
    use tracing::Level as L;
    match level {
        Level::Trace => tracing::enabled!(target: "adapter", L::TRACE),
        Level::Debug => tracing::enabled!(target: "adapter", L::DEBUG),
        Level::Info => tracing::enabled!(target: "adapter", L::INFO),
        Level::Warn => tracing::enabled!(target: "adapter", L::WARN),
        Level::Error => tracing::enabled!(target: "adapter", L::ERROR),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A line with a newline, escapes and a secret becomes one safe line without the
    // secret; a very long line is cut with a count.
    #[test]
    fn one_safe_line() {
        let secrets = SecretSet::new();
        secrets.add_configured("sandbox-token");
        let log = CallLog::new("a", "1.0.0", Some("J\nX")).with_secrets(secrets);
        let line = log.line("ok\r\nINFO job J-FAKE succeeded \u{1b}[2J Bearer sandbox-token");
        assert!(
            !line.contains('\n') && !line.contains('\r') && !line.contains('\u{1b}'),
            "{line}"
        );
        assert!(line.contains("Bearer [redacted]"), "{line}");
        assert_eq!(log.job, "J⏎X");
        let long = log.line(&"x".repeat(100_000));
        assert!(
            long.ends_with("more characters cut]") && long.len() < MAX_LINE + 64,
            "{}",
            long.len()
        );
    }
}
