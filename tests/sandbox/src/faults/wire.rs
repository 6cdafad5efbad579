//! The flat JSON form of a fault, shared by `POST /_sandbox/faults` and `State`.

use serde::{Deserialize, Serialize};

use super::{Fault, FaultMode};

/// The flat wire form of a [`Fault`], as accepted by `POST /_sandbox/faults`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct FaultSpec {
    mode: ModeName,
    #[serde(default)]
    count: Option<u32>,
    #[serde(default)]
    path_contains: Option<String>,
    #[serde(default)]
    retry_after: Option<u32>,
    #[serde(default)]
    delay_ms: Option<u64>,
    #[serde(default)]
    missing_permission: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ModeName {
    SessionExpired,
    LoggedOut,
    Forbidden,
    RequestTimeout,
    Slow,
    Reject,
    RateLimited,
    Internal,
    Unavailable,
    Reset,
    TemplateChanged,
    LandThenTimeout,
}

impl From<Fault> for FaultSpec {
    fn from(fault: Fault) -> FaultSpec {
        let mut spec = FaultSpec {
            mode: ModeName::Reset,
            count: fault.count,
            path_contains: fault.path_contains,
            retry_after: None,
            delay_ms: None,
            missing_permission: None,
        };
        spec.mode = match fault.mode {
            FaultMode::SessionExpired => ModeName::SessionExpired,
            FaultMode::LoggedOut => ModeName::LoggedOut,
            FaultMode::Forbidden { missing_permission } => {
                spec.missing_permission = missing_permission;
                ModeName::Forbidden
            }
            FaultMode::RequestTimeout => ModeName::RequestTimeout,
            FaultMode::Slow { delay_ms } => {
                spec.delay_ms = Some(delay_ms);
                ModeName::Slow
            }
            FaultMode::Reject => ModeName::Reject,
            FaultMode::RateLimited { retry_after } => {
                spec.retry_after = retry_after;
                ModeName::RateLimited
            }
            FaultMode::Internal => ModeName::Internal,
            FaultMode::Unavailable => ModeName::Unavailable,
            FaultMode::Reset => ModeName::Reset,
            FaultMode::TemplateChanged => ModeName::TemplateChanged,
            FaultMode::LandThenTimeout => ModeName::LandThenTimeout,
        };
        spec
    }
}

impl TryFrom<FaultSpec> for Fault {
    type Error = String;

    /// Refuses parameters that do not belong to the mode: a misspelt or misplaced option
    /// in a test script should fail loudly rather than silently do nothing.
    fn try_from(spec: FaultSpec) -> Result<Fault, String> {
        let name = serde_json::to_value(spec.mode)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let only_for = |present: bool, field: &str, allowed: ModeName| -> Result<(), String> {
            if present && spec.mode != allowed {
                Err(format!("{field} does not apply to mode {name}"))
            } else {
                Ok(())
            }
        };
        only_for(
            spec.retry_after.is_some(),
            "retryAfter",
            ModeName::RateLimited,
        )?;
        only_for(spec.delay_ms.is_some(), "delayMs", ModeName::Slow)?;
        only_for(
            spec.missing_permission.is_some(),
            "missingPermission",
            ModeName::Forbidden,
        )?;
        if spec.count == Some(0) {
            return Err("count must be at least 1 (or null for until cleared)".to_string());
        }
        let mode = match spec.mode {
            ModeName::SessionExpired => FaultMode::SessionExpired,
            ModeName::LoggedOut => FaultMode::LoggedOut,
            ModeName::Forbidden => FaultMode::Forbidden {
                missing_permission: spec.missing_permission,
            },
            ModeName::RequestTimeout => FaultMode::RequestTimeout,
            ModeName::Slow => FaultMode::Slow {
                delay_ms: spec
                    .delay_ms
                    .ok_or_else(|| "mode slow needs delayMs".to_string())?,
            },
            ModeName::Reject => FaultMode::Reject,
            ModeName::RateLimited => FaultMode::RateLimited {
                retry_after: spec.retry_after,
            },
            ModeName::Internal => FaultMode::Internal,
            ModeName::Unavailable => FaultMode::Unavailable,
            ModeName::Reset => FaultMode::Reset,
            ModeName::TemplateChanged => FaultMode::TemplateChanged,
            ModeName::LandThenTimeout => FaultMode::LandThenTimeout,
        };
        Ok(Fault {
            mode,
            count: spec.count,
            path_contains: spec.path_contains,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The wire form round-trips and refuses parameters that belong to another mode.
    #[test]
    fn wire_form_round_trips_and_is_strict() {
        let fault = Fault::new(FaultMode::RateLimited {
            retry_after: Some(7),
        })
        .times(3)
        .on_path("/exam");
        let json = serde_json::to_value(&fault).unwrap();
        assert_eq!(json["mode"], "rate_limited");
        assert_eq!(json["retryAfter"], 7);
        assert_eq!(json["pathContains"], "/exam");
        assert_eq!(serde_json::from_value::<Fault>(json).unwrap(), fault);

        let bad = serde_json::json!({"mode": "reject", "delayMs": 10});
        assert!(serde_json::from_value::<Fault>(bad).is_err());
        let missing = serde_json::json!({"mode": "slow"});
        assert!(serde_json::from_value::<Fault>(missing).is_err());
        let nulls = serde_json::json!({"mode": "slow", "delayMs": 5, "count": null, "pathContains": null,
            "retryAfter": null, "missingPermission": null});
        assert_eq!(
            serde_json::from_value::<Fault>(nulls).unwrap(),
            Fault::new(FaultMode::Slow { delay_ms: 5 })
        );
    }
}
