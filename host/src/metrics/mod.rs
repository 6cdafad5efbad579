//! Prometheus metrics (text exposition at `/metrics` on the hub and on the agent's
//! loopback API): what the field guide asks support teams to watch, named per the
//! Prometheus conventions (`ehr_host_…_total` counters, `_seconds` in base units).
//!
//! Events are counted where they happen, in this process: a settled job attempt
//! ([`Metrics::job_settled`]), each EHR response ([`Metrics::ehr_response`]), an OAuth
//! token refresh ([`Metrics::token_refresh`]), a schedule sync
//! ([`Metrics::schedule_result`]). Gauges that describe state (queue depth, heartbeat
//! age, adapter versions) are read when scraped ([`gauges`]). One registry per process
//! ([`global`]): an agent and a hub are separate processes, each with its own.

pub mod gauges;
pub mod http;
mod record;
mod registry;

pub use record::{JobOutcome, TokenRefresh};
pub use registry::Metrics;

use std::sync::OnceLock;

/// This process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}
