//! The embedded job store: one SQLite file, no setup. Every operation runs in an
//! immediate transaction, so two processes on the same file (or a crash mid-operation)
//! never see a half-made change. One thread owns the connection and commits the
//! operations queued while the previous commit was being flushed together (`writer.rs`):
//! with `synchronous=FULL` a commit waits for the disk, and the async tasks calling the
//! queue never wait on it themselves.
//!
//! When the file cannot be written (disk full, made read-only, removed from under us),
//! operations fail with [`QueueError::Storage`] and the connection is dropped; the next
//! operation opens it again, so the queue comes back by itself once the file is
//! writable. The job loop says once that the store is unavailable and once that it is
//! back.

mod pick;
mod schema;
mod writer;

use super::clock::Clock;
use super::lifecycle::{Status, Transition};
use super::picking::Picking;
use super::policy::Decision;
use super::queue::{
    CancelOutcome, ClaimFilter, JobRecord, KeyState, Lease, NewJob, Queue, QueueError,
};
use super::stored;
use crate::remediation::Remediation;
use crate::report::WriteReport;
use rusqlite::{params, Connection, OptionalExtension};
use schema::{record, COLUMNS};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
pub use writer::CommitCounts;
use writer::{Order, Writer};

/// A job queue in a SQLite file.
pub struct SqliteQueue {
    /// The thread that owns the connection and commits operations in groups.
    writer: Writer,
    /// Where SQLite's virtual machine steps are counted, when asked ([`SqliteQueue::count_steps`]).
    steps: Arc<std::sync::OnceLock<Arc<AtomicU64>>>,
}

/// The steps of SQLite's virtual machine between two calls of the counting handler.
pub const STEPS_PER_COUNT: u64 = 64;

/// Counts SQLite's virtual machine steps on `conn` into `counter`.
fn count_on(conn: &mut Connection, counter: Arc<AtomicU64>) -> Result<(), QueueError> {
    conn.progress_handler(
        STEPS_PER_COUNT as std::ffi::c_int,
        Some(move || {
            counter.fetch_add(STEPS_PER_COUNT, Ordering::Relaxed);
            false
        }),
    )
    .map_err(storage)
}

fn storage(e: rusqlite::Error) -> QueueError {
    QueueError::Storage(e.to_string())
}

fn connect(path: &Path) -> Result<Connection, QueueError> {
    let mut conn = Connection::open(path)
        .map_err(|e| QueueError::Storage(format!("cannot open {}: {e}", path.display())))?;
    // WAL lets readers (`jobs list`) run beside the agent; FULL sync keeps a committed
    // job through a power cut.
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;",
    )
    .map_err(storage)?;
    schema::create(&mut conn).map_err(storage)?;
    Ok(conn)
}

type Tx<'a> = rusqlite::Transaction<'a>;

impl SqliteQueue {
    /// Opens (creating if needed) the queue in `path`.
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<SqliteQueue, QueueError> {
        let conn = connect(path)?;
        let steps: Arc<std::sync::OnceLock<Arc<AtomicU64>>> = Arc::default();
        Ok(SqliteQueue {
            writer: Writer::start(path.to_path_buf(), conn, clock, steps.clone()),
            steps,
        })
    }

    /// From now on counts the steps SQLite's virtual machine makes for this queue (in
    /// units of [`STEPS_PER_COUNT`]): the work the queue's queries do, whatever the
    /// machine's speed. For tests that hold the queue's work per job to a bound.
    pub fn count_steps(&self) -> Arc<AtomicU64> {
        self.steps.get_or_init(Arc::default).clone()
    }

    /// Transactions committed so far, the operations they held, and the time spent
    /// running and committing them: how many queue operations share each wait for the
    /// disk, and how long that is (for benches and tests).
    pub fn commits(&self) -> CommitCounts {
        self.writer.commits()
    }

    /// Runs `f` in an immediate transaction, with the operations queued beside it
    /// (`writer.rs`); its result once that transaction is committed. A refused `f`
    /// changes nothing.
    async fn tx<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Tx<'_>, i64) -> Result<T, QueueError> + Send + 'static,
    ) -> Result<T, QueueError> {
        self.writer.call(Order::AsQueued, f).await
    }

    fn load(tx: &Tx<'_>, id: &str) -> Result<JobRecord, QueueError> {
        let mut stmt = tx
            .prepare_cached(&format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"))
            .map_err(storage)?;
        let mut rows = stmt.query([id]).map_err(storage)?;
        match rows.next().map_err(storage)? {
            Some(row) => record(row),
            None => Err(QueueError::NotFound(id.to_string())),
        }
    }

    fn select(
        tx: &Tx<'_>,
        sql: &str,
        p: impl rusqlite::Params,
    ) -> Result<Vec<JobRecord>, QueueError> {
        let mut stmt = tx.prepare(sql).map_err(storage)?;
        let mut rows = stmt.query(p).map_err(storage)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(storage)? {
            out.push(record(row)?);
        }
        Ok(out)
    }

    fn set_status(tx: &Tx<'_>, id: &str, status: Status, now: i64) -> Result<(), QueueError> {
        tx.execute(
            "UPDATE jobs SET status = ?2, updated_ms = ?3,
                 progress = CASE WHEN ?2 = 'claimed' THEN progress ELSE NULL END WHERE id = ?1",
            params![id, status.as_str(), now],
        )
        .map_err(storage)?;
        Ok(())
    }
}

impl Queue for SqliteQueue {
    async fn submit(&self, job: NewJob) -> Result<(), QueueError> {
        self.tx(move |tx, now| {
            let inserted = tx
                .execute(
                    "INSERT OR IGNORE INTO jobs (id, ehr, status, next_attempt_ms, created_ms, updated_ms, payload, scope)
                     VALUES (?1, ?2, 'pending', ?3, ?3, ?3, ?4, ?5)",
                    params![job.id, job.ehr, now, job.payload, job.scope],
                )
                .map_err(storage)?;
            if inserted == 0 {
                return Err(QueueError::Duplicate(job.id));
            }
            Ok(())
        })
        .await
    }

    async fn claim_many(
        &self,
        host: &str,
        lease: Duration,
        max_per_ehr: u32,
        filter: ClaimFilter<'_>,
        limit: usize,
    ) -> Result<Vec<JobRecord>, QueueError> {
        // The writer thread runs the claim later: it takes the filter's values along.
        let host = host.to_string();
        let scope = filter.scope.map(String::from);
        let ehrs = filter.ehrs.map(<[String]>::to_vec);
        let (except, one_each) = (filter.except.to_vec(), filter.one_each.to_vec());
        // After the outcomes queued beside it: the jobs they settle free their places.
        self.writer.call(Order::AfterOthers, move |tx, now| {
            let filter = ClaimFilter {
                scope: scope.as_deref(),
                ehrs: ehrs.as_deref(),
                except: &except,
                one_each: &one_each,
            };
            let mut picking = Picking::new(filter, max_per_ehr, pick::claimed(tx)?);
            let ids = pick::due(tx, now, &mut picking, limit)?;
            let mut claim = tx
                .prepare_cached(
                    "UPDATE jobs SET status = 'claimed', claimed_by = ?2, lease_until_ms = ?3,
                         last_progress_ms = ?4, progress = 'claimed', attempts = attempts + 1, updated_ms = ?4
                     WHERE id = ?1",
                )
                .map_err(storage)?;
            for id in &ids {
                claim
                    .execute(params![id, host, now + lease.as_millis() as i64, now])
                    .map_err(storage)?;
            }
            ids.iter().map(|id| Self::load(tx, id)).collect()
        })
        .await
    }

    async fn heartbeat(
        &self,
        id: &str,
        host: &str,
        progress: &str,
        lease: Duration,
    ) -> Result<Lease, QueueError> {
        let (id, host, progress) = (id.to_string(), host.to_string(), progress.to_string());
        self.tx(move |tx, now| {
            let job = Self::load(tx, &id)?.held_by(&host)?;
            tx.execute(
                "UPDATE jobs SET lease_until_ms = ?2, last_progress_ms = ?3, progress = ?4, updated_ms = ?3 WHERE id = ?1",
                params![id, now + lease.as_millis() as i64, now, progress],
            )
            .map_err(storage)?;
            Ok(if job.cancel_requested { Lease::CancelRequested } else { Lease::Held })
        })
        .await
    }

    async fn succeed(
        &self,
        id: &str,
        host: &str,
        report: &WriteReport,
        keep_payload: bool,
    ) -> Result<Status, QueueError> {
        let with_warnings = report.outcome == crate::report::Outcome::SucceededWithWarnings;
        let outcome = stored::encode_report(report);
        let (id, host, hash) = (
            id.to_string(),
            host.to_string(),
            report.adapter.hash.clone(),
        );
        let next = Status::succeeded(with_warnings);
        self.tx(move |tx, now| {
            // Only while `host` holds the job; the snapshot holds patient data: once the
            // chart has it, the queue does not.
            let n = tx
                .prepare_cached(
                    "UPDATE jobs SET status = ?2, outcome = ?3, error = NULL, error_kind = NULL, failures_in_row = 0,
                         adapter_hash = ?6, payload = CASE WHEN ?5 THEN payload ELSE NULL END, progress = NULL,
                         claimed_by = NULL, lease_until_ms = NULL, updated_ms = ?4
                     WHERE id = ?1 AND status = 'claimed' AND claimed_by = ?7",
                )
                .and_then(|mut u| u.execute(params![id, next.as_str(), outcome, now, keep_payload, hash, host]))
                .map_err(storage)?;
            if n == 0 {
                // Why not: no such job, or another host holds it now.
                Self::load(tx, &id)?.held_by(&host)?;
                return Err(QueueError::changed_meanwhile(&id));
            }
            Ok(next)
        })
        .await
    }

    async fn fail_attempt(
        &self,
        id: &str,
        host: &str,
        decision: Decision,
        report: Option<&WriteReport>,
        error: &Remediation,
    ) -> Result<Status, QueueError> {
        let outcome = report.map(stored::encode_report);
        let hash = report.map(|r| r.adapter.hash.clone());
        let text = stored::encode_error(error);
        let kind = error.kind.as_str();
        let (id, host) = (id.to_string(), host.to_string());
        self.tx(move |tx, now| {
            let job = Self::load(tx, &id)?.held_by(&host)?;
            let next = job.next(job.failed_attempt(decision))?;
            let due = match decision {
                Decision::RetryAfter(d) if next == Status::Pending => now + d.as_millis() as i64,
                _ => now,
            };
            tx.execute(
                "UPDATE jobs SET status = ?2, error = ?3, error_kind = ?4, outcome = COALESCE(?5, outcome),
                     adapter_hash = ?6, failures_in_row = failures_in_row + 1, next_attempt_ms = ?7,
                     progress = NULL, claimed_by = NULL, lease_until_ms = NULL, updated_ms = ?8 WHERE id = ?1",
                params![id, next.as_str(), text, kind, outcome, hash, due, now],
            )
            .map_err(storage)?;
            Ok(next)
        })
        .await
    }

    async fn purge_payloads(&self, before_ms: u64) -> Result<u64, QueueError> {
        self.tx(move |tx, _| {
            let n = tx
                .execute(
                    "UPDATE jobs SET payload = NULL WHERE payload IS NOT NULL
                       AND status IN ('succeeded', 'succeeded_with_warnings') AND updated_ms < ?1",
                    [before_ms as i64],
                )
                .map_err(storage)?;
            Ok(n as u64)
        })
        .await
    }

    async fn retry(&self, id: &str) -> Result<(), QueueError> {
        let id = id.to_string();
        self.tx(move |tx, now| {
            let job = Self::load(tx, &id)?;
            let next = job.next(Transition::Retry)?;
            Self::set_status(tx, &id, next, now)?;
            tx.execute(
                "UPDATE jobs SET next_attempt_ms = ?2 WHERE id = ?1",
                params![id, now],
            )
            .map_err(storage)?;
            Ok(())
        })
        .await
    }

    async fn cancel(&self, id: &str) -> Result<CancelOutcome, QueueError> {
        let id = id.to_string();
        self.tx(move |tx, now| {
            let job = Self::load(tx, &id)?;
            let next = job.next(Transition::Cancel)?;
            if next == Status::Claimed {
                tx.execute(
                    "UPDATE jobs SET cancel_requested = 1, updated_ms = ?2 WHERE id = ?1",
                    params![id, now],
                )
                .map_err(storage)?;
                return Ok(CancelOutcome::Requested);
            }
            Self::set_status(tx, &id, next, now)?;
            Ok(CancelOutcome::Cancelled)
        })
        .await
    }

    async fn reclaim_expired(&self) -> Result<Vec<(String, Status)>, QueueError> {
        self.tx(move |tx, now| {
            let lapsed = Self::select(
                tx,
                &format!(
                    "SELECT {COLUMNS} FROM jobs WHERE status = 'claimed' AND lease_until_ms < ?1"
                ),
                [now],
            )?;
            let mut out = Vec::new();
            for job in lapsed {
                let next = job.next(job.lapsed())?;
                tx.execute(
                    "UPDATE jobs SET status = ?2, claimed_by = NULL, lease_until_ms = NULL,
                         progress = NULL, updated_ms = ?3 WHERE id = ?1",
                    params![job.id, next.as_str(), now],
                )
                .map_err(storage)?;
                out.push((job.id, next));
            }
            Ok(out)
        })
        .await
    }

    async fn give_back(&self, ehr: &str, adapter_hash: &str) -> Result<Vec<String>, QueueError> {
        let (ehr, adapter_hash) = (ehr.to_string(), adapter_hash.to_string());
        self.tx(move |tx, now| {
            let mut stmt = tx
                .prepare(
                    "UPDATE jobs SET status = 'pending', next_attempt_ms = ?3, given_back = 1, updated_ms = ?3
                     WHERE status = 'failed' AND ehr = ?1 AND adapter_hash = ?2
                       AND error_kind = 'adapter_bug' AND given_back = 0 RETURNING id",
                )
                .map_err(storage)?;
            let ids = stmt
                .query_map(params![ehr, adapter_hash, now], |r| r.get(0))
                .map_err(storage)?
                .collect::<Result<Vec<String>, _>>()
                .map_err(storage)?;
            Ok(ids)
        })
        .await
    }

    async fn get(&self, id: &str) -> Result<JobRecord, QueueError> {
        let id = id.to_string();
        self.tx(move |tx, _| Self::load(tx, &id)).await
    }

    async fn list_where(
        &self,
        status: Option<Status>,
        scope: Option<&str>,
    ) -> Result<Vec<JobRecord>, QueueError> {
        let scope = scope.map(String::from);
        self.tx(move |tx, _| {
            Self::select(
                tx,
                &format!(
                    "SELECT {COLUMNS} FROM jobs WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR scope = ?2)
                     ORDER BY created_ms, id"
                ),
                params![status.map(|s| s.as_str()), scope],
            )
        })
        .await
    }

    async fn key_state(&self) -> Result<KeyState, QueueError> {
        self.tx(move |tx, _| {
            let check = tx
                .query_row("SELECT value FROM meta WHERE name = 'key_check'", [], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(storage)?;
            let sealed_jobs: i64 = tx
                .query_row(
                    "SELECT COUNT(*) FROM jobs WHERE payload IS NOT NULL",
                    [],
                    |r| r.get(0),
                )
                .map_err(storage)?;
            Ok(KeyState {
                check,
                sealed_jobs: sealed_jobs as u64,
            })
        })
        .await
    }

    async fn record_key_check(&self, check: &[u8]) -> Result<(), QueueError> {
        let check = check.to_vec();
        self.tx(move |tx, _| {
            tx.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES ('key_check', ?1)",
                [check],
            )
            .map_err(storage)?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests;
