//! The SQLite job table, its migration from earlier versions, and rows as [`JobRecord`]s.

use crate::jobs::lifecycle::Status;
use crate::jobs::queue::{JobRecord, QueueError};
use crate::jobs::stored;
use rusqlite::{Connection, Row};

const TABLES: &str = "
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
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
";

/// Indexes on added columns, made once the columns are there. A claim finds each EHR
/// group's oldest due job through `jobs_group_due` (see `pick`), so its cost does not
/// grow with the jobs of groups at their limit.
const INDEXES: &str = "
CREATE INDEX IF NOT EXISTS jobs_group_due ON jobs (status, ehr, scope, next_attempt_ms, created_ms);
";

/// Columns added after the first release, with their definitions.
const ADDED: &[(&str, &str)] = &[
    ("cancel_requested", "INTEGER NOT NULL DEFAULT 0"),
    ("given_back", "INTEGER NOT NULL DEFAULT 0"),
    ("adapter_hash", "TEXT"),
    ("error_kind", "TEXT"),
    ("scope", "TEXT"),
];

/// The columns every read selects, in [`record`]'s order.
pub const COLUMNS: &str =
    "id, ehr, status, attempts, failures_in_row, next_attempt_ms, claimed_by, \
    lease_until_ms, last_progress_ms, progress, created_ms, updated_ms, outcome, error, payload, \
    cancel_requested, given_back, scope";

/// Creates the tables, or brings an older file up to date. In one immediate
/// transaction: processes opening a new file at the same moment (the agent and a `jobs
/// submit`) take turns, and the second finds the columns the first added.
pub fn create(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch(TABLES)?;
    let have: Vec<String> = tx
        .prepare("SELECT name FROM pragma_table_info('jobs')")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for (name, def) in ADDED {
        if !have.iter().any(|h| h == name) {
            tx.execute_batch(&format!("ALTER TABLE jobs ADD COLUMN {name} {def}"))?;
        }
    }
    tx.execute_batch(INDEXES)?;
    tx.commit()
}

/// One row, typed. A stored report or failure that cannot be read is an error naming
/// the job.
pub fn record(row: &Row<'_>) -> Result<JobRecord, QueueError> {
    let db = |e: rusqlite::Error| QueueError::Storage(e.to_string());
    let id: String = row.get(0).map_err(db)?;
    let status: String = row.get(2).map_err(db)?;
    let outcome: Option<String> = row.get(12).map_err(db)?;
    let error: Option<String> = row.get(13).map_err(db)?;
    let ms = |i| {
        row.get::<_, Option<i64>>(i)
            .map(|v| v.map(|v| v as u64))
            .map_err(db)
    };
    Ok(JobRecord {
        ehr: row.get(1).map_err(db)?,
        status: Status::parse(&status).ok_or_else(|| {
            QueueError::Storage(format!(
                "job `{id}` has an unknown status `{status}` in the store"
            ))
        })?,
        attempts: row.get(3).map_err(db)?,
        failures_in_row: row.get(4).map_err(db)?,
        next_attempt_ms: row.get::<_, i64>(5).map_err(db)? as u64,
        claimed_by: row.get(6).map_err(db)?,
        lease_until_ms: ms(7)?,
        last_progress_ms: ms(8)?,
        progress: row.get(9).map_err(db)?,
        created_ms: row.get::<_, i64>(10).map_err(db)? as u64,
        updated_ms: row.get::<_, i64>(11).map_err(db)? as u64,
        report: outcome
            .as_deref()
            .map(|o| stored::decode_report(&id, o))
            .transpose()?,
        error: error
            .as_deref()
            .map(|e| stored::decode_error(&id, e))
            .transpose()?,
        payload: row.get(14).map_err(db)?,
        cancel_requested: row.get(15).map_err(db)?,
        given_back: row.get(16).map_err(db)?,
        scope: row.get(17).map_err(db)?,
        id,
    })
}
