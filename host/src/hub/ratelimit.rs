//! Rate limits, per practice (intake API) and per agent (link): a token bucket per key,
//! so a burst is allowed and a steady excess is answered 429 with how long to wait. One
//! misbehaving client uses up its own bucket, never the others'. Kept in memory per hub
//! instance: with several instances each allows the rate, which bounds the total to the
//! rate times the instances.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A rate: `per_minute` requests on average, bursts of up to `burst`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Average requests per minute.
    pub per_minute: u32,
    /// Requests allowed at once.
    pub burst: u32,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets by key.
pub struct RateLimiter {
    default: Rate,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// Limits every key to `default` unless a call names another rate.
    pub fn new(default: Rate) -> RateLimiter {
        RateLimiter {
            default,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request for `key` under `rate` (the default when None): `Ok` when
    /// allowed, otherwise how long until one is.
    pub fn take(&self, key: &str, rate: Option<Rate>) -> Result<(), Duration> {
        let rate = rate.unwrap_or(self.default);
        let per_sec = f64::from(rate.per_minute.max(1)) / 60.0;
        let cap = f64::from(rate.burst.max(1));
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 100_000 {
            // Forget full buckets: they are the same as new ones.
            buckets
                .retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec < cap);
        }
        let b = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: cap,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec).min(cap);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / per_sec))
        }
    }
}

/// `Retry-After` seconds for a wait: rounded up, at least 1.
pub fn retry_after_seconds(wait: Duration) -> u64 {
    (wait.as_secs_f64().ceil() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    // A burst passes, the next is refused with a wait, and keys do not share buckets.
    #[test]
    fn buckets_per_key() {
        let l = RateLimiter::new(Rate {
            per_minute: 60,
            burst: 3,
        });
        for _ in 0..3 {
            assert!(l.take("a", None).is_ok());
        }
        let wait = l.take("a", None).unwrap_err();
        assert!(
            wait <= Duration::from_secs(1) && wait > Duration::ZERO,
            "{wait:?}"
        );
        assert_eq!(retry_after_seconds(wait), 1);
        assert!(l.take("b", None).is_ok());
        assert!(l
            .take(
                "c",
                Some(Rate {
                    per_minute: 1,
                    burst: 1
                })
            )
            .is_ok());
        assert_eq!(
            retry_after_seconds(
                l.take(
                    "c",
                    Some(Rate {
                        per_minute: 1,
                        burst: 1
                    })
                )
                .unwrap_err()
            ),
            60
        );
    }
}
