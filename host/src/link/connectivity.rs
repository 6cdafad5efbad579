//! Whether each adapter's EHR answers, for heartbeats and `ehr-host status`: each
//! adapter's `check`, run at most every interval and cached, so a heartbeat never waits
//! on a slow EHR.

use super::protocol::{AdapterHealth, EhrConnectivity};
use crate::agent::Agent;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The cached results.
pub struct Connectivity {
    every: Duration,
    cache: Mutex<BTreeMap<String, (String, EhrConnectivity)>>,
    last: Mutex<Option<Instant>>,
}

fn now_ms() -> u64 {
    crate::jobs::Clock::now_ms(&crate::jobs::SystemClock)
}

impl Connectivity {
    /// Checks at most `every`.
    pub fn new(every: Duration) -> Connectivity {
        Connectivity {
            every,
            cache: Mutex::new(BTreeMap::new()),
            last: Mutex::new(None),
        }
    }

    /// Runs every adapter's `check` if the last round is older than the interval (or
    /// the set of adapters changed).
    pub async fn refresh(&self, agent: &Agent) {
        let serving = agent.serving();
        let due = self
            .last
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none_or(|t| t.elapsed() >= self.every);
        let changed = {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            cache.len() != serving.len()
                || serving
                    .iter()
                    .any(|(id, s)| cache.get(id).is_none_or(|(v, _)| v != &s.version))
        };
        if !due && !changed {
            return;
        }
        let mut fresh = BTreeMap::new();
        for id in serving.keys() {
            let Some(slot) = agent.slot(id) else { continue };
            let (adapter, result) = slot.check().await;
            let ehr = match result {
                Ok(_) => EhrConnectivity::Connected {
                    checked_ms: now_ms(),
                },
                Err(e) => {
                    let detail = crate::untrusted::clean(&e.to_string(), 300);
                    let rem = crate::remediation::for_call_error(&e, adapter.situation, detail);
                    EhrConnectivity::Unreachable {
                        checked_ms: now_ms(),
                        kind: rem.kind.as_str().to_string(),
                        title: rem.title,
                    }
                }
            };
            fresh.insert(id.clone(), (adapter.manifest.version.to_string(), ehr));
        }
        *self.cache.lock().unwrap_or_else(|p| p.into_inner()) = fresh;
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
    }

    /// Every adapter with its EHR's last known state.
    pub fn adapters(&self) -> Vec<AdapterHealth> {
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(id, (version, ehr))| AdapterHealth {
                id: id.clone(),
                version: version.clone(),
                ehr: ehr.clone(),
            })
            .collect()
    }
}
