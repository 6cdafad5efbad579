//! What to do after an attempt fails: retry later (exponential backoff with jitter,
//! honouring `Retry-After`), wait for a person, or stop. Also when to alert and when a
//! claimed job counts as stuck. Pure functions of their inputs; the caller supplies the
//! time and the random jitter so tests control both.

use crate::remediation::FailureClass;
use std::time::Duration;

/// By default a claimed job with no progress for this long is flagged: users are told to
/// contact support when a job is stuck in "claimed" for more than five minutes.
pub const STUCK_AFTER: Duration = Duration::from_secs(5 * 60);

/// How retryable failures are retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Delay before the second attempt.
    pub base_delay: Duration,
    /// Longest delay between attempts.
    pub max_delay: Duration,
    /// Attempts in all (the first included) before a retryable failure becomes `failed`.
    pub max_attempts: u32,
    /// Fraction of each delay that is randomised (0 = none, 0.5 = the delay is between
    /// half and all of the computed one), so a burst of failed jobs does not retry in step.
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(15 * 60),
            max_attempts: 10,
            jitter: 0.5,
        }
    }
}

/// The decision after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Back to pending; try again after this delay.
    RetryAfter(Duration),
    /// Failed, waiting for a person to fix the cause and press retry.
    WaitForPerson,
    /// Failed; retrying the same data will not help.
    Stop,
    /// Failed after the last allowed attempt of a retryable failure.
    GaveUp,
}

impl RetryPolicy {
    /// The decision after attempt number `attempt` (1 for the first) failed with `class`.
    /// `retry_after` is what the EHR asked for; `random` is uniform in `[0, 1)`.
    pub fn decide(
        &self,
        class: FailureClass,
        attempt: u32,
        retry_after: Option<Duration>,
        random: f64,
    ) -> Decision {
        match class {
            FailureClass::NeedsPerson => Decision::WaitForPerson,
            FailureClass::Terminal => Decision::Stop,
            FailureClass::Retryable if attempt >= self.max_attempts => Decision::GaveUp,
            FailureClass::Retryable => {
                Decision::RetryAfter(self.delay(attempt, retry_after, random))
            }
        }
    }

    /// The delay after attempt `attempt`: `base · 2^(attempt-1)`, capped, jittered
    /// downwards by up to `jitter`, and never shorter than the EHR's `Retry-After`.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>, random: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(32);
        let backoff = self
            .base_delay
            .saturating_mul(1u32 << exp.min(31))
            .min(self.max_delay);
        let keep = 1.0 - self.jitter.clamp(0.0, 1.0) * random.clamp(0.0, 1.0);
        let jittered = backoff.mul_f64(keep);
        match retry_after {
            Some(asked) => jittered.max(asked),
            None => jittered,
        }
    }
}

/// An alert about a job's health, raised once per change rather than once per attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alert {
    /// The job failed for the first time (since it last succeeded or was submitted).
    Failing,
    /// The job succeeded after having failed.
    Recovered,
}

/// The alert to raise for an attempt's outcome, given how many attempts in a row had
/// failed before it.
pub fn alert(failures_before: u32, succeeded: bool) -> Option<Alert> {
    match (failures_before, succeeded) {
        (0, false) => Some(Alert::Failing),
        (n, true) if n > 0 => Some(Alert::Recovered),
        _ => None,
    }
}

/// True when a job claimed at `last_progress_ms` (or last reporting progress then) has
/// shown nothing for longer than `after` (normally [`STUCK_AFTER`]) at `now_ms`.
pub fn is_stuck(last_progress_ms: u64, now_ms: u64, after: Duration) -> bool {
    now_ms.saturating_sub(last_progress_ms) > after.as_millis() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use FailureClass::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(60),
            max_attempts: 5,
            jitter: 0.5,
        }
    }

    // Without jitter the delay doubles per attempt up to the cap.
    #[test]
    fn exponential_and_capped() {
        let p = policy();
        let d: Vec<u64> = (1..=7).map(|a| p.delay(a, None, 0.0).as_secs()).collect();
        assert_eq!(d, [2, 4, 8, 16, 32, 60, 60]);
    }

    // Jitter only shortens the delay, by at most the configured fraction.
    #[test]
    fn jitter_bounds() {
        let p = policy();
        assert_eq!(p.delay(3, None, 0.999_999).as_millis(), 4000);
        assert_eq!(p.delay(3, None, 0.5), Duration::from_secs(6));
    }

    // The EHR's Retry-After is a floor: never retried sooner than asked.
    #[test]
    fn retry_after_is_honoured() {
        let p = policy();
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(30)), 0.0),
            Duration::from_secs(30)
        );
        assert_eq!(
            p.delay(5, Some(Duration::from_secs(1)), 0.0),
            Duration::from_secs(32)
        );
    }

    // Each failure class gets its decision; retryable failures give up at the limit.
    #[test]
    fn decisions_by_class() {
        let p = policy();
        assert_eq!(p.decide(NeedsPerson, 1, None, 0.0), Decision::WaitForPerson);
        assert_eq!(p.decide(Terminal, 1, None, 0.0), Decision::Stop);
        assert_eq!(
            p.decide(Retryable, 1, None, 0.0),
            Decision::RetryAfter(Duration::from_secs(2))
        );
        assert_eq!(
            p.decide(Retryable, 4, None, 0.0),
            Decision::RetryAfter(Duration::from_secs(16))
        );
        assert_eq!(p.decide(Retryable, 5, None, 0.0), Decision::GaveUp);
    }

    // One alert when a job starts failing and one when it recovers, none in between.
    #[test]
    fn alerts_once_per_change() {
        let outcomes = [false, false, false, true, true, false, true];
        let mut failures = 0;
        let mut alerts = Vec::new();
        for ok in outcomes {
            alerts.push(alert(failures, ok));
            failures = if ok { 0 } else { failures + 1 };
        }
        use Alert::*;
        assert_eq!(
            alerts,
            [
                Some(Failing),
                None,
                None,
                Some(Recovered),
                None,
                Some(Failing),
                Some(Recovered)
            ]
        );
    }

    // A claimed job is stuck only after five minutes without progress.
    #[test]
    fn stuck_after_five_minutes() {
        let start = 1_000_000;
        assert!(!is_stuck(start, start + 5 * 60 * 1000, STUCK_AFTER));
        assert!(is_stuck(start, start + 5 * 60 * 1000 + 1, STUCK_AFTER));
        assert!(is_stuck(start, start + 61_000, Duration::from_secs(60)));
    }
}
