//! Waiting between tries while the hub cannot be reached: exponential from 1 s to 64 s,
//! each wait drawn between half and all of its step (so a hub coming back is not met by
//! every agent at the same instant).

use std::time::Duration;

/// The first wait.
pub const FIRST: Duration = Duration::from_secs(1);
/// The longest wait.
pub const MAX: Duration = Duration::from_secs(64);

/// A backoff sequence.
#[derive(Debug, Clone)]
pub struct Backoff {
    step: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { step: FIRST }
    }
}

impl Backoff {
    /// The next wait, with `random` uniform in [0, 1).
    pub fn next(&mut self, random: f64) -> Duration {
        let d = self.step.mul_f64(0.5 + 0.5 * random.clamp(0.0, 1.0));
        self.step = (self.step * 2).min(MAX);
        d
    }

    /// The next wait with fresh randomness.
    pub fn next_random(&mut self) -> Duration {
        let mut b = [0u8; 2];
        let _ = getrandom::fill(&mut b);
        self.next(f64::from(u16::from_le_bytes(b)) / 65_536.0)
    }

    /// Back to the first step (a call succeeded).
    pub fn reset(&mut self) {
        self.step = FIRST;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 1, 2, 4, ... 64, 64 seconds at the top of their range; halved at the bottom.
    #[test]
    fn doubles_to_the_cap() {
        let mut b = Backoff::default();
        let tops: Vec<u64> = (0..9)
            .map(|_| b.next(0.999_999).as_secs_f64().round() as u64)
            .collect();
        assert_eq!(tops, [1, 2, 4, 8, 16, 32, 64, 64, 64]);
        b.reset();
        assert_eq!(b.next(0.0), Duration::from_millis(500));
    }
}
