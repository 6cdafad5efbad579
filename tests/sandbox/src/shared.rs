//! The state every request handler and the [`Sandbox`](crate::Sandbox) handle share.

use std::sync::{Mutex, MutexGuard};

use crate::auth::TokenStore;
use crate::config::{Ehr, SandboxConfig};
use crate::eyefinity::EyefinityData;
use crate::faults::FaultSlot;
use crate::idempotency::IdempotencyStore;
use crate::revolution::RevolutionData;
use crate::state::{RequestRecord, State};

/// One sandbox's mutable world. Everything sits behind short-lived std locks: no lock is
/// held across an `.await`, so the synchronous [`Sandbox`](crate::Sandbox) methods can
/// use them too.
pub(crate) struct Shared {
    pub faults: FaultSlot,
    pub tokens: TokenStore,
    pub idempotency: IdempotencyStore,
    pub ehr: Ehr,
    log: Mutex<Vec<RequestRecord>>,
    requests_seen: std::sync::atomic::AtomicU64,
    revolution: Mutex<RevolutionData>,
    eyefinity: Mutex<EyefinityData>,
}

impl Shared {
    /// The number of the next API request (for its `X-Request-Id`), from 1.
    pub fn next_request_number(&self) -> u64 {
        self.requests_seen
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1
    }

    pub fn new(cfg: SandboxConfig) -> Shared {
        Shared {
            ehr: cfg.ehr,
            faults: FaultSlot::default(),
            tokens: TokenStore::new(cfg),
            idempotency: IdempotencyStore::default(),
            log: Mutex::new(Vec::new()),
            requests_seen: std::sync::atomic::AtomicU64::new(0),
            revolution: Mutex::new(RevolutionData::seed()),
            eyefinity: Mutex::new(EyefinityData::seed()),
        }
    }

    pub fn revolution(&self) -> MutexGuard<'_, RevolutionData> {
        lock(&self.revolution)
    }

    pub fn eyefinity(&self) -> MutexGuard<'_, EyefinityData> {
        lock(&self.eyefinity)
    }

    pub fn record(&self, entry: RequestRecord) {
        lock(&self.log).push(entry);
    }

    /// Back to the state right after start, except that tokens already handed out stay
    /// known (and valid again): clients holding one keep working across a reset.
    pub fn reset(&self) {
        self.faults.clear();
        self.tokens.revive_all();
        self.idempotency.clear();
        lock(&self.log).clear();
        *lock(&self.revolution) = RevolutionData::seed();
        *lock(&self.eyefinity) = EyefinityData::seed();
    }

    /// Signs (RevolutionEHR) or locks (Eyefinity) encounter `id`, as the provider does
    /// when closing the chart; `false` when the dialect has no such encounter.
    pub fn sign_encounter(&self, id: &str) -> bool {
        match self.ehr {
            Ehr::Revolution => self.revolution().sign(id),
            Ehr::Eyefinity => self.eyefinity().lock(id),
        }
    }

    pub fn state(&self) -> State {
        State {
            encounters: match self.ehr {
                Ehr::Revolution => self.revolution().snapshot(),
                Ehr::Eyefinity => self.eyefinity().snapshot(),
            },
            requests: lock(&self.log).clone(),
            fault: self.faults.current(),
        }
    }
}

/// Locks, ignoring poisoning: every critical section here leaves the data consistent
/// even if a handler panicked, and a test sandbox should keep answering.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
