//! Checking the operator's settings before they are saved: intervals an agent can keep
//! to, and a lease long enough to be renewed in time.

use super::store::HubSettings;
use crate::link::protocol::MAX_POLL_SECONDS;

/// Why `s` cannot be used, if it cannot.
pub fn check(s: &HubSettings) -> Result<(), String> {
    let i = &s.intervals;
    if i.heartbeat_seconds == 0 || i.heartbeat_seconds > 3600 {
        return Err("the heartbeat interval must be between 1 second and 1 hour".into());
    }
    if i.poll_seconds == 0 || i.poll_seconds > MAX_POLL_SECONDS {
        return Err(format!(
            "a job poll is held between 1 and {MAX_POLL_SECONDS} seconds"
        ));
    }
    if i.lease_seconds < 3 || i.lease_seconds > 3600 {
        return Err(
            "a lease lasts between 3 seconds and 1 hour (agents renew it every third)".into(),
        );
    }
    if s.pairing_seconds == Some(0) {
        return Err("a pairing must last at least a second (leave it unset for pairings that do not expire)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    // Defaults pass; each impossible interval is refused with the range.
    #[test]
    fn bounds() {
        let ok = super::HubSettings::default();
        assert!(super::check(&ok).is_ok());
        let mut s = ok.clone();
        s.intervals.poll_seconds = 51;
        assert!(super::check(&s).unwrap_err().contains("50"));
        let mut s = ok.clone();
        s.intervals.lease_seconds = 1;
        assert!(super::check(&s).is_err());
        let mut s = ok;
        s.pairing_seconds = Some(0);
        assert!(super::check(&s).is_err());
    }
}
