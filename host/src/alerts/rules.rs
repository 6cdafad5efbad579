//! The alert rules: from what was observed and what the stores hold, the conditions that
//! hold now. Pure: the same inputs give the same conditions, so they are tested with
//! times the test chooses.

use super::model::{AlertKind, AlertSettings, Condition, Severity};
use super::observe::Seen;
use crate::hub::store::AgentRecord;
use crate::jobs::{JobRecord, Status};

const DAY_MS: u64 = 24 * 3600 * 1000;

/// What the rules read.
pub struct Inputs<'a> {
    /// This process's observations.
    pub seen: &'a Seen,
    /// Jobs claimed now.
    pub claimed: &'a [JobRecord],
    /// Paired agents.
    pub agents: &'a [AgentRecord],
    /// The thresholds.
    pub settings: &'a AlertSettings,
    /// Now (ms).
    pub now_ms: u64,
}

/// Every condition that holds.
pub fn evaluate(i: &Inputs<'_>) -> Vec<Condition> {
    let mut out = Vec::new();
    success_rate(i, &mut out);
    server_errors(i, &mut out);
    tokens(i, &mut out);
    tls(i, &mut out);
    agents(i, &mut out);
    stuck(i, &mut out);
    schedules(i, &mut out);
    out
}

fn success_rate(i: &Inputs<'_>, out: &mut Vec<Condition>) {
    let from = i
        .now_ms
        .saturating_sub(i.settings.success_window_seconds * 1000);
    let window: Vec<bool> = i
        .seen
        .attempts
        .iter()
        .filter(|(t, _)| *t >= from)
        .map(|(_, ok)| *ok)
        .collect();
    let total = window.len() as u64;
    if total == 0 || total < i.settings.success_min_attempts {
        return;
    }
    let ok = window.iter().filter(|o| **o).count() as u64;
    let rate = ok as f64 / total as f64;
    if rate < i.settings.success_rate_below {
        out.push(Condition {
            kind: AlertKind::SuccessRate,
            subject: String::new(),
            severity: severity(rate < i.settings.success_rate_below - 0.10),
            count: total - ok,
            summary: format!(
                "{:.1} % of job attempts succeeded in the last {} minutes ({ok} of {total}); the threshold is {:.1} %",
                rate * 100.0,
                i.settings.success_window_seconds / 60,
                i.settings.success_rate_below * 100.0
            ),
        });
    }
}

fn severity(critical: bool) -> Severity {
    if critical {
        Severity::Critical
    } else {
        Severity::Warning
    }
}

fn server_errors(i: &Inputs<'_>, out: &mut Vec<Condition>) {
    let quiet = i.settings.server_error_quiet_seconds * 1000;
    for (adapter, e) in &i.seen.server_errors {
        if e.count == 0 || e.recovered(i.now_ms, quiet) {
            continue;
        }
        out.push(Condition {
            kind: AlertKind::EhrServerError,
            subject: adapter.clone(),
            severity: severity(e.count >= 10),
            count: e.count,
            summary: format!(
                "the EHR behind `{adapter}` answered with a server error {} time(s) (last: HTTP {}); jobs are retried automatically",
                e.count, e.last_status
            ),
        });
    }
}

fn tokens(i: &Inputs<'_>, out: &mut Vec<Condition>) {
    for (adapter, t) in &i.seen.tokens {
        out.push(Condition {
            kind: AlertKind::TokenRefresh,
            subject: adapter.clone(),
            severity: severity(t.count >= 5),
            count: t.count,
            summary: format!(
                "the EHR refused or failed to issue an OAuth token for `{adapter}` {} time(s): check the client id and secret",
                t.count
            ),
        });
    }
}

fn tls(i: &Inputs<'_>, out: &mut Vec<Condition>) {
    for (origin, not_after) in &i.seen.tls {
        let left_ms = not_after.saturating_sub(i.now_ms);
        if left_ms >= i.settings.tls_expiry_days * DAY_MS {
            continue;
        }
        let days = left_ms / DAY_MS;
        out.push(Condition {
            kind: AlertKind::TlsExpiry,
            subject: origin.clone(),
            severity: severity(left_ms < 7 * DAY_MS),
            count: 1,
            summary: if left_ms == 0 {
                format!("the TLS certificate of {origin} has expired")
            } else {
                format!("the TLS certificate of {origin} expires in {days} day(s)")
            },
        });
    }
}

fn agents(i: &Inputs<'_>, out: &mut Vec<Condition>) {
    let limit = i.settings.agent_offline_seconds * 1000;
    for a in i.agents.iter().filter(|a| a.revoked_ms.is_none()) {
        let last = a.last_heartbeat_ms.unwrap_or(a.paired_ms);
        let silent = i.now_ms.saturating_sub(last);
        if silent <= limit {
            continue;
        }
        let minutes = silent / 60_000;
        out.push(Condition {
            kind: AlertKind::AgentDisconnected,
            subject: a.id.clone(),
            severity: severity(silent > 4 * limit),
            count: 1,
            summary: format!(
                "agent `{}` ({}) of practice `{}` has not been heard from for {minutes} minute(s): is the computer on and online?",
                crate::untrusted::clean(&a.name, 80),
                a.id,
                a.practice_id
            ),
        });
    }
}

fn stuck(i: &Inputs<'_>, out: &mut Vec<Condition>) {
    let after = std::time::Duration::from_secs(i.settings.stuck_seconds);
    for j in i.claimed.iter().filter(|j| j.status == Status::Claimed) {
        let last = j.last_progress_ms.unwrap_or(j.updated_ms);
        if !crate::jobs::is_stuck(last, i.now_ms, after) {
            continue;
        }
        out.push(Condition {
            kind: AlertKind::JobStuck,
            subject: j.id.clone(),
            severity: Severity::Warning,
            count: 1,
            summary: format!(
                "job `{}` ({}) has been claimed by {} for {} minute(s) without progress",
                j.id,
                j.ehr,
                j.claimed_by.as_deref().unwrap_or("an unknown host"),
                i.now_ms.saturating_sub(last) / 60_000
            ),
        });
    }
}

fn schedules(i: &Inputs<'_>, out: &mut Vec<Condition>) {
    let grace = i.settings.schedule_grace_seconds * 1000;
    for (practice, s) in &i.seen.schedules {
        let Some(due) = s.due_ms else { continue };
        let ran_since = s.last_ms.is_some_and(|l| l >= due);
        if ran_since || i.now_ms <= due.saturating_add(grace) {
            continue;
        }
        out.push(Condition {
            kind: AlertKind::ScheduleOverdue,
            subject: practice.clone(),
            severity: Severity::Warning,
            count: 1,
            summary: format!(
                "the schedule sync of practice `{practice}` is {} minute(s) late",
                i.now_ms.saturating_sub(due) / 60_000
            ),
        });
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
