//! The one thread that writes the SQLite file, with group commit: operations from every
//! task queue up while a commit is being flushed to disk, and the next transaction runs
//! them all, each in its own savepoint (one refused operation undoes only its own
//! changes), then commits once. `synchronous=FULL` makes each commit wait for the disk
//! (about 3 ms on the machine the figures come from), so one flush for many operations
//! is what lets many jobs move at once without giving up durability: no operation's
//! caller hears of its result before the transaction holding it is committed.
//!
//! A storage failure (file unwritable, removed) fails every operation of the batch (none
//! was committed) and drops the connection; the next batch opens it again.

use super::{connect, count_on, storage, Tx};
use crate::jobs::clock::Clock;
use crate::jobs::queue::QueueError;
use rusqlite::{Connection, TransactionBehavior};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Most operations in one transaction.
const MAX_BATCH: usize = 256;

/// Hands an operation's result to its caller, given the batch's commit failure if any.
type Deliver = Box<dyn FnOnce(Option<&QueueError>) + Send>;

/// What running an operation left to do once the batch's commit is known.
pub struct Ran {
    /// The operation failed: its savepoint is rolled back.
    failed: bool,
    /// It failed on the store itself (why): the whole batch is abandoned.
    storage: Option<String>,
    /// Hands the result (or the commit's failure) to the caller.
    deliver: Deliver,
}

/// One queued operation: runs in the batch's transaction, or is told the store failed.
pub type Op = Box<dyn for<'a, 'b> FnOnce(Result<(&'a Tx<'b>, i64), &QueueError>) -> Ran + Send>;

/// Where an operation runs in its batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Order {
    /// In the order it was queued.
    AsQueued,
    /// After the others (a claim: the outcomes recorded in the same commit free their
    /// places under the per-EHR limit first).
    AfterOthers,
}

/// An operation with its place in the batch.
type Queued = (Order, Op);

/// The sending end, held by the queue.
pub struct Writer {
    ops: mpsc::UnboundedSender<Queued>,
    commits: Arc<Commits>,
}

/// What a SQLite queue has committed so far ([`SqliteQueue::commits`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitCounts {
    /// Transactions committed.
    pub commits: u64,
    /// Queue operations in them.
    pub operations: u64,
    /// Time spent running and committing them.
    pub busy: Duration,
}

impl std::ops::Sub for CommitCounts {
    type Output = CommitCounts;
    fn sub(self, before: CommitCounts) -> CommitCounts {
        CommitCounts {
            commits: self.commits - before.commits,
            operations: self.operations - before.operations,
            busy: self.busy.saturating_sub(before.busy),
        }
    }
}

/// The writer's running counts behind [`CommitCounts`].
#[derive(Debug, Default)]
struct Commits {
    commits: AtomicU64,
    operations: AtomicU64,
    busy_us: AtomicU64,
}

impl Writer {
    /// Starts the thread writing `path`, beginning with the open `conn`.
    pub fn start(
        path: PathBuf,
        conn: Connection,
        clock: Arc<dyn Clock>,
        steps: Arc<OnceLock<Arc<AtomicU64>>>,
    ) -> Writer {
        let (ops, rx) = mpsc::unbounded_channel();
        let commits = Arc::new(Commits::default());
        let counted = commits.clone();
        std::thread::Builder::new()
            .name("ehr-jobs-sqlite".into())
            .spawn(move || run(path, Some(conn), clock, steps, &counted, rx))
            .expect("cannot start the job store's writer thread");
        Writer { ops, commits }
    }

    /// What has been committed so far.
    pub fn commits(&self) -> CommitCounts {
        let c = &self.commits;
        CommitCounts {
            commits: c.commits.load(Ordering::Relaxed),
            operations: c.operations.load(Ordering::Relaxed),
            busy: Duration::from_micros(c.busy_us.load(Ordering::Relaxed)),
        }
    }

    /// Runs `f` in the next transaction, placed in it by `order`; its result once that
    /// transaction is committed.
    pub async fn call<T: Send + 'static>(
        &self,
        order: Order,
        f: impl FnOnce(&Tx<'_>, i64) -> Result<T, QueueError> + Send + 'static,
    ) -> Result<T, QueueError> {
        let (send, recv) = oneshot::channel();
        let op: Op = Box::new(move |at: Result<(&Tx<'_>, i64), &QueueError>| {
            let out = match at {
                Ok((tx, now)) => f(tx, now),
                Err(e) => Err(copy(e)),
            };
            Ran {
                failed: out.is_err(),
                storage: match &out {
                    Err(QueueError::Storage(why)) => Some(why.clone()),
                    _ => None,
                },
                deliver: Box::new(move |commit: Option<&QueueError>| {
                    let _ = send.send(match commit {
                        Some(e) => Err(copy(e)),
                        None => out,
                    });
                }),
            }
        });
        if self.ops.send((order, op)).is_err() {
            return Err(stopped());
        }
        recv.await.unwrap_or_else(|_| Err(stopped()))
    }
}

fn stopped() -> QueueError {
    QueueError::Storage("the job store's writer stopped".into())
}

/// A storage failure told to each operation of a batch.
fn copy(e: &QueueError) -> QueueError {
    QueueError::Storage(match e {
        QueueError::Storage(s) => s.clone(),
        other => other.to_string(),
    })
}

fn run(
    path: PathBuf,
    mut conn: Option<Connection>,
    clock: Arc<dyn Clock>,
    steps: Arc<OnceLock<Arc<AtomicU64>>>,
    commits: &Commits,
    mut rx: mpsc::UnboundedReceiver<Queued>,
) {
    let mut counting = false;
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        take_queued(&mut rx, &mut batch);
        batch.sort_by_key(|(order, _)| *order);
        let batch: Vec<Op> = batch.into_iter().map(|(_, op)| op).collect();
        if conn.is_none() {
            match connect(&path) {
                Ok(c) => {
                    conn = Some(c);
                    counting = false;
                }
                Err(e) => {
                    for op in batch {
                        (op(Err(&e)).deliver)(None);
                    }
                    continue;
                }
            }
        }
        let c = conn.as_mut().expect("connected above");
        if let (false, Some(counter)) = (counting, steps.get()) {
            counting = count_on(c, counter.clone()).is_ok();
        }
        let (operations, started) = (batch.len() as u64, std::time::Instant::now());
        match commit_batch(c, clock.as_ref(), batch) {
            Ok(()) => {
                commits.commits.fetch_add(1, Ordering::Relaxed);
                commits.operations.fetch_add(operations, Ordering::Relaxed);
                let took = started.elapsed().as_micros() as u64;
                commits.busy_us.fetch_add(took, Ordering::Relaxed);
            }
            Err(e) => {
                tracing::debug!("job store batch failed: {e}");
                conn = None;
            }
        }
    }
}

/// Adds the operations queued now to `batch`, up to [`MAX_BATCH`].
fn take_queued(rx: &mut mpsc::UnboundedReceiver<Queued>, batch: &mut Vec<Queued>) {
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(op) => batch.push(op),
            Err(_) => break,
        }
    }
}

/// Runs `batch` in one immediate transaction and commits it; tells each operation's
/// caller. A storage failure is returned (the connection is then dropped).
fn commit_batch(
    conn: &mut Connection,
    clock: &dyn Clock,
    batch: Vec<Op>,
) -> Result<(), QueueError> {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            let e = storage(e);
            for op in batch {
                (op(Err(&e)).deliver)(None);
            }
            return Err(e);
        }
    };
    let mut ran: Vec<Ran> = Vec::with_capacity(batch.len());
    let mut ops = batch.into_iter();
    let mut broke: Option<QueueError> = None;
    for op in ops.by_ref() {
        let now = clock.now_ms() as i64;
        if let Err(e) = tx.execute_batch("SAVEPOINT op") {
            broke = Some(storage(e));
            ran.push(op(Err(broke.as_ref().expect("set above"))));
            break;
        }
        // A panicking operation is one refused operation: its caller hears that the store
        // failed (its answer channel is dropped), the others go on.
        let r = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| op(Ok((&tx, now)))))
        {
            Ok(r) => r,
            Err(_) => Ran {
                failed: true,
                storage: None,
                deliver: Box::new(|_| {}),
            },
        };
        let end = if r.failed {
            "ROLLBACK TO op; RELEASE op"
        } else {
            "RELEASE op"
        };
        let storage_failed = r.storage.clone();
        ran.push(r);
        if let Some(why) = storage_failed {
            broke = Some(QueueError::Storage(why));
            break;
        }
        if let Err(e) = tx.execute_batch(end) {
            broke = Some(storage(e));
            break;
        }
    }
    // Some failures (disk full, I/O) make SQLite roll the whole transaction back by
    // itself; what ran must then not be reported as done.
    if broke.is_none() && tx.is_autocommit() {
        broke = Some(QueueError::Storage(
            "the job store rolled the transaction back".into(),
        ));
    }
    let outcome = match broke {
        Some(e) => {
            drop(tx);
            Err(e)
        }
        None => tx.commit().map_err(storage),
    };
    match &outcome {
        Ok(()) => ran.into_iter().for_each(|r| (r.deliver)(None)),
        Err(e) => {
            for r in ran {
                (r.deliver)(Some(e));
            }
            for op in ops {
                (op(Err(e)).deliver)(None);
            }
        }
    }
    outcome
}
