//! The job runner both the agent and the hub's own workers run: up to `concurrency` jobs
//! in flight at once, each the worker's write → record path ([`crate::jobs::worker`]),
//! claimed together as slots free up (one claim, one commit, for as many as there is
//! room for). The per-EHR limit is the claim's, counted across every host sharing the
//! queue, and an EHR database on the practice network is written one job at a time by
//! each host ([`Adapters::one_at_a_time`]); an EHR that answered "too many requests" is
//! left alone until it said to come back ([`Gate`]). The queue's upkeep (lapsed leases,
//! snapshot retention) runs on its own interval, not before every claim.
//!
//! Each state change is committed by the store before the runner acts on it: a job is
//! written only once its claim is committed, and counted done only once its outcome is.
//! At shutdown the runner stops claiming and lets the jobs in flight finish and be
//! recorded.

use super::clock::SystemClock;
use super::gate::Gate;
use super::in_flight::{still_ours, InFlight};
use super::queue::{ClaimFilter, EhrGroup, Queue, QueueError};
use super::worker::{claim, housekeeping, work, Adapters, Processed, WorkerConfig};
use super::write_slot::{Freed, WriteSlot};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::{self, JoinError, JoinSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The shortest wait after the store failed; doubled at each failure in a row.
const MIN_STORE_BACKOFF: Duration = Duration::from_millis(200);

/// How a runner behaves (the worker settings of each job are in [`WorkerConfig`]).
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Jobs written at once by this host (at least one).
    pub concurrency: usize,
    /// How long to wait before looking again when nothing is due.
    pub idle: Duration,
    /// The longest wait between tries while the store is unavailable.
    pub max_backoff: Duration,
    /// How often lapsed leases are settled and old snapshots purged (also once at start).
    pub housekeeping: Duration,
    /// Only jobs of these EHRs (a hub's cloud EHRs); `None`: any.
    pub ehrs: Option<Vec<String>>,
}

impl RunnerConfig {
    /// `concurrency` jobs at once, looking again every `idle` when nothing is due.
    pub fn new(concurrency: usize, idle: Duration) -> RunnerConfig {
        RunnerConfig {
            concurrency,
            idle,
            max_backoff: Duration::from_secs(30),
            housekeeping: Duration::from_secs(1),
            ehrs: None,
        }
    }
}

/// Writes due jobs until `worker.shutdown`, then waits for the jobs in flight to be
/// recorded. Calls `settled` with each job's outcome once the store has it.
pub async fn run<Q, A>(
    queue: Arc<Q>,
    adapters: Arc<A>,
    worker: WorkerConfig,
    config: RunnerConfig,
    mut settled: impl FnMut(&Processed) + Send,
) where
    Q: Queue + 'static,
    A: Adapters + 'static,
{
    let concurrency = config.concurrency.max(1);
    let worker = Arc::new(worker);
    let shutdown = worker.shutdown.clone();
    let mut jobs: JoinSet<Result<Option<Processed>, QueueError>> = JoinSet::new();
    // The places for writes in flight: a job gives its place up once written, before
    // its outcome is recorded ([`WriteSlot`]); the runner counts them from those messages.
    let (freed, mut freed_rx) = mpsc::unbounded_channel::<Freed>();
    let mut writing = 0usize;
    // Jobs still being recorded when their places are taken again are bounded too.
    let most_tasks = concurrency * 2;
    // The attempts in flight, with their group: an EHR written one at a time is not
    // claimed from while one of its jobs is in flight, and a job claimed again before its
    // attempt ended waits for that attempt ([`InFlight`]).
    let mut in_flight = InFlight::default();
    let mut gate = Gate::new();
    let mut backoff = Backoff::new(config.max_backoff);
    // Claiming is tried again from this moment (now: at once).
    let mut next_claim = Instant::now();
    upkeep(queue.as_ref(), &worker).await;
    let mut upkeep_tick =
        tokio::time::interval_at(Instant::now() + config.housekeeping, config.housekeeping);
    upkeep_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        while let Ok(f) = freed_rx.try_recv() {
            given_up(f, &mut writing, &mut gate);
        }
        while !shutdown.is_cancelled()
            && writing < concurrency
            && jobs.len() < most_tasks
            && Instant::now() >= next_claim
        {
            let now = Instant::now();
            let local = adapters.one_at_a_time();
            let mut except = gate.closed(now).to_vec();
            for group in in_flight.groups() {
                if !except.contains(group) && local.contains(&group.ehr) {
                    except.push(group.clone());
                }
            }
            let filter = ClaimFilter {
                scope: None,
                ehrs: config.ehrs.as_deref(),
                except: &except,
                one_each: &local,
            };
            // As many as there is room for, in one claim: one commit for all of them.
            let room = (concurrency - writing).min(most_tasks - jobs.len());
            match claim(queue.as_ref(), &worker, filter, room).await {
                Ok(claimed) if claimed.is_empty() => {
                    worker.health.ok();
                    backoff.reset();
                    // Look again after the idle wait, or when a paused EHR reopens.
                    let reopen = gate.next_open().unwrap_or(now + config.idle);
                    next_claim = reopen.min(now + config.idle);
                }
                Ok(claimed) => {
                    worker.health.ok();
                    backoff.reset();
                    for job in claimed {
                        let id = job.id.clone();
                        let group = EhrGroup::of(&job.ehr, job.scope.as_deref());
                        let after = in_flight.latest_of(&id);
                        let ended = CancellationToken::new();
                        let guard = ended.clone().drop_guard();
                        let slot = WriteSlot::new(&freed);
                        writing += 1;
                        let (queue, adapters, worker) =
                            (queue.clone(), adapters.clone(), worker.clone());
                        let handle = jobs.spawn(async move {
                            let _ended = guard;
                            if let Some(earlier) = after {
                                if !still_ours(queue.as_ref(), &worker.host, &job, earlier).await? {
                                    return Ok(None);
                                }
                            }
                            work(
                                queue.as_ref(),
                                adapters.as_ref(),
                                &worker,
                                &SystemClock,
                                job,
                                slot,
                            )
                            .await
                            .map(Some)
                        });
                        in_flight.started(handle.id(), id, group, ended);
                    }
                }
                Err(QueueError::Storage(e)) => {
                    worker.health.failed(&e);
                    next_claim = now + backoff.next();
                }
                Err(e) => {
                    tracing::error!("job queue: {e}");
                    next_claim = now + config.idle;
                }
            }
        }
        if shutdown.is_cancelled() {
            while let Some(done) = jobs.join_next_with_id().await {
                finished(done, &mut in_flight, &worker, &mut backoff, &mut settled);
            }
            return;
        }
        let room = writing < concurrency && jobs.len() < most_tasks;
        tokio::select! {
            Some(done) = jobs.join_next_with_id(), if !jobs.is_empty() => {
                // A job recorded: claim again at once, unless the store failed. Every
                // other job recorded by now is taken in first, so that one claim (one
                // commit) refills for them all rather than one commit per job.
                let mut store_failed = None;
                let mut next = Some(done);
                while let Some(done) = next.take().or_else(|| jobs.try_join_next_with_id()) {
                    let failed = finished(done, &mut in_flight, &worker, &mut backoff, &mut settled);
                    store_failed = store_failed.or(failed);
                }
                if let Some(wait) = store_failed {
                    next_claim = Instant::now() + wait;
                } else {
                    next_claim = next_claim.min(Instant::now());
                }
            }
            // A write done: its place is free, claim for it (its outcome is being
            // recorded meanwhile, in the same commit when the store groups them).
            Some(f) = freed_rx.recv() => {
                given_up(f, &mut writing, &mut gate);
                next_claim = next_claim.min(Instant::now());
            }
            _ = tokio::time::sleep_until(next_claim), if room => {}
            _ = upkeep_tick.tick() => upkeep(queue.as_ref(), &worker).await,
            _ = shutdown.cancelled() => {}
        }
    }
}

/// A place given up by a write: one fewer in flight, and its EHR paused when it answered
/// "too many requests" (before any claim could fill the place with another of its jobs).
fn given_up(freed: Freed, writing: &mut usize, gate: &mut Gate) {
    *writing = writing.saturating_sub(1);
    if let Some((group, wait)) = freed.pause {
        gate.close(group, wait, Instant::now());
    }
}

/// Takes a finished job's outcome and tells `settled`. Returns how long to wait before
/// claiming when the store failed.
fn finished(
    done: Result<(task::Id, Result<Option<Processed>, QueueError>), JoinError>,
    in_flight: &mut InFlight,
    worker: &WorkerConfig,
    backoff: &mut Backoff,
    settled: &mut impl FnMut(&Processed),
) -> Option<Duration> {
    let done = match done {
        Ok((task, done)) => {
            in_flight.ended(task);
            Ok(done)
        }
        Err(e) => {
            in_flight.ended(e.id());
            Err(e)
        }
    };
    match done {
        Ok(Ok(Some(p))) => {
            settled(&p);
            None
        }
        // A job claimed again before its earlier attempt ended, which settled it.
        Ok(Ok(None)) => None,
        // The job stays claimed; its lease returns it to the queue (its id keeps the
        // retry from writing twice).
        Ok(Err(QueueError::Storage(e))) => {
            worker.health.failed(&e);
            Some(backoff.next())
        }
        Ok(Err(e)) => {
            tracing::error!("job queue: {e}");
            None
        }
        // Only a panic ends a job's task early (the runner never aborts one): the job
        // waits for its lease like a crashed host's.
        Err(e) => {
            tracing::error!("a job's task ended abnormally: {e}");
            None
        }
    }
}

/// The queue's upkeep; a failure is said and tried again at the next tick.
async fn upkeep<Q: Queue>(queue: &Q, worker: &WorkerConfig) {
    match housekeeping(queue, worker, &SystemClock).await {
        Ok(()) => {}
        Err(QueueError::Storage(e)) => worker.health.failed(&e),
        Err(e) => tracing::warn!("job queue upkeep: {e}"),
    }
}

/// Doubling waits while the store keeps failing.
struct Backoff {
    wait: Duration,
    max: Duration,
}

impl Backoff {
    fn new(max: Duration) -> Backoff {
        Backoff {
            wait: Duration::ZERO,
            max,
        }
    }

    fn reset(&mut self) {
        self.wait = Duration::ZERO;
    }

    fn next(&mut self) -> Duration {
        self.wait = (self.wait * 2).clamp(MIN_STORE_BACKOFF, self.max.max(MIN_STORE_BACKOFF));
        self.wait
    }
}
