//! The hub's own workers: jobs for the cloud EHRs whose adapters are installed in the
//! hub's home are written here, through the same worker step as on an agent
//! ([`crate::jobs::worker`]), taking only those EHRs' jobs, each with its practice's own
//! account where the practice has one ([`PracticeEhrs`]).

use super::practice_ehrs::PracticeEhrs;
use crate::jobs::worker::{step_where, WorkerConfig};
use crate::jobs::{ClaimFilter, Queue, QueueError, SystemClock};
use std::sync::Arc;
use std::time::Duration;

/// How long an idle worker waits before looking again.
const IDLE: Duration = Duration::from_millis(250);
/// Longest wait while the queue is unavailable.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Writes due jobs of `ehrs` until `config.shutdown`.
pub async fn run<Q: Queue>(
    queue: Arc<Q>,
    adapters: Arc<PracticeEhrs>,
    config: WorkerConfig,
    ehrs: Vec<String>,
) {
    let mut backoff = IDLE;
    loop {
        let filter = ClaimFilter {
            scope: None,
            ehrs: Some(&ehrs),
        };
        let wait = match step_where(
            queue.as_ref(),
            adapters.as_ref(),
            &config,
            &SystemClock,
            filter,
        )
        .await
        {
            Ok(Some(p)) => {
                config.health.ok();
                tracing::info!(job = %p.id, "job {} (hub worker)", p.status.words());
                backoff = IDLE;
                continue;
            }
            Ok(None) => {
                config.health.ok();
                backoff = IDLE;
                IDLE
            }
            Err(QueueError::Storage(e)) => {
                config.health.failed(&e);
                backoff = (backoff * 2).min(MAX_BACKOFF);
                backoff
            }
            Err(e) => {
                tracing::error!("hub worker: {e}");
                IDLE
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = config.shutdown.cancelled() => return,
        }
    }
}
