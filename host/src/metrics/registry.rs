//! The metric families and their registry.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;

/// Label pairs, in a fixed order per family.
pub(crate) type Labels = Vec<(String, String)>;

/// Seconds from submission to the EHR's confirmation: a second to a day.
const LATENCY_BUCKETS: [f64; 14] = [
    0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0, 14400.0, 86400.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// Every metric this process exposes.
pub struct Metrics {
    registry: Mutex<Registry>,
    pub(crate) attempts: Family<Labels, Counter>,
    pub(crate) jobs: Family<Labels, Counter>,
    pub(crate) latency: Family<Labels, Histogram, fn() -> Histogram>,
    pub(crate) errors: Family<Labels, Counter>,
    pub(crate) ehr_responses: Family<Labels, Counter>,
    pub(crate) encounter_checks: Family<Labels, Counter>,
    pub(crate) token_refreshes: Family<Labels, Counter>,
    pub(crate) schedule: Family<Labels, Counter>,
    pub(crate) schedule_appointments: Family<Labels, Gauge>,
    pub(crate) tls_expiry: Family<Labels, Gauge<f64, AtomicU64>>,
    pub(crate) queue_depth: Family<Labels, Gauge>,
    pub(crate) heartbeat_age: Family<Labels, Gauge<f64, AtomicU64>>,
    pub(crate) adapters: Family<Labels, Gauge>,
}

impl Metrics {
    /// The families, registered under the `ehr_host` prefix.
    pub fn new() -> Metrics {
        let mut r = Registry::with_prefix("ehr_host");
        let m = Metrics {
            registry: Mutex::new(Registry::default()),
            attempts: Family::default(),
            jobs: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            errors: Family::default(),
            ehr_responses: Family::default(),
            encounter_checks: Family::default(),
            token_refreshes: Family::default(),
            schedule: Family::default(),
            schedule_appointments: Family::default(),
            tls_expiry: Family::default(),
            queue_depth: Family::default(),
            heartbeat_age: Family::default(),
            adapters: Family::default(),
        };
        // Counters get their `_total` suffix from the encoder.
        r.register(
            "job_attempts",
            "Job attempts settled, by EHR and result (success rate = success / all)",
            m.attempts.clone(),
        );
        r.register(
            "jobs",
            "Jobs that reached a final state, by EHR and outcome",
            m.jobs.clone(),
        );
        r.register(
            "job_latency_seconds",
            "Time from a job's submission to the EHR's confirmation of its write",
            m.latency.clone(),
        );
        r.register(
            "job_errors",
            "Failed attempts, by EHR, typed error kind and failure class",
            m.errors.clone(),
        );
        r.register(
            "ehr_responses",
            "HTTP responses from EHRs, by adapter and status code",
            m.ehr_responses.clone(),
        );
        r.register(
            "encounter_checks",
            "Encounter matches: writes to the right patient against wrong-patient refusals",
            m.encounter_checks.clone(),
        );
        r.register(
            "oauth_token_refreshes",
            "OAuth token requests to EHRs, by adapter and result",
            m.token_refreshes.clone(),
        );
        r.register(
            "schedule_syncs",
            "Schedule syncs, by practice and reason code",
            m.schedule.clone(),
        );
        r.register(
            "schedule_appointments",
            "Appointments in a practice's last schedule sync pass, by EHR and reason code (`synced` for those that sync)",
            m.schedule_appointments.clone(),
        );
        r.register(
            "tls_certificate_expiry_seconds",
            "Seconds until an EHR endpoint's TLS certificate expires (earliest in its chain)",
            m.tls_expiry.clone(),
        );
        r.register(
            "queue_jobs",
            "Jobs in the queue, by status",
            m.queue_depth.clone(),
        );
        r.register(
            "agent_heartbeat_age_seconds",
            "Seconds since each paired agent's last heartbeat (hub)",
            m.heartbeat_age.clone(),
        );
        r.register(
            "adapter_info",
            "Adapters served, with their version (always 1)",
            m.adapters.clone(),
        );
        *m.registry.lock().unwrap_or_else(|p| p.into_inner()) = r;
        m
    }

    /// The text exposition format (`text/plain; version=0.0.4` compatible).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let r = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        encode(&mut out, &r).expect("writing to a String cannot fail");
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Labels from pairs.
pub(crate) fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
