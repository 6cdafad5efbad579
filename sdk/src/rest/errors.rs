//! Turning an EHR's error answer into the typed [`AdapterError`] the host advises on. The
//! status decides the kind; the body's shape (where the code, the message and the
//! per-field errors are) is the EHR's own, so it is configured per adapter
//! ([`ErrorShape`]) instead of assumed.

use crate::http::Response;
use crate::{AdapterError, FieldError, Permission, RateLimit, Rejection};
use serde_json::Value;

/// What a 409 Conflict means at this EHR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// Always `encounter-locked` (the EHR answers 409 only for closed encounters).
    Locked,
    /// Always `rejected` with the EHR's code and message.
    Rejected,
    /// `encounter-locked` when the error code contains one of these words, else
    /// `rejected` (an EHR that also answers 409 for edit conflicts).
    LockedWhenCode(&'static [&'static str]),
}

/// Where the per-field errors are in an error body: `list` is the dotted path of the
/// array (`fieldErrors`, `errors`, `error.details`), `field` and `message` the dotted
/// paths inside each item (`field`, `target.name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldErrorsAt {
    /// The array's path from the body's root.
    pub list: &'static str,
    /// The field name's path inside an item.
    pub field: &'static str,
    /// The message's path inside an item.
    pub message: &'static str,
}

/// The shape of an EHR's error bodies. Paths are dotted key paths into the JSON body; a
/// value missing at its path is simply absent. `ErrorShape::default()` is the common
/// `{"error", "message", "fieldErrors": [{"field", "message"}], "missingPermission",
/// "requestId"}` shape with 409 as locked when the code says `signed` or `locked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorShape {
    /// The EHR's error code.
    pub code: &'static str,
    /// The human message (the code is used when there is none).
    pub message: &'static str,
    /// The permission a 403 says is missing.
    pub missing_permission: &'static str,
    /// The request id a 5xx carries, for escalation.
    pub request_id: &'static str,
    /// Where the per-field errors are.
    pub field_errors: FieldErrorsAt,
    /// Codes of a 401 that mean "nobody is logged in" rather than "session expired".
    pub not_logged_in: &'static [&'static str],
    /// What a 409 means.
    pub conflict: Conflict,
}

impl Default for ErrorShape {
    fn default() -> Self {
        ErrorShape {
            code: "error",
            message: "message",
            missing_permission: "missingPermission",
            request_id: "requestId",
            field_errors: FieldErrorsAt {
                list: "fieldErrors",
                field: "field",
                message: "message",
            },
            not_logged_in: &["not_logged_in", "logged_out"],
            conflict: Conflict::LockedWhenCode(&["signed", "locked"]),
        }
    }
}

/// The value at a dotted key path.
fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .filter(|k| !k.is_empty())
        .try_fold(v, |v, key| v.get(key))
}

/// The text at a dotted key path (numbers written out).
fn text_at(v: &Value, path: &str) -> Option<String> {
    match at(v, path)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl ErrorShape {
    /// The per-field errors of an error body.
    pub fn field_errors(&self, body: &Value) -> Vec<FieldError> {
        let at_ = self.field_errors;
        at(body, at_.list)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| {
                        Some(FieldError {
                            field: text_at(item, at_.field)?,
                            message: text_at(item, at_.message).unwrap_or_default(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `Ok(())` for 2xx; otherwise the typed error:
    ///
    /// | status | error |
    /// |---|---|
    /// | 401 | `session-expired`, or `not-logged-in` when the code is one of `not_logged_in` |
    /// | 403 | `permission-denied`, naming the missing permission when the body does |
    /// | 404 | `not-found` |
    /// | 408 | `timeout` |
    /// | 409 | as [`Conflict`] says |
    /// | 400, 422 | `rejected`, with the per-field errors |
    /// | 429 | `rate-limited`, with `Retry-After` seconds |
    /// | 5xx | `ehr-internal`, with the request id |
    pub fn check(&self, response: &Response) -> Result<(), AdapterError> {
        if response.is_success() {
            return Ok(());
        }
        let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        let code = text_at(&body, self.code);
        let message = text_at(&body, self.message)
            .or(code.clone())
            .unwrap_or_else(|| format!("HTTP {}", response.status));
        let code_has = |words: &[&str]| {
            code.as_deref()
                .is_some_and(|c| words.iter().any(|w| c.contains(w)))
        };
        let rejected = || {
            AdapterError::Rejected(Rejection {
                code: code.clone(),
                message: message.clone(),
                field_errors: self.field_errors(&body),
            })
        };
        Err(match response.status {
            401 if code_has(self.not_logged_in) => AdapterError::NotLoggedIn(message),
            401 => AdapterError::SessionExpired(message),
            403 => AdapterError::PermissionDenied(Permission {
                missing: text_at(&body, self.missing_permission),
                message,
            }),
            404 => AdapterError::NotFound(message),
            408 => AdapterError::Timeout(format!("the EHR answered 408: {message}")),
            409 => match self.conflict {
                Conflict::Locked => AdapterError::EncounterLocked(message),
                Conflict::LockedWhenCode(words) if code_has(words) => {
                    AdapterError::EncounterLocked(message)
                }
                _ => rejected(),
            },
            400 | 422 => rejected(),
            429 => AdapterError::RateLimited(RateLimit {
                retry_after_seconds: response
                    .header("retry-after")
                    .and_then(|v| v.trim().parse().ok()),
                message,
            }),
            s if s >= 500 => AdapterError::EhrInternal(match text_at(&body, self.request_id) {
                Some(id) => format!("HTTP {s} {message} (request id {id})"),
                None => format!("HTTP {s} {message}"),
            }),
            s => AdapterError::EhrInternal(format!("unexpected HTTP {s}: {message}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![("retry-after".into(), "7".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    // The default shape: field errors, a 409 that names a signed encounter, a 401 that
    // says nobody is logged in, 429 with Retry-After, 5xx with the request id.
    #[test]
    fn default_shape() {
        let s = ErrorShape::default();
        let e = s
            .check(&response(
                422,
                r#"{"error":"validation_failed","message":"bad","fieldErrors":[{"field":"iopOd","message":"too high"}]}"#,
            ))
            .unwrap_err();
        assert!(
            matches!(&e, AdapterError::Rejected(r) if r.field_errors[0].field == "iopOd" && r.code.as_deref() == Some("validation_failed")),
            "{e:?}"
        );
        let e = s.check(&response(409, r#"{"error":"encounter_signed"}"#));
        assert!(matches!(e, Err(AdapterError::EncounterLocked(_))));
        let e = s.check(&response(409, r#"{"error":"edit_conflict"}"#));
        assert!(matches!(e, Err(AdapterError::Rejected(_))));
        let e = s.check(&response(401, r#"{"error":"not_logged_in"}"#));
        assert!(matches!(e, Err(AdapterError::NotLoggedIn(_))));
        let e = s.check(&response(429, "not json"));
        assert!(matches!(e, Err(AdapterError::RateLimited(r)) if r.retry_after_seconds == Some(7)));
        let e = s.check(&response(500, r#"{"requestId":"r-1"}"#));
        assert!(matches!(e, Err(AdapterError::EhrInternal(m)) if m.contains("r-1")));
        assert!(s.check(&response(204, "")).is_ok());
    }

    // Another EHR's shape: errors under `errors[].target.name`, the message nested, and
    // 409 always locked or always a rejection, by configuration.
    #[test]
    fn configured_shape() {
        let s = ErrorShape {
            code: "error.code",
            message: "error.text",
            field_errors: FieldErrorsAt {
                list: "error.details",
                field: "target.name",
                message: "description",
            },
            conflict: Conflict::Locked,
            ..ErrorShape::default()
        };
        let body = r#"{"error":{"code":"E42","text":"invalid exam","details":[
            {"target":{"name":"MRX_OD_SPH"},"description":"quarter steps"},{"nope":1}]}}"#;
        let e = s.check(&response(422, body)).unwrap_err();
        let AdapterError::Rejected(r) = e else {
            panic!("{e:?}")
        };
        assert_eq!(r.message, "invalid exam");
        assert_eq!(r.code.as_deref(), Some("E42"));
        assert_eq!(
            r.field_errors,
            vec![FieldError {
                field: "MRX_OD_SPH".into(),
                message: "quarter steps".into()
            }]
        );
        assert!(matches!(
            s.check(&response(409, "{}")),
            Err(AdapterError::EncounterLocked(_))
        ));
        let s = ErrorShape {
            conflict: Conflict::Rejected,
            ..s
        };
        assert!(matches!(
            s.check(&response(409, r#"{"error":{"code":"signed"}}"#)),
            Err(AdapterError::Rejected(_))
        ));
    }
}
