//! The shared job store for servers: PostgreSQL, where several hosts claim from one
//! queue. Claims lock rows with `FOR UPDATE SKIP LOCKED`; a transaction-scoped advisory
//! lock makes the per-EHR concurrency check and the claim one step across hosts (claims
//! take milliseconds, so serialising them costs little and keeps the limit exact).
//! Leases lapse when a host dies, and another host takes the job over.

use super::clock::Clock;
use super::lifecycle::{Status, Transition};
use super::policy::Decision;
use super::queue::{JobRecord, NewJob, Queue, QueueError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio_postgres::{Client, NoTls, Row, Transaction};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    ehr TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    failures_in_row INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL,
    claimed_by TEXT,
    lease_until_ms BIGINT,
    last_progress_ms BIGINT,
    progress TEXT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    outcome TEXT,
    error TEXT,
    payload BYTEA
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (status, next_attempt_ms, created_ms);
";

const COLUMNS: &str = "id, ehr, status, attempts, failures_in_row, next_attempt_ms, claimed_by, \
    lease_until_ms, last_progress_ms, progress, created_ms, updated_ms, outcome, error, payload";

/// Any fixed number: the advisory lock that serialises claims across hosts.
const CLAIM_LOCK: i64 = 0x6568_725f_636c_6169;

/// A job queue in a PostgreSQL database, one connection per host.
pub struct PostgresQueue {
    client: Mutex<Client>,
    clock: Arc<dyn Clock>,
}

fn storage(e: tokio_postgres::Error) -> QueueError {
    QueueError::Storage(match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    })
}

fn record(row: &Row) -> Result<JobRecord, QueueError> {
    let status: String = row.get(2);
    Ok(JobRecord {
        id: row.get(0),
        ehr: row.get(1),
        status: Status::parse(&status).ok_or_else(|| {
            QueueError::Storage(format!("unknown job status `{status}` in the store"))
        })?,
        attempts: row.get::<_, i32>(3) as u32,
        failures_in_row: row.get::<_, i32>(4) as u32,
        next_attempt_ms: row.get::<_, i64>(5) as u64,
        claimed_by: row.get(6),
        lease_until_ms: row.get::<_, Option<i64>>(7).map(|v| v as u64),
        last_progress_ms: row.get::<_, Option<i64>>(8).map(|v| v as u64),
        progress: row.get(9),
        created_ms: row.get::<_, i64>(10) as u64,
        updated_ms: row.get::<_, i64>(11) as u64,
        outcome: row.get(12),
        error: row.get(13),
        payload: row.get(14),
    })
}

impl PostgresQueue {
    /// Connects with a libpq-style connection string (`host=127.0.0.1 port=5432
    /// user=ehr dbname=ehr`) and creates the table if needed.
    pub async fn connect(config: &str, clock: Arc<dyn Clock>) -> Result<PostgresQueue, QueueError> {
        let (client, connection) = tokio_postgres::connect(config, NoTls).await.map_err(|e| {
            QueueError::Storage(format!("cannot connect to the PostgreSQL job store: {e}"))
        })?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::error!("PostgreSQL job store connection ended: {e}");
            }
        });
        client.batch_execute(SCHEMA).await.map_err(storage)?;
        Ok(PostgresQueue {
            client: Mutex::new(client),
            clock,
        })
    }

    fn now(&self) -> i64 {
        self.clock.now_ms() as i64
    }

    async fn load(tx: &Transaction<'_>, id: &str, lock: bool) -> Result<JobRecord, QueueError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM jobs WHERE id = $1{}",
            if lock { " FOR UPDATE" } else { "" }
        );
        let row = tx.query_opt(&sql, &[&id]).await.map_err(storage)?;
        record(&row.ok_or_else(|| QueueError::NotFound(id.to_string()))?)
    }

    async fn held(tx: &Transaction<'_>, id: &str, host: &str) -> Result<JobRecord, QueueError> {
        Self::load(tx, id, true).await?.held_by(host)
    }
}

impl Queue for PostgresQueue {
    async fn submit(&self, job: NewJob) -> Result<(), QueueError> {
        let now = self.now();
        let client = self.client.lock().await;
        let n = client
            .execute(
                "INSERT INTO jobs (id, ehr, status, next_attempt_ms, created_ms, updated_ms, payload)
                 VALUES ($1, $2, 'pending', $3, $3, $3, $4) ON CONFLICT (id) DO NOTHING",
                &[&job.id, &job.ehr, &now, &job.payload],
            )
            .await
            .map_err(storage)?;
        if n == 0 {
            return Err(QueueError::Duplicate(job.id));
        }
        Ok(())
    }

    async fn claim(
        &self,
        host: &str,
        lease: Duration,
        max_per_ehr: u32,
    ) -> Result<Option<JobRecord>, QueueError> {
        let now = self.now();
        let until = now + lease.as_millis() as i64;
        let max = max_per_ehr as i64;
        let mut client = self.client.lock().await;
        let tx = client.transaction().await.map_err(storage)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CLAIM_LOCK])
            .await
            .map_err(storage)?;
        let row = tx
            .query_opt(
                &format!(
                    "WITH candidate AS (
                        SELECT id FROM jobs j
                        WHERE status = 'pending' AND next_attempt_ms <= $1
                          AND (SELECT count(*) FROM jobs c WHERE c.ehr = j.ehr AND c.status = 'claimed') < $2
                        ORDER BY next_attempt_ms, created_ms
                        LIMIT 1 FOR UPDATE SKIP LOCKED)
                     UPDATE jobs SET status = 'claimed', claimed_by = $3, lease_until_ms = $4,
                         last_progress_ms = $1, progress = 'claimed', attempts = attempts + 1, updated_ms = $1
                     FROM candidate WHERE jobs.id = candidate.id
                     RETURNING {}",
                    COLUMNS.split(", ").map(|c| format!("jobs.{c}")).collect::<Vec<_>>().join(", ")
                ),
                &[&now, &max, &host, &until],
            )
            .await
            .map_err(storage)?;
        tx.commit().await.map_err(storage)?;
        row.as_ref().map(record).transpose()
    }

    async fn heartbeat(
        &self,
        id: &str,
        host: &str,
        progress: &str,
        lease: Duration,
    ) -> Result<Status, QueueError> {
        let now = self.now();
        let mut client = self.client.lock().await;
        let tx = client.transaction().await.map_err(storage)?;
        let job = Self::held(&tx, id, host).await?;
        if job.status == Status::Cancelled {
            return Ok(Status::Cancelled);
        }
        let until = now + lease.as_millis() as i64;
        tx.execute(
            "UPDATE jobs SET lease_until_ms = $2, last_progress_ms = $3, progress = $4, updated_ms = $3 WHERE id = $1",
            &[&id, &until, &now, &progress],
        )
        .await
        .map_err(storage)?;
        tx.commit().await.map_err(storage)?;
        Ok(Status::Claimed)
    }

    async fn succeed(
        &self,
        id: &str,
        host: &str,
        outcome: &str,
        with_warnings: bool,
        keep_payload: bool,
    ) -> Result<Status, QueueError> {
        let now = self.now();
        let mut client = self.client.lock().await;
        let tx = client.transaction().await.map_err(storage)?;
        let job = Self::held(&tx, id, host).await?;
        let next = job.next(Transition::Succeed { with_warnings })?;
        // The snapshot holds patient data: once the chart has it, the queue does not.
        tx.execute(
            "UPDATE jobs SET status = $2, outcome = $3, error = NULL, failures_in_row = 0,
                 payload = CASE WHEN $5 THEN payload ELSE NULL END,
                 claimed_by = NULL, lease_until_ms = NULL, updated_ms = $4 WHERE id = $1",
            &[&id, &next.as_str(), &outcome, &now, &keep_payload],
        )
        .await
        .map_err(storage)?;
        tx.commit().await.map_err(storage)?;
        Ok(next)
    }

    async fn fail_attempt(
        &self,
        id: &str,
        host: &str,
        decision: Decision,
        error: &str,
    ) -> Result<Status, QueueError> {
        let now = self.now();
        let mut client = self.client.lock().await;
        let tx = client.transaction().await.map_err(storage)?;
        let job = Self::held(&tx, id, host).await?;
        let (t, due) = match decision {
            Decision::RetryAfter(d) => (Transition::RetryLater, now + d.as_millis() as i64),
            _ => (Transition::Fail, now),
        };
        let next = job.next(t)?;
        tx.execute(
            "UPDATE jobs SET status = $2, error = $3, failures_in_row = failures_in_row + 1,
                 next_attempt_ms = $4, claimed_by = NULL, lease_until_ms = NULL, updated_ms = $5 WHERE id = $1",
            &[&id, &next.as_str(), &error, &due, &now],
        )
        .await
        .map_err(storage)?;
        tx.commit().await.map_err(storage)?;
        Ok(next)
    }

    async fn purge_payloads(&self, before_ms: u64) -> Result<u64, QueueError> {
        let client = self.client.lock().await;
        client
            .execute(
                "UPDATE jobs SET payload = NULL WHERE payload IS NOT NULL
                   AND status IN ('succeeded', 'succeeded_with_warnings') AND updated_ms < $1",
                &[&(before_ms as i64)],
            )
            .await
            .map_err(storage)
    }

    async fn retry(&self, id: &str) -> Result<(), QueueError> {
        self.person(id, Transition::Retry).await
    }

    async fn cancel(&self, id: &str) -> Result<(), QueueError> {
        self.person(id, Transition::Cancel).await
    }

    async fn reclaim_expired(&self) -> Result<Vec<String>, QueueError> {
        let now = self.now();
        let client = self.client.lock().await;
        let rows = client
            .query(
                "UPDATE jobs SET status = 'pending', claimed_by = NULL, lease_until_ms = NULL,
                     progress = 'lease expired: returned to the queue', updated_ms = $1
                 WHERE status = 'claimed' AND lease_until_ms < $1 RETURNING id",
                &[&now],
            )
            .await
            .map_err(storage)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn get(&self, id: &str) -> Result<JobRecord, QueueError> {
        let mut client = self.client.lock().await;
        let tx = client.transaction().await.map_err(storage)?;
        Self::load(&tx, id, false).await
    }

    async fn list(&self, status: Option<Status>) -> Result<Vec<JobRecord>, QueueError> {
        let client = self.client.lock().await;
        let status = status.map(|s| s.as_str().to_string());
        let rows = client
            .query(
                &format!("SELECT {COLUMNS} FROM jobs WHERE $1::text IS NULL OR status = $1 ORDER BY created_ms, id"),
                &[&status],
            )
            .await
            .map_err(storage)?;
        rows.iter().map(record).collect()
    }
}

impl PostgresQueue {
    /// A person's retry or cancel.
    async fn person(&self, id: &str, t: Transition) -> Result<(), QueueError> {
        let now = self.now();
        let mut client = self.client.lock().await;
        let tx = client.transaction().await.map_err(storage)?;
        let job = Self::load(&tx, id, true).await?;
        let next = job.next(t)?;
        let due = if t == Transition::Retry {
            now
        } else {
            job.next_attempt_ms as i64
        };
        tx.execute(
            "UPDATE jobs SET status = $2, next_attempt_ms = $3, updated_ms = $4 WHERE id = $1",
            &[&id, &next.as_str(), &due, &now],
        )
        .await
        .map_err(storage)?;
        tx.commit().await.map_err(storage)?;
        Ok(())
    }
}
