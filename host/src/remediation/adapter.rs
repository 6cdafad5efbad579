//! Remediations for a failed call into an adapter: one per typed adapter error and one
//! per way the host stopped the call.

use super::{CredentialKind, FailureClass::*, Remediation, RemediationKind as K, Situation};
use crate::runtime::bindings::latest::AdapterError;
use crate::runtime::CallError;

/// The remediation for a failed call. `detail` is the failure in words, already made
/// safe to show (the caller cleans and redacts what the adapter said).
pub fn for_call_error(e: &CallError, at: Situation, detail: String) -> Remediation {
    match e {
        CallError::Adapter(a) => for_adapter_error(a, at, detail),
        CallError::TimedOut { limit } => Remediation::new(K::AdapterTimeout, Retryable, "The adapter took too long",
            format!("The adapter was stopped after {}s while it was waiting on the EHR. If this keeps happening, test the EHR's reachability from this computer, or contact support with the error message and the agent version.", limit.as_secs()), detail),
        CallError::MemoryExceeded { .. } | CallError::Trapped { .. } | CallError::OutputTooLarge { .. } | CallError::Hung { .. } =>
            Remediation::new(K::AdapterBug, Terminal, "The adapter failed unexpectedly",
            "This is a fault in the EHR adapter, not in your data. Contact support with the error message and the agent version.", detail),
        CallError::Host(_) => Remediation::new(K::AgentOutdated, NeedsPerson, "Agent needs update",
            "The agent could not run this adapter. Check for updates, install if available, and restart the agent; then retry the job.", detail),
    }
}

fn session_advice(credential: CredentialKind) -> &'static str {
    match credential {
        CredentialKind::Session => "EHR session expired: log back in, then retry. You do not need to navigate to a specific page; just make sure the login is active.",
        CredentialKind::ApiToken => "The EHR no longer accepts the API token this agent is configured with. Replace the token in the agent's config.toml (the adapter's credentials), then retry; logging in to the EHR does not change it.",
        CredentialKind::OAuth2 => "The EHR refused the integration's OAuth credentials even with a fresh token. Check the client id and secret in the agent's config.toml with your EHR administrator, then retry.",
        CredentialKind::Database => "The EHR database refused the agent's login. Check the database user and password in the agent's config.toml, then retry.",
    }
}

fn for_adapter_error(e: &AdapterError, at: Situation, detail: String) -> Remediation {
    match e {
        AdapterError::SessionExpired(_) => Remediation::new(K::SessionExpired, NeedsPerson, "EHR session expired", session_advice(at.credential), detail),
        AdapterError::NotLoggedIn(_) => Remediation::new(K::NotLoggedIn, NeedsPerson, "Your EHR is open but you are not logged in",
            "Log into your EHR, wait for the page to fully load, then retry.", detail),
        AdapterError::Unreachable(_) if at.local => Remediation::new(K::Unreachable, Retryable, "Local EHR server unreachable",
            "Confirm your EHR software is running on the server machine and its database service is active. If the server was recently restarted, give it a minute to initialize.", detail),
        AdapterError::Unreachable(_) => Remediation::new(K::Unreachable, Retryable, "EHR unreachable",
            "The EHR could not be reached. Check this computer's internet connection and that the EHR's address is right; a firewall or proxy may be blocking it.", detail),
        AdapterError::Timeout(_) => Remediation::new(K::Timeout, Retryable, "The EHR did not answer in time",
            "The EHR server may be overloaded or a network device is dropping the connection. If it keeps failing, test the EHR's reachability from this computer.", detail),
        AdapterError::RateLimited(rl) => {
            let wait = match rl.retry_after_seconds {
                Some(s) => format!("The EHR asked to wait {s} seconds before the next try."),
                None => "Tries are spaced out with increasing delays.".to_string(),
            };
            let mut out = Remediation::new(K::RateLimited, Retryable, "The EHR is rate-limiting requests",
                format!("Too many requests reached the EHR in a short window. {wait}"), detail);
            out.retry_after_seconds = rl.retry_after_seconds;
            out
        }
        AdapterError::PermissionDenied(p) => {
            let which = p.missing.as_deref().map(|m| format!(" (missing permission: {})", crate::untrusted::clean(m, crate::untrusted::LABEL))).unwrap_or_default();
            Remediation::new(K::PermissionDenied, NeedsPerson, "Permission denied by the EHR",
                format!("The integration account lacks a permission it needs{which}. Ask your EHR administrator to grant it, then retry."), detail)
        }
        AdapterError::Rejected(rej) => {
            let fields: Vec<String> = rej.field_errors.iter().take(20).map(|f| crate::untrusted::clean(&format!("{}: {}", f.field, f.message), crate::untrusted::LABEL)).collect();
            let list = if fields.is_empty() { String::new() } else { format!(" Fields: {}.", fields.join("; ")) };
            Remediation::new(K::Rejected, Terminal, "The EHR rejected the data",
                format!("The EHR refused the values it was sent.{list} Correct them in the Doctora editor and send again."), detail)
        }
        AdapterError::WrongPatient(_) => Remediation::new(K::WrongPatient, Terminal, "Wrong patient",
            "The encounter belongs to a different patient, so nothing was written. Confirm the correct encounter is open before sending, then send again.", detail),
        AdapterError::EncounterLocked(_) => Remediation::new(K::EncounterLocked, Terminal, "The encounter is signed or locked",
            "Nothing was written. Closed or signed encounters cannot be changed: unlock the encounter or add an addendum in the EHR, then retry.", detail),
        AdapterError::TemplateMismatch(_) => Remediation::new(K::TemplateMismatch, Terminal, "The EHR template changed",
            "The encounter's template in the EHR no longer matches the adapter's mapping (field ids changed), so nothing was written rather than filing data in the wrong place. Contact support: the adapter's mapping needs an update.", detail),
        AdapterError::NotFound(_) => Remediation::new(K::NotFound, Terminal, "Not found in the EHR",
            "The patient or encounter does not exist in the EHR. Check that the encounter was created in the EHR and that the right one was chosen, then send again.", detail),
        AdapterError::EhrInternal(_) => Remediation::new(K::EhrInternal, Retryable, "The EHR reported an internal error",
            "If it persists, escalate to EHR vendor support with the request ID and time shown below.", detail),
        AdapterError::Misconfigured(_) => Remediation::new(K::Misconfigured, NeedsPerson, "The adapter is not configured",
            "A setting or grant the adapter needs is missing from the host configuration (details below). Fix the configuration, then retry.", detail),
        AdapterError::Cancelled(_) => super::cancelled(0),
        AdapterError::AdapterBug(_) => Remediation::new(K::AdapterBug, Terminal, "The adapter failed unexpectedly",
            "This is a fault in the EHR adapter, not in your data. Contact support with the error message and the agent version.", detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::bindings::latest::{Permission, RateLimit};

    fn rem(e: CallError, at: Situation) -> Remediation {
        let detail = e.to_string();
        for_call_error(&e, at, detail)
    }

    const CLOUD: Situation = Situation {
        local: false,
        credential: CredentialKind::Session,
    };

    // Each class of failure gets the class and the seed's advice users rely on.
    #[test]
    fn classes_and_advice() {
        let r = rem(
            CallError::Adapter(AdapterError::SessionExpired("401".into())),
            CLOUD,
        );
        assert_eq!((r.kind, r.class), (K::SessionExpired, NeedsPerson));
        assert!(r
            .advice
            .starts_with("EHR session expired: log back in, then retry"));

        let e = || CallError::Adapter(AdapterError::Unreachable("refused".into()));
        let local = Situation {
            local: true,
            ..CLOUD
        };
        assert_eq!(rem(e(), local).title, "Local EHR server unreachable");
        assert_eq!(rem(e(), CLOUD).title, "EHR unreachable");

        let r = rem(
            CallError::Adapter(AdapterError::RateLimited(RateLimit {
                retry_after_seconds: Some(7),
                message: "slow down".into(),
            })),
            CLOUD,
        );
        assert_eq!((r.class, r.retry_after_seconds), (Retryable, Some(7)));
        assert!(r.advice.contains("wait 7 seconds"));

        let r = rem(
            CallError::Adapter(AdapterError::PermissionDenied(Permission {
                missing: Some("exam.write".into()),
                message: "no".into(),
            })),
            CLOUD,
        );
        assert!(r.advice.contains("missing permission: exam.write"));

        let r = rem(
            CallError::Adapter(AdapterError::WrongPatient("E1 belongs to P2".into())),
            CLOUD,
        );
        assert_eq!(r.class, Terminal);
        assert!(r.detail.contains("E1 belongs to P2"));

        let r = rem(
            CallError::TimedOut {
                limit: std::time::Duration::from_secs(2),
            },
            CLOUD,
        );
        assert_eq!(r.class, Retryable);
        let r = rem(
            CallError::Trapped {
                message: "unreachable".into(),
            },
            CLOUD,
        );
        assert_eq!(r.kind, K::AdapterBug);
    }

    // Advice never promises what the agent does: no "will be retried" in any advice.
    #[test]
    fn advice_promises_nothing_about_the_job() {
        let errors = [
            AdapterError::Unreachable("x".into()),
            AdapterError::Timeout("x".into()),
            AdapterError::EhrInternal("x".into()),
            AdapterError::RateLimited(RateLimit {
                retry_after_seconds: None,
                message: "x".into(),
            }),
        ];
        for e in errors {
            let r = rem(CallError::Adapter(e), CLOUD);
            assert!(!r.advice.contains("retried automatically"), "{}", r.advice);
        }
    }

    // An expired session is fixed where the credential lives: by logging in for a
    // session, in config.toml for an API token or OAuth client.
    #[test]
    fn session_advice_fits_the_credential() {
        let e = || CallError::Adapter(AdapterError::SessionExpired("401".into()));
        let with = |credential| Situation {
            local: false,
            credential,
        };
        assert!(rem(e(), with(CredentialKind::Session))
            .advice
            .contains("log back in"));
        let token = rem(e(), with(CredentialKind::ApiToken)).advice;
        assert!(
            token.contains("config.toml") && token.contains("API token"),
            "{token}"
        );
        assert!(!token.contains("log back in"));
        assert!(rem(e(), with(CredentialKind::OAuth2))
            .advice
            .contains("client id and secret"));
    }
}
