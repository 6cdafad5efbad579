//! The hub's own workers: jobs for the cloud EHRs whose adapters are installed in the
//! hub's home are written here, by the same job runner as on an agent
//! ([`crate::jobs::runner`]), taking only those EHRs' jobs, each with its practice's own
//! account where the practice has one ([`PracticeEhrs`]).

use super::practice_ehrs::PracticeEhrs;
use crate::jobs::runner::{self, RunnerConfig};
use crate::jobs::worker::WorkerConfig;
use crate::jobs::Queue;
use std::sync::Arc;
use std::time::Duration;

/// How long idle workers wait before looking again.
const IDLE: Duration = Duration::from_millis(250);

/// Writes due jobs of `ehrs`, up to `concurrency` at once, until `config.shutdown`.
pub async fn run<Q: Queue + 'static>(
    queue: Arc<Q>,
    adapters: Arc<PracticeEhrs>,
    config: WorkerConfig,
    ehrs: Vec<String>,
    concurrency: usize,
) {
    let runner = RunnerConfig {
        ehrs: Some(ehrs),
        ..RunnerConfig::new(concurrency, IDLE)
    };
    runner::run(queue, adapters, config, runner, |p| {
        tracing::info!(job = %p.id, "job {} (hub worker)", p.status.words());
    })
    .await
}
