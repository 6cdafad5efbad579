//! What each failure means for the job and what the user should do, in the words of the
//! product's own user guides. Every typed adapter error and every host-side failure maps
//! to exactly one [`Remediation`].

use crate::runtime::bindings::latest::AdapterError;
use crate::runtime::CallError;
use serde::{Deserialize, Serialize};

/// How a failed job proceeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// Retried automatically with backoff (unreachable, timeout, 429, 5xx).
    Retryable,
    /// Waits for a person to fix something, then a retry (session, permission, config).
    NeedsPerson,
    /// Fails with details; retrying the same data will not help.
    Terminal,
}

/// The user-facing account of a failure.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Remediation {
    /// Stable machine-readable kind (`session_expired`).
    pub kind: String,
    /// How the job proceeds.
    pub class: FailureClass,
    /// The headline users see (`EHR session expired`).
    pub title: String,
    /// What to do, in plain words.
    pub advice: String,
    /// What the adapter or host reported.
    pub detail: String,
    /// Seconds to wait before retrying, when the EHR said.
    pub retry_after_seconds: Option<u32>,
}

use FailureClass::*;

fn r(
    kind: &'static str,
    class: FailureClass,
    title: &str,
    advice: String,
    detail: String,
) -> Remediation {
    Remediation {
        kind: kind.to_string(),
        class,
        title: title.to_string(),
        advice,
        detail,
        retry_after_seconds: None,
    }
}

/// The remediation for a failed call. `local` is true for adapters that reach an EHR
/// database on the practice's network (the advice differs from cloud EHRs).
pub fn for_call_error(e: &CallError, local: bool) -> Remediation {
    let detail = e.to_string();
    match e {
        CallError::Adapter(a) => for_adapter_error(a, local, detail),
        CallError::TimedOut { limit } => r("adapter_timeout", Retryable, "The adapter took too long",
            format!("The adapter was stopped after {}s. The job will be retried automatically; if this keeps happening, contact support with the error message and the agent version.", limit.as_secs()), detail),
        CallError::MemoryExceeded { .. } | CallError::Trapped { .. } | CallError::OutputTooLarge { .. } | CallError::Hung { .. } =>
            r("adapter_bug", Terminal, "The adapter failed unexpectedly",
            "This is a fault in the EHR adapter, not in your data, and nothing was written by this attempt. Contact support with the error message and the agent version.".into(), detail),
        CallError::Host(_) => r("agent_outdated", NeedsPerson, "Agent needs update",
            "The agent could not run this adapter. Check for updates, install if available, and restart the agent; then retry the job.".into(), detail),
    }
}

fn for_adapter_error(e: &AdapterError, local: bool, detail: String) -> Remediation {
    match e {
        AdapterError::SessionExpired(_) => r("session_expired", NeedsPerson, "EHR session expired",
            "EHR session expired: log back in, then retry. You do not need to navigate to a specific page; just make sure the login is active.".into(), detail),
        AdapterError::NotLoggedIn(_) => r("not_logged_in", NeedsPerson, "Your EHR is open but you are not logged in",
            "Log into your EHR, wait for the page to fully load, then retry.".into(), detail),
        AdapterError::Unreachable(_) if local => r("unreachable", Retryable, "Local EHR server unreachable",
            "Confirm your EHR software is running on the server machine and its database service is active. If the server was recently restarted, give it a minute to initialize. The job will be retried automatically.".into(), detail),
        AdapterError::Unreachable(_) => r("unreachable", Retryable, "EHR unreachable",
            "The EHR could not be reached. Check this computer's internet connection and that the EHR's address is right; a firewall or proxy may be blocking it. The job will be retried automatically.".into(), detail),
        AdapterError::Timeout(_) => r("timeout", Retryable, "The EHR did not answer in time",
            "The EHR server may be overloaded or a network device is dropping the connection. The job will be retried automatically; if it keeps failing, test the EHR's reachability from this computer.".into(), detail),
        AdapterError::RateLimited(rl) => {
            let wait = match rl.retry_after_seconds {
                Some(s) => format!("after {s} seconds"),
                None => "with increasing delays".to_string(),
            };
            let mut out = r("rate_limited", Retryable, "The EHR is rate-limiting requests",
                format!("Too many requests reached the EHR in a short window. The job will be retried automatically {wait}; nothing needs to be done."), detail);
            out.retry_after_seconds = rl.retry_after_seconds;
            out
        }
        AdapterError::PermissionDenied(p) => {
            let which = match &p.missing {
                Some(m) => format!(" (missing permission: {m})"),
                None => String::new(),
            };
            r("permission_denied", NeedsPerson, "Permission denied by the EHR",
                format!("The integration account lacks a permission it needs{which}. Ask your EHR administrator to grant it, then retry."), detail)
        }
        AdapterError::Rejected(rej) => {
            let fields: Vec<String> = rej.field_errors.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
            let list = if fields.is_empty() { String::new() } else { format!(" Fields: {}.", fields.join("; ")) };
            r("rejected", Terminal, "The EHR rejected the data",
                format!("The EHR refused the values it was sent.{list} Correct them in the Doctora editor and send again."), detail)
        }
        AdapterError::WrongPatient(_) => r("wrong_patient", Terminal, "Wrong patient",
            "The encounter belongs to a different patient, so nothing was written. Confirm the correct encounter is open before sending, then send again.".into(), detail),
        AdapterError::EncounterLocked(_) => r("encounter_locked", Terminal, "The encounter is signed or locked",
            "Nothing was written. Closed or signed encounters cannot be changed: unlock the encounter or add an addendum in the EHR, then retry.".into(), detail),
        AdapterError::TemplateMismatch(_) => r("template_mismatch", Terminal, "The EHR template changed",
            "The encounter's template in the EHR no longer matches the adapter's mapping (field ids changed), so nothing was written rather than filing data in the wrong place. Contact support: the adapter's mapping needs an update.".into(), detail),
        AdapterError::NotFound(_) => r("not_found", Terminal, "Not found in the EHR",
            "The patient or encounter does not exist in the EHR. Check that the encounter was created in the EHR and that the right one was chosen, then send again.".into(), detail),
        AdapterError::EhrInternal(_) => r("ehr_internal", Retryable, "The EHR reported an internal error",
            "The job will be retried automatically. If it persists, escalate to EHR vendor support with the request ID and time shown below.".into(), detail),
        AdapterError::Misconfigured(_) => r("misconfigured", NeedsPerson, "The adapter is not configured",
            "A setting or grant the adapter needs is missing from the host configuration (details below). Fix the configuration, then retry.".into(), detail),
        AdapterError::AdapterBug(_) => r("adapter_bug", Terminal, "The adapter failed unexpectedly",
            "This is a fault in the EHR adapter, not in your data. Contact support with the error message and the agent version.".into(), detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::bindings::latest::{Permission, RateLimit};

    // Each class of failure gets the class and the seed's advice users rely on.
    #[test]
    fn classes_and_advice() {
        let e = CallError::Adapter(AdapterError::SessionExpired("401".into()));
        let rem = for_call_error(&e, false);
        assert_eq!(rem.class, NeedsPerson);
        assert!(rem
            .advice
            .starts_with("EHR session expired: log back in, then retry"));

        let e = CallError::Adapter(AdapterError::Unreachable("refused".into()));
        assert_eq!(
            for_call_error(&e, true).title,
            "Local EHR server unreachable"
        );
        assert_eq!(for_call_error(&e, false).title, "EHR unreachable");

        let e = CallError::Adapter(AdapterError::RateLimited(RateLimit {
            retry_after_seconds: Some(7),
            message: "slow down".into(),
        }));
        let rem = for_call_error(&e, false);
        assert_eq!((rem.class, rem.retry_after_seconds), (Retryable, Some(7)));
        assert!(rem.advice.contains("after 7 seconds"));

        let e = CallError::Adapter(AdapterError::PermissionDenied(Permission {
            missing: Some("exam.write".into()),
            message: "no".into(),
        }));
        assert!(for_call_error(&e, false)
            .advice
            .contains("missing permission: exam.write"));

        let e = CallError::Adapter(AdapterError::WrongPatient("E1 belongs to P2".into()));
        let rem = for_call_error(&e, false);
        assert_eq!(rem.class, Terminal);
        assert!(rem.detail.contains("E1 belongs to P2"));

        let e = CallError::TimedOut {
            limit: std::time::Duration::from_secs(2),
        };
        assert_eq!(for_call_error(&e, false).class, Retryable);
        let e = CallError::Trapped {
            message: "unreachable".into(),
        };
        assert_eq!(for_call_error(&e, false).kind, "adapter_bug");
    }
}
