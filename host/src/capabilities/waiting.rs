//! Whether an adapter call is waiting on the EHR: a host HTTP request or SQL statement in
//! flight, and when the last one ended.
//!
//! When a call runs out of time the difference decides who is at fault. A call that was
//! waiting on the EHR (or had only just got its answer) met a slow EHR: retrying later can
//! succeed. A call that had been computing in WebAssembly for a long stretch without
//! asking the host for anything is a guest that never yields: a bug in the adapter that
//! no retry will cure.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug)]
struct State {
    started: Instant,
    in_flight: u32,
    last_ended: Option<Instant>,
}

/// The host calls of one adapter call. Cloning shares it between the capabilities.
#[derive(Debug, Clone)]
pub struct EhrWait {
    state: Arc<Mutex<State>>,
}

/// Held while one host call is in flight; dropping it (also when the call's future is
/// dropped at the deadline) records its end.
#[derive(Debug)]
pub struct Waiting {
    state: Arc<Mutex<State>>,
}

impl Default for EhrWait {
    fn default() -> Self {
        EhrWait::new()
    }
}

impl EhrWait {
    /// A record for a call starting now.
    pub fn new() -> EhrWait {
        EhrWait {
            state: Arc::new(Mutex::new(State {
                started: Instant::now(),
                in_flight: 0,
                last_ended: None,
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks a host call in flight until the returned guard is dropped.
    pub fn enter(&self) -> Waiting {
        self.lock().in_flight += 1;
        Waiting {
            state: self.state.clone(),
        }
    }

    /// True while a host call is in flight.
    pub fn in_flight(&self) -> bool {
        self.lock().in_flight > 0
    }

    /// How long, at instant `at`, the guest had been running without a host call in
    /// flight: since the last one ended, or since the call started. Zero while one is in
    /// flight or when the last one ended after `at`.
    pub fn computing_for(&self, at: Instant) -> Duration {
        let s = self.lock();
        if s.in_flight > 0 {
            return Duration::ZERO;
        }
        let since = s.last_ended.unwrap_or(s.started).max(s.started);
        at.saturating_duration_since(since)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.in_flight = s.in_flight.saturating_sub(1);
        s.last_ended = Some(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // In flight, nothing counts as computing; afterwards the stretch runs from the end
    // of the last host call; an end after the instant asked about counts as waiting.
    #[test]
    fn stretches() {
        let w = EhrWait::new();
        let guard = w.enter();
        assert!(w.in_flight());
        assert_eq!(
            w.computing_for(Instant::now() + Duration::from_secs(9)),
            Duration::ZERO
        );
        drop(guard);
        assert!(!w.in_flight());
        let later = Instant::now() + Duration::from_secs(3);
        let d = w.computing_for(later);
        assert!(
            d >= Duration::from_secs(3) && d < Duration::from_millis(3100),
            "{d:?}"
        );
        assert_eq!(
            w.computing_for(Instant::now() - Duration::from_secs(1)),
            Duration::ZERO
        );
    }
}
