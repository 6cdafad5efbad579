//! The PostgreSQL job table (created or brought up to date on connect) and rows as
//! [`JobRecord`]s.

use crate::jobs::lifecycle::Status;
use crate::jobs::queue::{JobRecord, QueueError};
use crate::jobs::stored;
use tokio_postgres::Row;

/// Creates the tables, or adds what earlier versions lacked. Safe to run from several
/// hosts at once: every statement is idempotent.
pub const SCHEMA: &str = "
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
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS cancel_requested BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS given_back BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS adapter_hash TEXT;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS error_kind TEXT;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS scope TEXT;
CREATE INDEX IF NOT EXISTS jobs_group_due ON jobs (status, ehr, scope, next_attempt_ms, created_ms);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BYTEA NOT NULL);
";

/// The columns every read selects, in [`record`]'s order.
pub const COLUMNS: &str =
    "id, ehr, status, attempts, failures_in_row, next_attempt_ms, claimed_by, \
    lease_until_ms, last_progress_ms, progress, created_ms, updated_ms, outcome, error, payload, \
    cancel_requested, given_back, scope";

/// One row, typed.
pub fn record(row: &Row) -> Result<JobRecord, QueueError> {
    let id: String = row.get(0);
    let status: String = row.get(2);
    let outcome: Option<String> = row.get(12);
    let error: Option<String> = row.get(13);
    Ok(JobRecord {
        ehr: row.get(1),
        status: Status::parse(&status).ok_or_else(|| {
            QueueError::Storage(format!(
                "job `{id}` has an unknown status `{status}` in the store"
            ))
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
        report: outcome
            .as_deref()
            .map(|o| stored::decode_report(&id, o))
            .transpose()?,
        error: error
            .as_deref()
            .map(|e| stored::decode_error(&id, e))
            .transpose()?,
        payload: row.get(14),
        cancel_requested: row.get(15),
        given_back: row.get(16),
        scope: row.get(17),
        id,
    })
}
