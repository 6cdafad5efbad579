//! The embedded job store: one SQLite file, no setup. Every operation runs in an
//! immediate transaction, so two processes on the same file (or a crash mid-operation)
//! never see a half-made change. SQLite operations on a local file take well under a
//! millisecond, so they run inline rather than on a blocking pool.

use super::clock::Clock;
use super::lifecycle::{Status, Transition};
use super::policy::Decision;
use super::queue::{JobRecord, NewJob, Queue, QueueError};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    ehr TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    failures_in_row INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    claimed_by TEXT,
    lease_until_ms INTEGER,
    last_progress_ms INTEGER,
    progress TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    outcome TEXT,
    error TEXT,
    payload BLOB
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (status, next_attempt_ms, created_ms);
";

const COLUMNS: &str = "id, ehr, status, attempts, failures_in_row, next_attempt_ms, claimed_by, \
    lease_until_ms, last_progress_ms, progress, created_ms, updated_ms, outcome, error, payload";

/// A job queue in a SQLite file.
pub struct SqliteQueue {
    conn: Mutex<Connection>,
    clock: Arc<dyn Clock>,
}

fn storage(e: rusqlite::Error) -> QueueError {
    QueueError::Storage(e.to_string())
}

fn record(row: &Row<'_>) -> rusqlite::Result<JobRecord> {
    let status: String = row.get(2)?;
    Ok(JobRecord {
        id: row.get(0)?,
        ehr: row.get(1)?,
        status: Status::parse(&status).ok_or_else(|| {
            rusqlite::Error::InvalidColumnType(
                2,
                format!("status `{status}`"),
                rusqlite::types::Type::Text,
            )
        })?,
        attempts: row.get(3)?,
        failures_in_row: row.get(4)?,
        next_attempt_ms: row.get::<_, i64>(5)? as u64,
        claimed_by: row.get(6)?,
        lease_until_ms: row.get::<_, Option<i64>>(7)?.map(|v| v as u64),
        last_progress_ms: row.get::<_, Option<i64>>(8)?.map(|v| v as u64),
        progress: row.get(9)?,
        created_ms: row.get::<_, i64>(10)? as u64,
        updated_ms: row.get::<_, i64>(11)? as u64,
        outcome: row.get(12)?,
        error: row.get(13)?,
        payload: row.get(14)?,
    })
}

impl SqliteQueue {
    /// Opens (creating if needed) the queue in `path`.
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<SqliteQueue, QueueError> {
        let conn = Connection::open(path).map_err(storage)?;
        // WAL lets readers (`jobs list`) run beside the agent; FULL sync keeps a
        // committed job through a power cut.
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;",
        )
        .map_err(storage)?;
        conn.execute_batch(SCHEMA).map_err(storage)?;
        Ok(SqliteQueue {
            conn: Mutex::new(conn),
            clock,
        })
    }

    fn now(&self) -> i64 {
        self.clock.now_ms() as i64
    }

    /// Runs `f` in an immediate transaction; commits on `Ok`.
    fn tx<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>, i64) -> Result<T, QueueError>,
    ) -> Result<T, QueueError> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        let out = f(&tx, self.now())?;
        tx.commit().map_err(storage)?;
        Ok(out)
    }

    fn load(tx: &rusqlite::Transaction<'_>, id: &str) -> Result<JobRecord, QueueError> {
        tx.query_row(
            &format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"),
            [id],
            record,
        )
        .optional()
        .map_err(storage)?
        .ok_or_else(|| QueueError::NotFound(id.to_string()))
    }

    /// The job, if `host` still holds it; a cancelled job passes too (the host records
    /// what its attempt did).
    fn held(tx: &rusqlite::Transaction<'_>, id: &str, host: &str) -> Result<JobRecord, QueueError> {
        Self::load(tx, id)?.held_by(host)
    }
}

impl Queue for SqliteQueue {
    async fn submit(&self, job: NewJob) -> Result<(), QueueError> {
        self.tx(|tx, now| {
            let inserted = tx
                .execute(
                    "INSERT OR IGNORE INTO jobs (id, ehr, status, next_attempt_ms, created_ms, updated_ms, payload)
                     VALUES (?1, ?2, 'pending', ?3, ?3, ?3, ?4)",
                    params![job.id, job.ehr, now, job.payload],
                )
                .map_err(storage)?;
            if inserted == 0 {
                return Err(QueueError::Duplicate(job.id));
            }
            Ok(())
        })
    }

    async fn claim(
        &self,
        host: &str,
        lease: Duration,
        max_per_ehr: u32,
    ) -> Result<Option<JobRecord>, QueueError> {
        self.tx(|tx, now| {
            let id: Option<String> = tx
                .query_row(
                    "SELECT id FROM jobs j WHERE status = 'pending' AND next_attempt_ms <= ?1
                       AND (SELECT COUNT(*) FROM jobs c WHERE c.ehr = j.ehr AND c.status = 'claimed') < ?2
                     ORDER BY next_attempt_ms, created_ms LIMIT 1",
                    params![now, max_per_ehr],
                    |r| r.get(0),
                )
                .optional()
                .map_err(storage)?;
            let Some(id) = id else { return Ok(None) };
            tx.execute(
                "UPDATE jobs SET status = 'claimed', claimed_by = ?2, lease_until_ms = ?3,
                     last_progress_ms = ?4, progress = 'claimed', attempts = attempts + 1, updated_ms = ?4
                 WHERE id = ?1",
                params![id, host, now + lease.as_millis() as i64, now],
            )
            .map_err(storage)?;
            Self::load(tx, &id).map(Some)
        })
    }

    async fn heartbeat(
        &self,
        id: &str,
        host: &str,
        progress: &str,
        lease: Duration,
    ) -> Result<Status, QueueError> {
        self.tx(|tx, now| {
            let job = Self::held(tx, id, host)?;
            if job.status == Status::Cancelled {
                return Ok(Status::Cancelled);
            }
            tx.execute(
                "UPDATE jobs SET lease_until_ms = ?2, last_progress_ms = ?3, progress = ?4, updated_ms = ?3 WHERE id = ?1",
                params![id, now + lease.as_millis() as i64, now, progress],
            )
            .map_err(storage)?;
            Ok(Status::Claimed)
        })
    }

    async fn succeed(
        &self,
        id: &str,
        host: &str,
        outcome: &str,
        with_warnings: bool,
        keep_payload: bool,
    ) -> Result<Status, QueueError> {
        self.tx(|tx, now| {
            let job = Self::held(tx, id, host)?;
            let next = job.next(Transition::Succeed { with_warnings })?;
            // The snapshot holds patient data: once the chart has it, the queue does not.
            tx.execute(
                "UPDATE jobs SET status = ?2, outcome = ?3, error = NULL, failures_in_row = 0,
                     payload = CASE WHEN ?5 THEN payload ELSE NULL END,
                     claimed_by = NULL, lease_until_ms = NULL, updated_ms = ?4 WHERE id = ?1",
                params![id, next.as_str(), outcome, now, keep_payload],
            )
            .map_err(storage)?;
            Ok(next)
        })
    }

    async fn fail_attempt(
        &self,
        id: &str,
        host: &str,
        decision: Decision,
        error: &str,
    ) -> Result<Status, QueueError> {
        self.tx(|tx, now| {
            let job = Self::held(tx, id, host)?;
            let (t, due) = match decision {
                Decision::RetryAfter(d) => (Transition::RetryLater, now + d.as_millis() as i64),
                _ => (Transition::Fail, now),
            };
            let next = job.next(t)?;
            tx.execute(
                "UPDATE jobs SET status = ?2, error = ?3, failures_in_row = failures_in_row + 1,
                     next_attempt_ms = ?4, claimed_by = NULL, lease_until_ms = NULL, updated_ms = ?5 WHERE id = ?1",
                params![id, next.as_str(), error, due, now],
            )
            .map_err(storage)?;
            Ok(next)
        })
    }

    async fn purge_payloads(&self, before_ms: u64) -> Result<u64, QueueError> {
        self.tx(|tx, _| {
            let n = tx
                .execute(
                    "UPDATE jobs SET payload = NULL WHERE payload IS NOT NULL
                       AND status IN ('succeeded', 'succeeded_with_warnings') AND updated_ms < ?1",
                    [before_ms as i64],
                )
                .map_err(storage)?;
            Ok(n as u64)
        })
    }

    async fn retry(&self, id: &str) -> Result<(), QueueError> {
        self.tx(|tx, now| {
            let job = Self::load(tx, id)?;
            let next = job.next(Transition::Retry)?;
            tx.execute(
                "UPDATE jobs SET status = ?2, next_attempt_ms = ?3, updated_ms = ?3 WHERE id = ?1",
                params![id, next.as_str(), now],
            )
            .map_err(storage)?;
            Ok(())
        })
    }

    async fn cancel(&self, id: &str) -> Result<(), QueueError> {
        self.tx(|tx, now| {
            let job = Self::load(tx, id)?;
            let next = job.next(Transition::Cancel)?;
            tx.execute(
                "UPDATE jobs SET status = ?2, updated_ms = ?3 WHERE id = ?1",
                params![id, next.as_str(), now],
            )
            .map_err(storage)?;
            Ok(())
        })
    }

    async fn reclaim_expired(&self) -> Result<Vec<String>, QueueError> {
        self.tx(|tx, now| {
            let mut stmt = tx
                .prepare("SELECT id FROM jobs WHERE status = 'claimed' AND lease_until_ms < ?1")
                .map_err(storage)?;
            let ids: Vec<String> = stmt
                .query_map([now], |r| r.get(0))
                .map_err(storage)?
                .collect::<Result<_, _>>()
                .map_err(storage)?;
            for id in &ids {
                tx.execute(
                    "UPDATE jobs SET status = 'pending', claimed_by = NULL, lease_until_ms = NULL,
                         progress = 'lease expired: returned to the queue', updated_ms = ?2 WHERE id = ?1",
                    params![id, now],
                )
                .map_err(storage)?;
            }
            Ok(ids)
        })
    }

    async fn get(&self, id: &str) -> Result<JobRecord, QueueError> {
        self.tx(|tx, _| Self::load(tx, id))
    }

    async fn list(&self, status: Option<Status>) -> Result<Vec<JobRecord>, QueueError> {
        self.tx(|tx, _| {
            let mut stmt = tx
                .prepare(&format!(
                    "SELECT {COLUMNS} FROM jobs WHERE ?1 IS NULL OR status = ?1 ORDER BY created_ms, id"
                ))
                .map_err(storage)?;
            let rows = stmt
                .query_map([status.map(|s| s.as_str())], record)
                .map_err(storage)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(storage)?;
            Ok(rows)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::clock::ManualClock;

    fn temp_db() -> std::path::PathBuf {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ehr-jobs-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("jobs.sqlite")
    }

    // The SQLite store passes the queue conformance suite.
    #[tokio::test]
    async fn conformance() {
        crate::jobs::conformance::run_all(|clock| async move {
            SqliteQueue::open(&temp_db(), clock).unwrap()
        })
        .await;
    }

    // A job survives the process going away mid-claim: reopening the file finds it
    // claimed, and once the lease lapses it is claimable again with the attempt counted.
    #[tokio::test]
    async fn survives_reopen() {
        let path = temp_db();
        let clock = Arc::new(ManualClock::at(1_000));
        {
            let q = SqliteQueue::open(&path, clock.clone()).unwrap();
            q.submit(NewJob {
                id: "J".into(),
                ehr: "rev".into(),
                payload: b"p".to_vec(),
            })
            .await
            .unwrap();
            q.claim("h1", Duration::from_secs(10), 5)
                .await
                .unwrap()
                .unwrap();
        }
        let q = SqliteQueue::open(&path, clock.clone()).unwrap();
        assert_eq!(q.get("J").await.unwrap().status, Status::Claimed);
        clock.advance(Duration::from_secs(11));
        assert_eq!(q.reclaim_expired().await.unwrap(), vec!["J".to_string()]);
        let j = q
            .claim("h2", Duration::from_secs(10), 5)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((j.attempts, j.payload.as_deref()), (2, Some(&b"p"[..])));
    }
}
