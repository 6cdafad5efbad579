//! Alerts as stored and served: one per incident, keyed by what it is about.

use serde::{Deserialize, Serialize};

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Job success rate below the threshold over the window.
    SuccessRate,
    /// An EHR answered with 5xx.
    EhrServerError,
    /// An OAuth token could not be obtained from an EHR.
    TokenRefresh,
    /// An EHR endpoint's TLS certificate expires soon.
    TlsExpiry,
    /// An agent has not sent a heartbeat for too long.
    AgentDisconnected,
    /// A job claimed without progress for too long.
    JobStuck,
    /// A practice's schedule sync is past its expected time.
    ScheduleOverdue,
}

impl AlertKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::SuccessRate => "success_rate",
            AlertKind::EhrServerError => "ehr_server_error",
            AlertKind::TokenRefresh => "token_refresh",
            AlertKind::TlsExpiry => "tls_expiry",
            AlertKind::AgentDisconnected => "agent_disconnected",
            AlertKind::JobStuck => "job_stuck",
            AlertKind::ScheduleOverdue => "schedule_overdue",
        }
    }
}

/// How bad it is; ordered, so "got worse" is a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Someone should look today.
    Warning,
    /// Someone should look now.
    Critical,
}

/// A condition that holds now, as the rules found it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    /// What.
    pub kind: AlertKind,
    /// About what (adapter, agent, job, practice, origin; empty for the whole hub).
    pub subject: String,
    /// How bad.
    pub severity: Severity,
    /// Occurrences so far (5xx answers, failed token requests, minutes offline...).
    pub count: u64,
    /// In plain words, with the numbers.
    pub summary: String,
}

impl Condition {
    /// The incident's identity: one open alert per key.
    pub fn key(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.subject)
    }
}

/// An alert: an incident from its opening to its resolution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Its id.
    pub id: String,
    /// What.
    pub kind: AlertKind,
    /// About what.
    pub subject: String,
    /// How bad now (the worst seen while open).
    pub severity: Severity,
    /// Occurrences so far.
    pub count: u64,
    /// The latest summary.
    pub summary: String,
    /// Opened (ms since the epoch).
    pub opened_ms: u64,
    /// Last changed (ms).
    pub updated_ms: u64,
    /// Resolved (ms), once the condition stopped holding.
    pub resolved_ms: Option<u64>,
    /// What the person who acknowledged it saw: a later, worse state shows it again.
    pub acknowledged: Option<Acknowledged>,
    /// Hidden until this time (ms) unless it gets worse.
    pub silenced_until_ms: Option<u64>,
    /// The severity and count when silenced.
    pub silenced_at: Option<Acknowledged>,
}

/// The state of an alert when a person dismissed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledged {
    /// When (ms).
    pub at_ms: u64,
    /// Its severity then.
    pub severity: Severity,
    /// Its count then.
    pub count: u64,
}

impl Acknowledged {
    fn worse_now(&self, a: &Alert) -> bool {
        a.severity > self.severity || a.count > self.count
    }
}

impl Alert {
    /// The key of its incident.
    pub fn key(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.subject)
    }

    /// Whether it needs a person's attention at `now_ms`: open, and neither acknowledged
    /// nor silenced, unless it got worse (severity or count raised) since.
    pub fn needs_attention(&self, now_ms: u64) -> bool {
        if self.resolved_ms.is_some() {
            return false;
        }
        let acked = self.acknowledged.is_some_and(|a| !a.worse_now(self));
        let silenced = self.silenced_until_ms.is_some_and(|t| t > now_ms)
            && self.silenced_at.is_some_and(|a| !a.worse_now(self));
        !(acked || silenced)
    }
}

/// What happened to an alert, as delivered to webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertEvent {
    /// A new incident.
    Opened,
    /// An open incident got more severe.
    Escalated,
    /// The condition stopped holding.
    Resolved,
}

/// A webhook receiving alert events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    /// Where events are POSTed (https, or http for loopback receivers).
    pub url: String,
    /// The shared secret the HMAC-SHA256 signature is made with.
    pub secret: String,
}

/// The operator's alert settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertSettings {
    /// Alert when the success rate is below this (0..1).
    pub success_rate_below: f64,
    /// Over this window (seconds).
    pub success_window_seconds: u64,
    /// Only once the window holds this many attempts.
    pub success_min_attempts: u64,
    /// An EHR 5xx incident resolves after a good answer and this long without 5xx.
    pub server_error_quiet_seconds: u64,
    /// An agent without heartbeat this long is disconnected.
    pub agent_offline_seconds: u64,
    /// A claimed job without progress this long is stuck.
    pub stuck_seconds: u64,
    /// Certificates expiring within this many days.
    pub tls_expiry_days: u64,
    /// A schedule sync this long past its due time is overdue.
    pub schedule_grace_seconds: u64,
    /// Where alert events are delivered.
    pub webhooks: Vec<Webhook>,
    /// Delivery attempts per event and webhook before it is given up (and logged).
    pub webhook_attempts: u32,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            success_rate_below: 0.95,
            success_window_seconds: 15 * 60,
            success_min_attempts: 20,
            server_error_quiet_seconds: 60,
            agent_offline_seconds: 10 * 60,
            stuck_seconds: 5 * 60,
            tls_expiry_days: 30,
            schedule_grace_seconds: 15 * 60,
            webhooks: vec![],
            webhook_attempts: 10,
        }
    }
}

impl AlertSettings {
    /// Why these settings cannot be used, if they cannot.
    pub fn check(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.success_rate_below) {
            return Err("success_rate_below is a fraction between 0 and 1 (0.95 = 95 %)".into());
        }
        if self.success_window_seconds == 0 || self.stuck_seconds == 0 {
            return Err("windows and thresholds must be at least one second".into());
        }
        for w in &self.webhooks {
            let u = url::Url::parse(&w.url)
                .map_err(|e| format!("webhook `{}` is not a URL: {e}", w.url))?;
            let loopback = matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
            if u.scheme() != "https" && !(u.scheme() == "http" && loopback) {
                return Err(format!(
                    "webhook `{}` must use https (plain http only to this machine)",
                    w.url
                ));
            }
            if w.secret.len() < 16 {
                return Err(format!(
                    "the secret of webhook `{}` must be at least 16 characters",
                    w.url
                ));
            }
        }
        Ok(())
    }
}
