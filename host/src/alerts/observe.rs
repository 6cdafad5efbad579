//! What this process saw that alerts are made from: EHR responses, OAuth token
//! requests, TLS certificates, job attempts and schedule syncs. Recorded by the metrics
//! ([`crate::metrics`]) where the events happen; read by the alert rules every tick.
//! In memory: after a restart a condition that persists is seen again on its next event.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, OnceLock};

/// Attempts older than this are forgotten (longer than any success-rate window).
const KEEP_ATTEMPTS_MS: u64 = 6 * 3600 * 1000;
/// At most this many attempts are kept (a busy hub's window is sampled, not unbounded).
const MAX_ATTEMPTS: usize = 100_000;

/// 5xx answers from one EHR adapter since its last quiet period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerErrors {
    /// 5xx answers in this streak.
    pub count: u64,
    /// The first of the streak (ms).
    pub first_ms: u64,
    /// The last 5xx (ms).
    pub last_ms: u64,
    /// The last answer below 500 after `last_ms` (ms), if any.
    pub ok_after_ms: Option<u64>,
    /// The last status code.
    pub last_status: u16,
}

impl ServerErrors {
    /// Whether the streak is over: the EHR answered well since, and no 5xx came for
    /// `quiet_ms`.
    pub fn recovered(&self, now_ms: u64, quiet_ms: u64) -> bool {
        self.ok_after_ms.is_some() && now_ms.saturating_sub(self.last_ms) >= quiet_ms
    }
}

/// OAuth token failures of one adapter since its last issued token.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenFailures {
    /// Failures since the last issued token.
    pub count: u64,
    /// The last failure (ms).
    pub last_ms: u64,
}

/// A practice's schedule sync: when it is due and when it last ran.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ScheduleSeen {
    /// The next sync is expected by this time (ms).
    pub due_ms: Option<u64>,
    /// The last sync's end (ms).
    pub last_ms: Option<u64>,
}

/// Everything observed.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// Per adapter.
    pub server_errors: BTreeMap<String, ServerErrors>,
    /// Per adapter.
    pub tokens: BTreeMap<String, TokenFailures>,
    /// Per EHR origin: the earliest not-after in its chain (ms).
    pub tls: BTreeMap<String, u64>,
    /// Per practice.
    pub schedules: BTreeMap<String, ScheduleSeen>,
    /// Settled attempts: (when, succeeded).
    pub attempts: VecDeque<(u64, bool)>,
}

/// The observations of this process, shared by every recorder.
pub struct Observations {
    seen: Mutex<Seen>,
    quiet_ms: std::sync::atomic::AtomicU64,
}

/// This process's observations.
pub fn global() -> &'static Observations {
    static OBS: OnceLock<Observations> = OnceLock::new();
    OBS.get_or_init(|| Observations {
        seen: Mutex::new(Seen::default()),
        quiet_ms: std::sync::atomic::AtomicU64::new(60_000),
    })
}

impl Observations {
    fn with<T>(&self, f: impl FnOnce(&mut Seen) -> T) -> T {
        f(&mut self.seen.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// A copy of everything, for the rules.
    pub fn snapshot(&self) -> Seen {
        self.with(|s| s.clone())
    }

    /// How long without 5xx (after a good answer) ends a streak; set from the settings.
    pub fn set_quiet(&self, quiet_ms: u64) {
        self.quiet_ms
            .store(quiet_ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// An EHR answered `adapter` with `status`.
    pub fn ehr_status(&self, adapter: &str, status: u16, now_ms: u64) {
        let quiet = self.quiet_ms.load(std::sync::atomic::Ordering::Relaxed);
        self.with(|s| {
            let e = s.server_errors.entry(adapter.to_string()).or_default();
            if status >= 500 {
                if e.count == 0 || e.recovered(now_ms, quiet) {
                    *e = ServerErrors {
                        first_ms: now_ms,
                        ..ServerErrors::default()
                    };
                }
                e.count += 1;
                e.last_ms = now_ms;
                e.ok_after_ms = None;
                e.last_status = status;
            } else if e.count > 0 {
                e.ok_after_ms = Some(now_ms);
            }
        })
    }

    /// An OAuth token for `adapter` was issued (`ok`) or refused.
    pub fn token(&self, adapter: &str, ok: bool, now_ms: u64) {
        self.with(|s| {
            if ok {
                s.tokens.remove(adapter);
            } else {
                let t = s.tokens.entry(adapter.to_string()).or_default();
                t.count += 1;
                t.last_ms = now_ms;
            }
        })
    }

    /// `origin`'s certificate chain expires at `not_after_ms`.
    pub fn tls(&self, origin: &str, not_after_ms: u64) {
        self.with(|s| {
            s.tls.insert(origin.to_string(), not_after_ms);
        })
    }

    /// A job attempt settled.
    pub fn attempt(&self, now_ms: u64, succeeded: bool) {
        self.with(|s| {
            s.attempts.push_back((now_ms, succeeded));
            while s.attempts.len() > MAX_ATTEMPTS
                || s.attempts
                    .front()
                    .is_some_and(|(t, _)| now_ms.saturating_sub(*t) > KEEP_ATTEMPTS_MS)
            {
                s.attempts.pop_front();
            }
        })
    }

    /// `practice`'s next schedule sync is expected by `due_ms` (called by the schedule
    /// sync when it plans its next run).
    pub fn schedule_due(&self, practice: &str, due_ms: u64) {
        self.with(|s| {
            s.schedules.entry(practice.to_string()).or_default().due_ms = Some(due_ms);
        })
    }

    /// `practice`'s schedule sync ran.
    pub fn schedule_ran(&self, practice: &str, now_ms: u64) {
        self.with(|s| {
            s.schedules.entry(practice.to_string()).or_default().last_ms = Some(now_ms);
        })
    }
}
