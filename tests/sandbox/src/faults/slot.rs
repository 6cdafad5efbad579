//! The active fault and the decision, per request, whether it fires.

use super::{Fault, FaultMode};

/// The facts about a request that decide whether a fault hits it.
#[derive(Debug, Clone)]
pub(crate) struct RequestInfo<'a> {
    pub path: &'a str,
    /// `PUT` or `POST` to the EHR's API (`/api/`, `/ehr/`).
    pub is_api_write: bool,
    /// A template read or an exam-section write: what [`FaultMode::TemplateChanged`] affects.
    pub template_sensitive: bool,
}

impl RequestInfo<'_> {
    /// Faults are for the EHR's API; everything else (notably `/_sandbox/`) stays reachable.
    fn fault_eligible(&self) -> bool {
        crate::gateway::is_api_path(self.path)
            || self.path.starts_with("/oauth/")
            || self.path.starts_with("/oauth2/")
    }
}

impl FaultMode {
    fn hits(&self, req: &RequestInfo<'_>) -> bool {
        match self {
            FaultMode::Reject | FaultMode::LandThenTimeout => req.is_api_write,
            FaultMode::TemplateChanged => req.template_sensitive,
            _ => true,
        }
    }
}

/// The one active fault, shared between the control API and the request path.
#[derive(Debug, Default)]
pub(crate) struct FaultSlot {
    active: std::sync::Mutex<Option<Fault>>,
}

impl FaultSlot {
    /// Replaces the active fault. A fault limited to zero requests would never fire, so it
    /// simply clears the slot.
    pub fn set(&self, fault: Fault) {
        let next = if fault.count == Some(0) {
            None
        } else {
            Some(fault)
        };
        *self.lock() = next;
    }

    pub fn clear(&self) {
        *self.lock() = None;
    }

    pub fn current(&self) -> Option<Fault> {
        self.lock().clone()
    }

    /// Returns the mode to apply to this request, if the active fault hits it, and uses up
    /// one of its count. Checking and counting happen under one lock so that concurrent
    /// requests cannot both take the last use.
    pub fn take(&self, req: &RequestInfo<'_>) -> Option<FaultMode> {
        if !req.fault_eligible() {
            return None;
        }
        let mut slot = self.lock();
        let fault = slot.as_mut()?;
        if !fault.mode.hits(req) {
            return None;
        }
        if let Some(fragment) = &fault.path_contains {
            if !req.path.contains(fragment.as_str()) {
                return None;
            }
        }
        let mode = fault.mode.clone();
        if let Some(n) = fault.count.as_mut() {
            *n -= 1;
            if *n == 0 {
                *slot = None;
            }
        }
        Some(mode)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Fault>> {
        // A panic while holding this lock cannot leave the Option half-written.
        self.active.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(path: &str, write: bool) -> RequestInfo<'_> {
        RequestInfo {
            path,
            is_api_write: write,
            template_sensitive: false,
        }
    }

    // A count-limited fault fires exactly `count` times, then removes itself.
    #[test]
    fn count_limited_fault_is_used_up() {
        let slot = FaultSlot::default();
        slot.set(Fault::new(FaultMode::Internal).times(2));
        assert_eq!(
            slot.take(&req("/api/v1/ping", false)),
            Some(FaultMode::Internal)
        );
        assert_eq!(
            slot.take(&req("/api/v1/ping", false)),
            Some(FaultMode::Internal)
        );
        assert_eq!(slot.take(&req("/api/v1/ping", false)), None);
        assert_eq!(slot.current(), None);
    }

    // Requests the fault does not hit (control paths, other paths, reads for a write-only
    // mode) neither see it nor use it up.
    #[test]
    fn non_matching_requests_do_not_consume_the_fault() {
        let slot = FaultSlot::default();
        slot.set(Fault::once(FaultMode::Reject).on_path("/notes"));
        assert_eq!(slot.take(&req("/_sandbox/state", false)), None);
        assert_eq!(
            slot.take(&req("/api/v1/encounters/E5001/exam/iop", true)),
            None
        );
        assert_eq!(
            slot.take(&req("/api/v1/encounters/E5001/notes", false)),
            None
        );
        assert_eq!(
            slot.take(&req("/api/v1/encounters/E5001/notes", true)),
            Some(FaultMode::Reject)
        );
        assert_eq!(slot.current(), None);
    }
}
