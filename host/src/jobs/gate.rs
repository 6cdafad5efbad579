//! The per-EHR gate: when an EHR answers "too many requests" (HTTP 429) it says how long
//! to stay away; the runner then claims none of that EHR's jobs (in that tenant) until
//! the time passes. Without it every job in flight and every next claim would spend an
//! attempt on the same refusal, and push the EHR's limit further out.

use super::queue::EhrGroup;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::time::Instant;

/// The EHR groups paused by their EHR, and until when.
#[derive(Debug, Default)]
pub struct Gate {
    closed: BTreeMap<EhrGroup, Instant>,
    /// The groups closed now, kept as a list for the claim filter.
    except: Vec<EhrGroup>,
}

impl Gate {
    /// A gate with every EHR open.
    pub fn new() -> Gate {
        Gate::default()
    }

    /// Pauses `group` for `wait` from `now` (a later pause wins over an earlier one).
    pub fn close(&mut self, group: EhrGroup, wait: Duration, now: Instant) {
        let until = now + wait;
        let entry = self.closed.entry(group.clone()).or_insert(until);
        if *entry < until {
            *entry = until;
        }
        tracing::info!(ehr = %group.ehr, scope = ?group.scope, "the EHR asked to slow down: none of its jobs is claimed for {}s", wait.as_secs_f64());
        self.refresh(now);
    }

    /// The groups still paused at `now`, for the claim filter; reopens the others.
    pub fn closed(&mut self, now: Instant) -> &[EhrGroup] {
        self.refresh(now);
        &self.except
    }

    /// When the next paused group reopens, if any is paused.
    pub fn next_open(&self) -> Option<Instant> {
        self.closed.values().min().copied()
    }

    fn refresh(&mut self, now: Instant) {
        let before = self.closed.len();
        self.closed.retain(|_, until| *until > now);
        if before != self.closed.len() || self.except.len() != self.closed.len() {
            self.except = self.closed.keys().cloned().collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(ehr: &str, scope: Option<&str>) -> EhrGroup {
        EhrGroup::of(ehr, scope)
    }

    #[test]
    fn a_group_stays_closed_until_its_time_passes() {
        let t0 = Instant::now();
        let mut gate = Gate::new();
        assert!(gate.closed(t0).is_empty());
        gate.close(group("rev", None), Duration::from_secs(5), t0);
        assert_eq!(gate.closed(t0), &[group("rev", None)]);
        assert_eq!(gate.next_open(), Some(t0 + Duration::from_secs(5)));
        assert_eq!(gate.closed(t0 + Duration::from_secs(4)).len(), 1);
        assert!(gate.closed(t0 + Duration::from_secs(5)).is_empty());
        assert_eq!(gate.next_open(), None);
    }

    #[test]
    fn the_later_pause_wins_and_tenants_are_apart() {
        let t0 = Instant::now();
        let mut gate = Gate::new();
        gate.close(group("rev", Some("pa")), Duration::from_secs(10), t0);
        gate.close(group("rev", Some("pa")), Duration::from_secs(2), t0);
        gate.close(group("rev", Some("pb")), Duration::from_secs(2), t0);
        let later = gate.closed(t0 + Duration::from_secs(3)).to_vec();
        assert_eq!(
            later,
            vec![group("rev", Some("pa"))],
            "pb reopened, pa did not"
        );
    }
}
