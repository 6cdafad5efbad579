//! When to try a waiting version's self-check again: after one second, then twice as
//! long each time up to five minutes, so a brief EHR outage delays a new version by
//! seconds and a long one costs one check every few minutes.

use super::events::WaitingStatus;
use semver::Version;
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

/// The first wait before a retry.
pub const FIRST: Duration = Duration::from_secs(1);
/// The longest wait between retries.
pub const LONGEST: Duration = Duration::from_secs(300);

/// One waiting version.
#[derive(Debug, Clone)]
pub struct Retry {
    /// The version.
    pub version: Version,
    /// Its package hash.
    pub hash: String,
    /// Why its last self-check did not pass.
    pub reason: String,
    /// When to try next.
    pub next: Instant,
    /// The wait after the next failure.
    pub wait: Duration,
}

/// The waiting versions by adapter id.
#[derive(Debug, Default)]
pub struct Retries {
    by_id: HashMap<String, Retry>,
}

impl Retries {
    /// Schedules a first retry of `id`'s package `hash`, unless it is scheduled already.
    pub fn schedule(&mut self, id: &str, version: &Version, hash: &str, reason: &str) {
        if self.by_id.get(id).is_some_and(|r| r.hash == hash) {
            return;
        }
        self.by_id.insert(
            id.to_string(),
            Retry {
                version: version.clone(),
                hash: hash.to_string(),
                reason: reason.to_string(),
                next: Instant::now() + FIRST,
                wait: FIRST * 2,
            },
        );
    }

    /// The retry failed again for `reason`: wait longer.
    pub fn failed_again(&mut self, id: &str, reason: &str) {
        if let Some(r) = self.by_id.get_mut(id) {
            r.reason = reason.to_string();
            r.next = Instant::now() + r.wait;
            r.wait = (r.wait * 2).min(LONGEST);
        }
    }

    /// Stops retrying `id`.
    pub fn forget(&mut self, id: &str) {
        self.by_id.remove(id);
    }

    /// The retries due now.
    pub fn due(&self) -> Vec<(String, Retry)> {
        let now = Instant::now();
        self.by_id
            .iter()
            .filter(|(_, r)| r.next <= now)
            .map(|(id, r)| (id.clone(), r.clone()))
            .collect()
    }

    /// What the status file shows.
    pub fn status(&self) -> HashMap<String, WaitingStatus> {
        self.by_id
            .iter()
            .map(|(id, r)| {
                let at = SystemTime::now() + r.next.saturating_duration_since(Instant::now());
                let status = WaitingStatus {
                    version: r.version.to_string(),
                    reason: r.reason.clone(),
                    next_try: humantime::format_rfc3339_seconds(at).to_string(),
                };
                (id.clone(), status)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A retry is due after the first wait, and each failure doubles the wait up to the
    // longest; scheduling the same package again does not reset it.
    #[test]
    fn backs_off() {
        let mut r = Retries::default();
        let v: Version = "1.0.0".parse().unwrap();
        r.schedule("a", &v, "h", "down");
        assert!(r.due().is_empty());
        r.by_id.get_mut("a").unwrap().next = Instant::now();
        assert_eq!(r.due().len(), 1);
        for _ in 0..20 {
            r.failed_again("a", "still down");
        }
        assert_eq!(r.by_id["a"].wait, LONGEST);
        r.schedule("a", &v, "h", "down");
        assert_eq!(r.by_id["a"].reason, "still down");
        assert_eq!(r.status()["a"].version, "1.0.0");
        r.forget("a");
        assert!(r.status().is_empty());
    }
}
