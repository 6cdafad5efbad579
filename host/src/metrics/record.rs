//! Counting events where they happen. Each method also tells the alert observations
//! ([`crate::alerts::observe`]), so a metric and an alert never disagree about an event.

use super::registry::{labels, Metrics};
use crate::alerts::observe;
use crate::jobs::{JobRecord, Status};
use crate::remediation::{FailureClass, Remediation, RemediationKind};

/// How a settled attempt left its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    /// Written (with or without warnings): final.
    Succeeded,
    /// Written with fields skipped or changed: final.
    SucceededWithWarnings,
    /// Failed, retried automatically later.
    Retrying,
    /// Failed, waiting for a person (or will not succeed).
    Failed,
    /// Stopped by a person.
    Cancelled,
}

impl JobOutcome {
    /// The outcome of an attempt that left its job in `status`.
    pub fn of(status: Status) -> JobOutcome {
        match status {
            Status::Succeeded => JobOutcome::Succeeded,
            Status::SucceededWithWarnings => JobOutcome::SucceededWithWarnings,
            Status::Pending | Status::Claimed => JobOutcome::Retrying,
            Status::Failed => JobOutcome::Failed,
            Status::Cancelled => JobOutcome::Cancelled,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            JobOutcome::Succeeded => "succeeded",
            JobOutcome::SucceededWithWarnings => "succeeded_with_warnings",
            JobOutcome::Retrying => "retrying",
            JobOutcome::Failed => "failed",
            JobOutcome::Cancelled => "cancelled",
        }
    }

    fn succeeded(self) -> bool {
        matches!(
            self,
            JobOutcome::Succeeded | JobOutcome::SucceededWithWarnings
        )
    }
}

/// Whether an OAuth token could be obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefresh {
    /// A token was issued.
    Issued,
    /// The token endpoint refused or failed.
    Failed,
}

fn class_str(c: FailureClass) -> &'static str {
    match c {
        FailureClass::Retryable => "retryable",
        FailureClass::NeedsPerson => "needs_person",
        FailureClass::Terminal => "terminal",
    }
}

fn now_ms() -> u64 {
    crate::jobs::SystemClock.now_ms()
}

use crate::jobs::Clock as _;

impl Metrics {
    /// A job attempt was recorded: `job` as it was claimed, `status` its state after,
    /// `error` the failure when it failed. `practice` names the tenant on a hub.
    pub fn job_settled(&self, job: &JobRecord, status: Status, error: Option<&Remediation>) {
        let outcome = JobOutcome::of(status);
        let now = now_ms();
        let ehr = job.ehr.as_str();
        if outcome != JobOutcome::Cancelled {
            let result = if outcome.succeeded() {
                "success"
            } else {
                "failure"
            };
            self.attempts
                .get_or_create(&labels(&[("ehr", ehr), ("result", result)]))
                .inc();
            observe::global().attempt(now, outcome.succeeded());
        }
        if outcome != JobOutcome::Retrying {
            self.jobs
                .get_or_create(&labels(&[("ehr", ehr), ("outcome", outcome.as_str())]))
                .inc();
        }
        if outcome.succeeded() {
            let secs = now.saturating_sub(job.created_ms) as f64 / 1000.0;
            self.latency
                .get_or_create(&labels(&[("ehr", ehr)]))
                .observe(secs);
            self.encounter_checks
                .get_or_create(&labels(&[("ehr", ehr), ("result", "match")]))
                .inc();
        }
        if let Some(e) = error.filter(|_| !outcome.succeeded()) {
            self.errors
                .get_or_create(&labels(&[
                    ("ehr", ehr),
                    ("kind", e.kind.as_str()),
                    ("class", class_str(e.class)),
                ]))
                .inc();
            if e.kind == RemediationKind::WrongPatient {
                self.encounter_checks
                    .get_or_create(&labels(&[("ehr", ehr), ("result", "wrong_patient")]))
                    .inc();
            }
        }
    }

    /// An agent's result for `job` was recorded on the hub: counted like a settled
    /// attempt, and the EHR's server errors (which the hub does not see itself) feed
    /// the practice's EHR incident, keyed `<adapter>@<practice>`.
    pub fn agent_result(&self, job: &JobRecord, status: Status, error: Option<&Remediation>) {
        self.job_settled(job, status, error);
        let practice = job.scope.as_deref().unwrap_or("");
        let subject = format!("{}@{practice}", job.ehr);
        let outcome = JobOutcome::of(status);
        if error.is_some_and(|e| e.kind == RemediationKind::EhrInternal) && !outcome.succeeded() {
            observe::global().ehr_status(&subject, 500, now_ms());
        } else if outcome.succeeded() {
            observe::global().ehr_status(&subject, 200, now_ms());
        }
    }

    /// An EHR answered `adapter`'s request with `status`.
    pub fn ehr_response(&self, adapter: &str, status: u16) {
        self.ehr_responses
            .get_or_create(&labels(&[
                ("adapter", adapter),
                ("code", &status.to_string()),
            ]))
            .inc();
        observe::global().ehr_status(adapter, status, now_ms());
    }

    /// An OAuth token for `adapter` was issued or refused.
    pub fn token_refresh(&self, adapter: &str, result: TokenRefresh) {
        let r = match result {
            TokenRefresh::Issued => "issued",
            TokenRefresh::Failed => "failed",
        };
        self.token_refreshes
            .get_or_create(&labels(&[("adapter", adapter), ("result", r)]))
            .inc();
        observe::global().token(adapter, result == TokenRefresh::Issued, now_ms());
    }

    /// An OAuth token for `adapter` is in hand (cached): not counted, but it ends a
    /// token-failure incident.
    pub fn token_usable(&self, adapter: &str) {
        observe::global().token(adapter, true, now_ms());
    }

    /// A schedule sync of `practice` ended with `reason` (its typed reason code, e.g.
    /// `ok`, `ehr_unreachable`). Called by the schedule sync; also clears an overdue
    /// alert for the practice.
    pub fn schedule_result(&self, practice: &str, reason: &str) {
        self.schedule
            .get_or_create(&labels(&[("practice", practice), ("reason", reason)]))
            .inc();
        observe::global().schedule_ran(practice, now_ms());
    }

    /// A schedule sync pass of `practice`'s `ehr` the hub received: counts the pass by
    /// how it ended (`ok`, `failed`), sets the appointments of that pass by reason code
    /// (`synced` for those that sync), and expects the next pass within `abnormal_ms`.
    pub fn schedule_pass(
        &self,
        practice: &str,
        ehr: &str,
        failed: bool,
        syncing: u32,
        by_reason: &std::collections::BTreeMap<String, u32>,
        abnormal_ms: u64,
    ) {
        self.schedule_result(practice, if failed { "failed" } else { "ok" });
        if !failed {
            let set = |reason: &str, n: u32| {
                self.schedule_appointments
                    .get_or_create(&labels(&[
                        ("practice", practice),
                        ("ehr", ehr),
                        ("reason", reason),
                    ]))
                    .set(i64::from(n));
            };
            set("synced", syncing);
            for reason in crate::schedule::Reason::CODES {
                set(reason, by_reason.get(reason).copied().unwrap_or(0));
            }
        }
        self.schedule_due(practice, now_ms() + abnormal_ms);
    }

    /// `practice`'s next schedule sync is expected by `due_ms` (ms): called by the
    /// schedule sync when it plans its next run; past it by the grace in the alert
    /// settings without a [`Metrics::schedule_result`], an overdue alert opens.
    pub fn schedule_due(&self, practice: &str, due_ms: u64) {
        observe::global().schedule_due(practice, due_ms);
    }

    /// The TLS certificate chain of `origin` (an EHR endpoint) expires at `not_after_ms`
    /// (the earliest not-after in the chain), as seen on a connection now.
    pub fn tls_seen(&self, origin: &str, not_after_ms: u64) {
        let left = (not_after_ms as f64 - now_ms() as f64) / 1000.0;
        self.tls_expiry
            .get_or_create(&labels(&[("origin", origin)]))
            .set(left);
        observe::global().tls(origin, not_after_ms);
    }
}
