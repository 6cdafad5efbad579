//! Host bindings, one module per supported contract version (`v0_1_0`, `v0_2_0`), kept
//! side by side so adapters built for an older contract keep loading (as Zed's extension
//! host keeps its `since_v0_x_y` modules). `latest` is the newest; the rest of the host
//! speaks its types, and [`AdapterPre`] calls any version in them.

mod exports;
mod pre;
pub mod v0_1_0;
pub mod v0_2_0;

pub use pre::{AdapterPre, Answer, Call};
pub use v0_2_0 as latest;

use latest::AdapterError;

/// One line describing a typed adapter error, in the adapter's own words.
pub fn describe_error(e: &AdapterError) -> String {
    match e {
        AdapterError::SessionExpired(m) => format!("session expired: {m}"),
        AdapterError::NotLoggedIn(m) => format!("not logged in: {m}"),
        AdapterError::Unreachable(m) => format!("unreachable: {m}"),
        AdapterError::Timeout(m) => format!("timeout: {m}"),
        AdapterError::RateLimited(r) => match r.retry_after_seconds {
            Some(s) => format!("rate limited (retry after {s}s): {}", r.message),
            None => format!("rate limited: {}", r.message),
        },
        AdapterError::PermissionDenied(p) => match &p.missing {
            Some(perm) => format!("permission denied (missing `{perm}`): {}", p.message),
            None => format!("permission denied: {}", p.message),
        },
        AdapterError::Rejected(r) => {
            let mut s = format!("rejected by the EHR: {}", r.message);
            for f in &r.field_errors {
                s.push_str(&format!("; {}: {}", f.field, f.message));
            }
            s
        }
        AdapterError::WrongPatient(m) => format!("wrong patient: {m}"),
        AdapterError::EncounterLocked(m) => format!("encounter locked: {m}"),
        AdapterError::TemplateMismatch(m) => format!("template mismatch: {m}"),
        AdapterError::NotFound(m) => format!("not found: {m}"),
        AdapterError::EhrInternal(m) => format!("EHR internal error: {m}"),
        AdapterError::Misconfigured(m) => format!("misconfigured: {m}"),
        AdapterError::AdapterBug(m) => format!("adapter bug: {m}"),
        AdapterError::Cancelled(m) => format!("cancelled: {m}"),
    }
}
