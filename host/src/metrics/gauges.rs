//! Gauges read when scraped: they describe state, which the queue and the hub store
//! hold, so they are read from there rather than kept in step by every writer.

use super::registry::{labels, Metrics};
use crate::hub::store::AgentRecord;
use crate::jobs::{Queue, QueueError, Status};

const STATUSES: [Status; 6] = [
    Status::Pending,
    Status::Claimed,
    Status::Succeeded,
    Status::SucceededWithWarnings,
    Status::Failed,
    Status::Cancelled,
];

/// Sets the queue depth by status from `queue` (every status, zero included, so a
/// drained queue reads 0 and not "no data").
pub async fn queue_depth<Q: Queue>(m: &Metrics, queue: &Q) -> Result<(), QueueError> {
    let jobs = queue.list(None).await?;
    for s in STATUSES {
        let n = jobs.iter().filter(|j| j.status == s).count();
        m.queue_depth
            .get_or_create(&labels(&[("status", s.as_str())]))
            .set(n as i64);
    }
    Ok(())
}

/// Sets each paired, unrevoked agent's heartbeat age (from pairing when it never sent
/// one), and the adapters each reported in its last heartbeat.
pub fn agents(m: &Metrics, agents: &[AgentRecord], now_ms: u64) {
    m.heartbeat_age.clear();
    for a in agents.iter().filter(|a| a.revoked_ms.is_none()) {
        let last = a.last_heartbeat_ms.unwrap_or(a.paired_ms);
        let age = now_ms.saturating_sub(last) as f64 / 1000.0;
        m.heartbeat_age
            .get_or_create(&labels(&[("practice", &a.practice_id), ("agent", &a.id)]))
            .set(age);
    }
    let served: Vec<(String, String, String)> = agents
        .iter()
        .filter(|a| a.revoked_ms.is_none())
        .flat_map(|a| {
            let adapters = a.heartbeat.iter().flat_map(|h| h.adapters.iter());
            adapters.map(|ad| (a.id.clone(), ad.id.clone(), ad.version.clone()))
        })
        .collect();
    adapters(m, &served);
}

/// Sets the adapters served as `(where, adapter, version)`: `where` is the agent's id
/// on a hub, `local` on an agent, `hub` for the hub's own cloud adapters.
pub fn adapters(m: &Metrics, served: &[(String, String, String)]) {
    m.adapters.clear();
    for (host, id, version) in served {
        m.adapters
            .get_or_create(&labels(&[
                ("host", host),
                ("adapter", id),
                ("version", version),
            ]))
            .set(1);
    }
}
