//! The sync loop, the same on an agent (local EHRs, changes sent over the link) and on
//! the hub (cloud EHRs, changes applied to its store): once the practice's settings are
//! known (from the hub, or as kept in the outbox, so a restarted agent syncs through a
//! hub outage), each EHR is read every `interval_seconds` but never more often than its
//! adapter's `min-poll-seconds`, or at once when the operator asked for a sync now; the
//! outbox is then delivered until the receiver acknowledges it, retrying with backoff
//! while it is away.

use super::model::SyncSettings;
use super::outbox::Outbox;
use crate::link::backoff::Backoff;
use crate::link::protocol::{ScheduleBatch, ScheduleDirective, MAX_SCHEDULE_CHANGES};
use crate::runtime::LoadedAdapter;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How often the loop looks whether a pass or a delivery is due.
const TICK: Duration = Duration::from_millis(500);

/// Where the loop gets its settings and EHRs from, and delivers to.
pub trait SyncSink: Send + Sync + 'static {
    /// The practice's settings and sync-now request, once known.
    fn directive(&self) -> Option<ScheduleDirective>;

    /// The EHRs to sync, with the adapter serving each now.
    fn adapters(&self) -> Vec<(String, Arc<LoadedAdapter>)>;

    /// Delivers a batch; the answer is the highest number applied.
    fn deliver(&self, batch: ScheduleBatch) -> impl Future<Output = Result<u64, String>> + Send;
}

/// Runs the loop until `shutdown`.
pub async fn run<S: SyncSink>(sink: S, outbox: Arc<Outbox>, shutdown: CancellationToken) {
    // When each EHR was last read, and its adapter's minimum interval (from that pass).
    let mut last_pass: BTreeMap<String, (Instant, u32)> = BTreeMap::new();
    let mut served_request: Option<u64> = None;
    let mut runs_dirty = true;
    let mut backoff = Backoff::default();
    let mut next_delivery = Instant::now();
    let mut broken = false;
    let mut kept = outbox.directive().unwrap_or_else(|e| {
        tracing::warn!("schedule sync: {e:#}");
        None
    });
    loop {
        if let Some(fresh) = sink.directive().filter(|d| kept.as_ref() != Some(d)) {
            if let Err(e) = outbox.save_directive(&fresh) {
                tracing::warn!("schedule sync: cannot keep the practice's settings: {e:#}");
            }
            kept = Some(fresh);
        }
        if let Some(d) = &kept {
            let asked = d.sync_requested_ms.is_some() && d.sync_requested_ms != served_request;
            for (ehr, adapter) in sink.adapters() {
                if asked || due(last_pass.get(&ehr), &d.settings) {
                    let floor = pass(&outbox, &ehr, &adapter, &d.settings).await;
                    last_pass.insert(ehr, (Instant::now(), floor));
                    runs_dirty = true;
                }
            }
            served_request = d.sync_requested_ms;
        }
        if Instant::now() >= next_delivery {
            match deliver(&sink, &outbox, runs_dirty).await {
                Ok(true) => {
                    runs_dirty = false;
                    backoff = Backoff::default();
                    if broken {
                        tracing::info!("schedule sync: the hub takes changes again");
                        broken = false;
                    }
                }
                Ok(false) => {}
                Err(e) => {
                    if !broken {
                        tracing::warn!("schedule sync: cannot deliver changes ({e}); they are kept and sent when the hub is back");
                        broken = true;
                    }
                    next_delivery = Instant::now() + backoff.next_random();
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

/// Whether an EHR last read at `last` (with its adapter's minimum interval) is due a
/// pass: never read, or read longer ago than the interval (at least that minimum).
fn due(last: Option<&(Instant, u32)>, settings: &SyncSettings) -> bool {
    let Some((at, floor)) = last else {
        return true;
    };
    let every = settings.interval_seconds.max(*floor).max(1);
    at.elapsed() >= Duration::from_secs(every.into())
}

/// One pass; returns the adapter's minimum interval (seconds) for the next.
async fn pass(outbox: &Outbox, ehr: &str, adapter: &LoadedAdapter, settings: &SyncSettings) -> u32 {
    let now = crate::jobs::Clock::now_ms(&crate::jobs::SystemClock);
    match super::pass::run(outbox, ehr, adapter, settings, now).await {
        Ok(r) => {
            tracing::info!(
                ehr,
                appointments = r.appointments,
                syncing = r.syncing,
                changes = r.changes,
                "schedule sync pass ({:?})",
                r.outcome
            );
            r.timing.min_poll_seconds
        }
        Err(e) => {
            tracing::error!(ehr, "schedule sync pass failed: {e:#}");
            super::pass::timing(adapter).await.min_poll_seconds
        }
    }
}

/// Delivers every pending change (in batches) and the runs when they changed. Ok(true)
/// when something was delivered and acknowledged, Ok(false) when nothing was due.
async fn deliver<S: SyncSink>(sink: &S, outbox: &Outbox, runs_dirty: bool) -> Result<bool, String> {
    let mut delivered = false;
    loop {
        let changes = outbox
            .pending(MAX_SCHEDULE_CHANGES as u32)
            .map_err(|e| format!("{e:#}"))?;
        if changes.is_empty() && (delivered || !runs_dirty) {
            return Ok(delivered);
        }
        let last = changes.last().map(|c| c.seq);
        let batch = ScheduleBatch {
            source: outbox.source().to_string(),
            changes,
            runs: outbox.runs().map_err(|e| format!("{e:#}"))?,
        };
        let applied = sink.deliver(batch).await?;
        outbox.acknowledge(applied).map_err(|e| format!("{e:#}"))?;
        delivered = true;
        if last.is_some_and(|l| applied < l) {
            return Err(format!(
                "the hub applied changes only through {applied} of {}",
                last.unwrap_or_default()
            ));
        }
    }
}
