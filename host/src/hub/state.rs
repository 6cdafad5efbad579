//! What every request handler of a hub shares: the job queue, the hub store, the key
//! that seals snapshots, the settings (re-read from the store every few seconds, so
//! every instance follows the operator's changes), routing, rate limits and the poll
//! wake-ups.

use super::ratelimit::{Rate, RateLimiter};
use super::store::{HubSettings, HubStore, StoreError};
use super::wake::Wake;
use crate::jobs::{Clock, Queue, Sealer};
use crate::link::pin::Fingerprint;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long settings read from the store are used before they are read again.
const SETTINGS_TTL: Duration = Duration::from_secs(2);

/// Which EHRs go where: the hub's own workers write the cloud EHRs whose adapters are
/// installed on the hub; local EHRs go to the practice's agents.
#[derive(Debug, Clone)]
pub struct Routing {
    /// EHRs written by the practices' agents (`crystalpm`, `officemate`).
    pub local: Vec<String>,
    /// EHRs written by the hub's own workers (its installed adapters).
    pub cloud: Vec<String>,
}

impl Routing {
    /// Every EHR a job may be submitted for.
    pub fn known(&self) -> Vec<String> {
        let mut all: Vec<String> = self.local.iter().chain(&self.cloud).cloned().collect();
        all.sort();
        all.dedup();
        all
    }

    /// Whether `ehr` is written by agents.
    pub fn is_local(&self, ehr: &str) -> bool {
        self.local.iter().any(|e| e == ehr)
    }
}

/// The limits a hub applies.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Intake API requests per practice (a practice's own setting overrides the rate).
    pub practice: Rate,
    /// Link requests per agent.
    pub agent: Rate,
    /// Pairing attempts per client address (codes are guessable only this slowly).
    pub pairing: Rate,
    /// Jobs of one EHR a practice's agents hold at once.
    pub in_flight: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            practice: Rate {
                per_minute: 600,
                burst: 100,
            },
            agent: Rate {
                per_minute: 600,
                burst: 120,
            },
            pairing: Rate {
                per_minute: 10,
                burst: 5,
            },
            in_flight: 16,
        }
    }
}

/// The shared state of one hub instance.
pub struct Hub<Q, S> {
    /// The jobs (scope = practice).
    pub queue: Arc<Q>,
    /// Practices, agents, keys, sessions.
    pub store: Arc<S>,
    /// Seals snapshots at rest.
    pub sealer: Arc<Sealer>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Where jobs go.
    pub routing: Routing,
    /// Limits.
    pub limits: Limits,
    /// Per practice (intake).
    pub practice_limiter: RateLimiter,
    /// Per agent (link).
    pub agent_limiter: RateLimiter,
    /// Per client address (pairing).
    pub pairing_limiter: RateLimiter,
    /// Wakes held polls.
    pub wake: Wake,
    /// The admin API's token.
    pub admin_token: String,
    /// The fingerprint of the hub's certificate.
    pub fingerprint: Fingerprint,
    /// When a claimed job without progress is flagged stuck.
    pub stuck_after: Duration,
    /// The hub's audit trail (its workers' attempts and its agents' reported ones).
    pub audit: crate::audit::AuditLog,
    settings: Mutex<Option<(HubSettings, Instant)>>,
}

/// What a hub is made of.
pub struct HubParts<Q, S> {
    /// The job queue.
    pub queue: Arc<Q>,
    /// The store.
    pub store: Arc<S>,
    /// The sealer.
    pub sealer: Arc<Sealer>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Routing.
    pub routing: Routing,
    /// Limits.
    pub limits: Limits,
    /// The admin token.
    pub admin_token: String,
    /// The certificate's fingerprint.
    pub fingerprint: Fingerprint,
    /// The stuck threshold.
    pub stuck_after: Duration,
    /// The audit trail.
    pub audit: crate::audit::AuditLog,
}

impl<Q: Queue, S: HubStore> Hub<Q, S> {
    /// A hub from its parts.
    pub fn new(p: HubParts<Q, S>) -> Hub<Q, S> {
        Hub {
            practice_limiter: RateLimiter::new(p.limits.practice),
            agent_limiter: RateLimiter::new(p.limits.agent),
            pairing_limiter: RateLimiter::new(p.limits.pairing),
            queue: p.queue,
            store: p.store,
            sealer: p.sealer,
            clock: p.clock,
            routing: p.routing,
            limits: p.limits,
            wake: Wake::default(),
            admin_token: p.admin_token,
            fingerprint: p.fingerprint,
            stuck_after: p.stuck_after,
            audit: p.audit,
            settings: Mutex::new(None),
        }
    }

    /// Now (ms).
    pub fn now(&self) -> u64 {
        self.clock.now_ms()
    }

    /// The operator's settings, at most a few seconds old.
    pub async fn settings(&self) -> Result<HubSettings, StoreError> {
        if let Some((s, at)) = &*self.settings.lock().unwrap_or_else(|p| p.into_inner()) {
            if at.elapsed() < SETTINGS_TTL {
                return Ok(s.clone());
            }
        }
        let fresh = self.store.settings().await?;
        *self.settings.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((fresh.clone(), Instant::now()));
        Ok(fresh)
    }
}
