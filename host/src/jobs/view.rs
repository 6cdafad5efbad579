//! A job as every reader shows it — `jobs list/show --json` and the job API give the
//! same JSON — and as a terminal shows it.

use super::lifecycle::Status;
use super::policy::is_stuck;
use super::queue::JobRecord;
use crate::remediation::Remediation;
use crate::report::WriteReport;
use serde::Serialize;
use std::fmt::Write as _;
use std::time::Duration;

/// One job with what users need to read it.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    /// The stored job (its report and failure are the fields below).
    pub job: JobRecord,
    /// Claimed for longer than the stuck threshold without progress: contact support.
    pub stuck: bool,
    /// The last attempt's per-field report.
    pub report: Option<WriteReport>,
    /// The last failure.
    pub error: Option<Remediation>,
}

impl JobView {
    /// The view of `job` at `now_ms`, flagging it stuck after `stuck_after`.
    pub fn new(mut job: JobRecord, now_ms: u64, stuck_after: Duration) -> JobView {
        let stuck = job.status == Status::Claimed
            && job
                .last_progress_ms
                .is_some_and(|t| is_stuck(t, now_ms, stuck_after));
        let report = job.report.take();
        let error = job.error.take();
        if job.status != Status::Claimed {
            // Progress is only shown while it is true.
            job.progress = None;
        }
        JobView {
            job,
            stuck,
            report,
            error,
        }
    }

    /// One line for `jobs list`.
    pub fn line(&self) -> String {
        let j = &self.job;
        let mut s = format!(
            "{:28} {:12} {:24} attempts {}",
            j.id,
            j.ehr,
            j.status.words(),
            j.attempts
        );
        if j.cancel_requested && j.status == Status::Claimed {
            s.push_str("  cancel requested");
        }
        if self.stuck {
            s.push_str("  STUCK: claimed without progress for too long, contact support");
        }
        s
    }

    /// The whole job for `jobs show`.
    pub fn render(&self) -> String {
        let j = &self.job;
        let mut s = format!(
            "job {} for {}: {} (attempts {})\n",
            j.id,
            j.ehr,
            j.status.words(),
            j.attempts
        );
        if let Some(p) = &j.progress {
            let _ = writeln!(s, "progress: {p}");
        }
        if j.cancel_requested && j.status == Status::Claimed {
            let _ = writeln!(s, "cancel requested: the agent stops before its next write and records what is in the chart");
        }
        if self.stuck {
            let _ = writeln!(
                s,
                "STUCK: claimed without progress for too long: contact support"
            );
        }
        if let Some(r) = &self.report {
            s.push_str(&r.render());
        }
        // A failure that came after the report (found before the adapter was called).
        if let Some(e) = self
            .error
            .as_ref()
            .filter(|e| self.report.as_ref().and_then(|r| r.error.as_ref()) != Some(*e))
        {
            let _ = write!(s, "last failure: {}", crate::report::render_remediation(e));
        }
        s
    }
}
