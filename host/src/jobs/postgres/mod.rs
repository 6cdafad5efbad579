//! The shared job store for servers: PostgreSQL, where several hosts claim from one
//! queue. A transaction-scoped advisory lock makes the per-EHR concurrency check and the
//! claim one step across hosts (claims take milliseconds, so serialising them costs
//! little and keeps the limit exact).
//! Leases lapse when a host dies, and another host takes the job over. The connection
//! comes back by itself after an outage ([`connection`]).

mod connection;
mod pick;
mod schema;

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
use connection::{storage, Connection, Pipelined, Session};
use schema::{record, COLUMNS, SCHEMA};
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::types::ToSql;
use tokio_postgres::Transaction;

/// A job queue in a PostgreSQL database, up to four connections per queue value.
pub struct PostgresQueue {
    conn: Connection,
    clock: Arc<dyn Clock>,
}

impl PostgresQueue {
    /// Connects with a libpq-style connection string (`host=127.0.0.1 port=5432
    /// user=ehr dbname=ehr`) and creates the tables if needed.
    pub async fn connect(config: &str, clock: Arc<dyn Clock>) -> Result<PostgresQueue, QueueError> {
        Ok(PostgresQueue {
            conn: Connection::open(config, SCHEMA).await?,
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
}

/// Runs `$body` on the held client, then drops the client if it broke. A macro rather
/// than a function taking a closure: the body borrows the client and the arguments of
/// the call, and a boxed-future closure would need every argument cloned to be `'static`.
macro_rules! on_client {
    ($self:ident, |$client:ident| $body:expr) => {{
        let mut held = $self.conn.hold().await?;
        let result = {
            let $client: &mut Session = held.as_mut().expect("hold connects");
            $body.await
        };
        Connection::settle(&mut held, &result);
        result
    }};
}

impl Queue for PostgresQueue {
    async fn submit(&self, job: NewJob) -> Result<(), QueueError> {
        let now = self.now();
        on_client!(self, |c| async {
            let n = c
                .execute(
                    "INSERT INTO jobs (id, ehr, status, next_attempt_ms, created_ms, updated_ms, payload, scope)
                     VALUES ($1, $2, 'pending', $3, $3, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
                    &[&job.id, &job.ehr, &now, &job.payload, &job.scope],
                )
                .await
                .map_err(storage)?;
            if n == 0 {
                return Err(QueueError::Duplicate(job.id.clone()));
            }
            Ok(())
        })
    }

    async fn claim_many(
        &self,
        host: &str,
        lease: Duration,
        max_per_ehr: u32,
        filter: ClaimFilter<'_>,
        limit: usize,
    ) -> Result<Vec<JobRecord>, QueueError> {
        let now = self.now();
        let until = now + lease.as_millis() as i64;
        let sql = format!(
            "UPDATE jobs SET status = 'claimed', claimed_by = $2, lease_until_ms = $3,
                 last_progress_ms = $4, progress = 'claimed', attempts = attempts + 1, updated_ms = $4
             WHERE id = ANY($1) AND status = 'pending'
             RETURNING {COLUMNS}"
        );
        let mut held = self.conn.hold().await?;
        // A job picked can be cancelled in the meantime (a cancel does not take the
        // claim lock): the update then finds it no longer pending; when that left
        // nothing, pick again.
        let mut rounds = 0;
        loop {
            rounds += 1;
            let mut tx = Pipelined::new(&mut held);
            let Session {
                client,
                statements: st,
            } = tx.session();
            let update = st.get(client, &sql).await?;
            let begin = async { client.batch_execute("BEGIN").await.map_err(storage) };
            let (_, mut seen) =
                tokio::try_join!(begin, pick::read(client, st, now, filter.scope.is_some()))?;
            let claimed = std::mem::take(&mut seen.claimed);
            let mut picking = Picking::new(filter, max_per_ehr, claimed);
            let ids = pick::due(client, &seen, now, &mut picking, limit).await?;
            if ids.is_empty() {
                client.batch_execute("COMMIT").await.map_err(storage)?;
                tx.committed();
                return Ok(Vec::new());
            }
            let params: [&(dyn ToSql + Sync); 4] = [&ids, &host, &until, &now];
            let (rows, _) = tokio::try_join!(
                client.query(&update, &params),
                client.batch_execute("COMMIT"),
            )
            .map_err(storage)?;
            tx.committed();
            if !rows.is_empty() || rounds == 3 {
                let mut jobs = rows.iter().map(record).collect::<Result<Vec<_>, _>>()?;
                jobs.sort_by_key(|j| (j.next_attempt_ms, j.created_ms));
                return Ok(jobs);
            }
        }
    }

    async fn heartbeat(
        &self,
        id: &str,
        host: &str,
        progress: &str,
        lease: Duration,
    ) -> Result<Lease, QueueError> {
        let now = self.now();
        let until = now + lease.as_millis() as i64;
        on_client!(self, |c| async {
            let tx = c.transaction().await.map_err(storage)?;
            let job = Self::load(&tx, id, true).await?.held_by(host)?;
            tx.execute(
                "UPDATE jobs SET lease_until_ms = $2, last_progress_ms = $3, progress = $4, updated_ms = $3 WHERE id = $1",
                &[&id, &until, &now, &progress],
            )
            .await
            .map_err(storage)?;
            tx.commit().await.map_err(storage)?;
            Ok(if job.cancel_requested {
                Lease::CancelRequested
            } else {
                Lease::Held
            })
        })
    }

    async fn succeed(
        &self,
        id: &str,
        host: &str,
        report: &WriteReport,
        keep_payload: bool,
    ) -> Result<Status, QueueError> {
        let now = self.now();
        let with_warnings = report.outcome == crate::report::Outcome::SucceededWithWarnings;
        let next = Status::succeeded(with_warnings);
        let outcome = stored::encode_report(report);
        on_client!(self, |c| async {
            // One statement, only while `host` holds the job: the common case in one
            // round trip. The snapshot holds patient data: once the chart has it, the
            // queue does not.
            let update = c
                .statements
                .get(
                    &c.client,
                    "UPDATE jobs SET status = $2, outcome = $3, error = NULL, error_kind = NULL, failures_in_row = 0,
                         adapter_hash = $6, payload = CASE WHEN $5 THEN payload ELSE NULL END, progress = NULL,
                         claimed_by = NULL, lease_until_ms = NULL, updated_ms = $4
                     WHERE id = $1 AND status = 'claimed' AND claimed_by = $7",
                )
                .await?;
            let n = c
                .execute(
                    &update,
                    &[
                        &id,
                        &next.as_str(),
                        &outcome,
                        &now,
                        &keep_payload,
                        &report.adapter.hash,
                        &host,
                    ],
                )
                .await
                .map_err(storage)?;
            if n == 1 {
                return Ok(next);
            }
            let tx = c.transaction().await.map_err(storage)?;
            Self::load(&tx, id, false).await?.held_by(host)?;
            Err(QueueError::changed_meanwhile(id))
        })
    }

    async fn fail_attempt(
        &self,
        id: &str,
        host: &str,
        decision: Decision,
        report: Option<&WriteReport>,
        error: &Remediation,
    ) -> Result<Status, QueueError> {
        let now = self.now();
        let outcome = report.map(stored::encode_report);
        let hash = report.map(|r| r.adapter.hash.clone());
        let text = stored::encode_error(error);
        on_client!(self, |c| async {
            let tx = c.transaction().await.map_err(storage)?;
            let job = Self::load(&tx, id, true).await?.held_by(host)?;
            let next = job.next(job.failed_attempt(decision))?;
            let due = match decision {
                Decision::RetryAfter(d) if next == Status::Pending => now + d.as_millis() as i64,
                _ => now,
            };
            tx.execute(
                "UPDATE jobs SET status = $2, error = $3, error_kind = $4, outcome = COALESCE($5, outcome),
                     adapter_hash = $6, failures_in_row = failures_in_row + 1, next_attempt_ms = $7,
                     progress = NULL, claimed_by = NULL, lease_until_ms = NULL, updated_ms = $8 WHERE id = $1",
                &[&id, &next.as_str(), &text, &error.kind.as_str(), &outcome, &hash, &due, &now],
            )
            .await
            .map_err(storage)?;
            tx.commit().await.map_err(storage)?;
            Ok(next)
        })
    }

    async fn purge_payloads(&self, before_ms: u64) -> Result<u64, QueueError> {
        on_client!(self, |c| async {
            c.execute(
                "UPDATE jobs SET payload = NULL WHERE payload IS NOT NULL
                   AND status IN ('succeeded', 'succeeded_with_warnings') AND updated_ms < $1",
                &[&(before_ms as i64)],
            )
            .await
            .map_err(storage)
        })
    }

    async fn retry(&self, id: &str) -> Result<(), QueueError> {
        let now = self.now();
        on_client!(self, |c| async {
            let tx = c.transaction().await.map_err(storage)?;
            let next = Self::load(&tx, id, true).await?.next(Transition::Retry)?;
            tx.execute(
                "UPDATE jobs SET status = $2, next_attempt_ms = $3, progress = NULL, updated_ms = $3 WHERE id = $1",
                &[&id, &next.as_str(), &now],
            )
            .await
            .map_err(storage)?;
            tx.commit().await.map_err(storage)
        })
    }

    async fn cancel(&self, id: &str) -> Result<CancelOutcome, QueueError> {
        let now = self.now();
        on_client!(self, |c| async {
            let tx = c.transaction().await.map_err(storage)?;
            let next = Self::load(&tx, id, true).await?.next(Transition::Cancel)?;
            let outcome = if next == Status::Claimed {
                tx.execute(
                    "UPDATE jobs SET cancel_requested = TRUE, updated_ms = $2 WHERE id = $1",
                    &[&id, &now],
                )
                .await
                .map_err(storage)?;
                CancelOutcome::Requested
            } else {
                tx.execute(
                    "UPDATE jobs SET status = $2, progress = NULL, updated_ms = $3 WHERE id = $1",
                    &[&id, &next.as_str(), &now],
                )
                .await
                .map_err(storage)?;
                CancelOutcome::Cancelled
            };
            tx.commit().await.map_err(storage)?;
            Ok(outcome)
        })
    }

    async fn reclaim_expired(&self) -> Result<Vec<(String, Status)>, QueueError> {
        let now = self.now();
        on_client!(self, |c| async {
            let tx = c.transaction().await.map_err(storage)?;
            let rows = tx
                .query(
                    &format!("SELECT {COLUMNS} FROM jobs WHERE status = 'claimed' AND lease_until_ms < $1 FOR UPDATE SKIP LOCKED"),
                    &[&now],
                )
                .await
                .map_err(storage)?;
            let mut out = Vec::new();
            for row in &rows {
                let job = record(row)?;
                let next = job.next(job.lapsed())?;
                tx.execute(
                    "UPDATE jobs SET status = $2, claimed_by = NULL, lease_until_ms = NULL, progress = NULL, updated_ms = $3 WHERE id = $1",
                    &[&job.id, &next.as_str(), &now],
                )
                .await
                .map_err(storage)?;
                out.push((job.id, next));
            }
            tx.commit().await.map_err(storage)?;
            Ok(out)
        })
    }

    async fn give_back(&self, ehr: &str, adapter_hash: &str) -> Result<Vec<String>, QueueError> {
        let now = self.now();
        on_client!(self, |c| async {
            let rows = c
                .query(
                    "UPDATE jobs SET status = 'pending', next_attempt_ms = $3, given_back = TRUE, updated_ms = $3
                     WHERE status = 'failed' AND ehr = $1 AND adapter_hash = $2
                       AND error_kind = 'adapter_bug' AND NOT given_back RETURNING id",
                    &[&ehr, &adapter_hash, &now],
                )
                .await
                .map_err(storage)?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    async fn get(&self, id: &str) -> Result<JobRecord, QueueError> {
        on_client!(self, |c| async {
            let row = c
                .query_opt(&format!("SELECT {COLUMNS} FROM jobs WHERE id = $1"), &[&id])
                .await
                .map_err(storage)?;
            record(&row.ok_or_else(|| QueueError::NotFound(id.to_string()))?)
        })
    }

    async fn list_where(
        &self,
        status: Option<Status>,
        scope: Option<&str>,
    ) -> Result<Vec<JobRecord>, QueueError> {
        let status = status.map(|s| s.as_str().to_string());
        on_client!(self, |c| async {
            let rows = c
                .query(
                    &format!(
                        "SELECT {COLUMNS} FROM jobs WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR scope = $2)
                         ORDER BY created_ms, id"
                    ),
                    &[&status, &scope],
                )
                .await
                .map_err(storage)?;
            rows.iter().map(record).collect()
        })
    }

    async fn key_state(&self) -> Result<KeyState, QueueError> {
        on_client!(self, |c| async {
            let check = c
                .query_opt("SELECT value FROM meta WHERE name = 'key_check'", &[])
                .await
                .map_err(storage)?
                .map(|r| r.get::<_, Vec<u8>>(0));
            let sealed: i64 = c
                .query_one("SELECT count(*) FROM jobs WHERE payload IS NOT NULL", &[])
                .await
                .map_err(storage)?
                .get(0);
            Ok(KeyState {
                check,
                sealed_jobs: sealed as u64,
            })
        })
    }

    async fn record_key_check(&self, check: &[u8]) -> Result<(), QueueError> {
        on_client!(self, |c| async {
            c.execute(
                "INSERT INTO meta (name, value) VALUES ('key_check', $1) ON CONFLICT DO NOTHING",
                &[&check],
            )
            .await
            .map_err(storage)?;
            Ok(())
        })
    }
}
