//! The sync's durable memory at its source (`<home>/schedule.sqlite` on an agent): the
//! last state of each EHR's appointments as recorded, the changes not yet acknowledged
//! by the hub (numbered once, in order, by SQLite's AUTOINCREMENT so a number is never
//! reused), and each EHR's last pass. A pass records its changes and the new state in one
//! transaction, so a sync cut short by an EHR or hub outage, or a kill, resumes with
//! nothing lost and nothing numbered twice; the hub applies each number once.

use super::diff::Pending;
use super::model::{ScheduleChange, SyncRun, SyncedAppointment};
use crate::link::protocol::ScheduleDirective;
use anyhow::{Context, Result};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

const SCHEMA: &str = "
PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;
CREATE TABLE IF NOT EXISTS sync_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sync_state (ehr TEXT NOT NULL, appointment_id TEXT NOT NULL,
    appointment TEXT NOT NULL, PRIMARY KEY (ehr, appointment_id));
CREATE TABLE IF NOT EXISTS sync_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ehr TEXT NOT NULL, change TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sync_runs (ehr TEXT PRIMARY KEY, run TEXT NOT NULL);
";

/// The outbox of one source.
pub struct Outbox {
    conn: Mutex<Connection>,
    source: String,
}

fn decode<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text)
        .with_context(|| format!("a stored {what} in the schedule outbox cannot be read"))
}

impl Outbox {
    /// Opens (creating) the outbox at `path`. A new file gets a new source id, so the
    /// hub never mistakes its numbers for an older file's.
    pub fn open(path: &Path) -> Result<Outbox> {
        let conn =
            Connection::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        conn.execute_batch(SCHEMA)
            .with_context(|| format!("cannot set up {}", path.display()))?;
        let mut fresh = [0u8; 8];
        getrandom::fill(&mut fresh).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        conn.execute(
            "INSERT OR IGNORE INTO sync_meta (name, value) VALUES ('source', ?1)",
            [hex::encode(fresh)],
        )?;
        let source: String = conn.query_row(
            "SELECT value FROM sync_meta WHERE name = 'source'",
            [],
            |r| r.get(0),
        )?;
        Ok(Outbox {
            conn: Mutex::new(conn),
            source,
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// This outbox's id (random, made with the file).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The last recorded state of `ehr`'s appointments, by id.
    pub fn state(&self, ehr: &str) -> Result<BTreeMap<String, SyncedAppointment>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT appointment_id, appointment FROM sync_state WHERE ehr = ?1")?;
        let rows = stmt.query_map([ehr], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (id, text) = row?;
            out.insert(id, decode("appointment", &text)?);
        }
        Ok(out)
    }

    /// Records one pass of `ehr` in one transaction: its changes (numbered here), the
    /// new state and the run. Returns the numbered changes.
    pub fn record(
        &self,
        ehr: &str,
        changes: &[Pending],
        state: &BTreeMap<String, SyncedAppointment>,
        run: &SyncRun,
    ) -> Result<Vec<ScheduleChange>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut numbered = Vec::with_capacity(changes.len());
        for c in changes {
            tx.execute(
                "INSERT INTO sync_outbox (ehr, change) VALUES (?1, '')",
                [ehr],
            )?;
            let change = ScheduleChange {
                seq: tx.last_insert_rowid() as u64,
                ehr: ehr.to_string(),
                kind: c.kind,
                appointment_id: c.appointment_id.clone(),
                appointment: c.appointment.clone(),
            };
            let text = serde_json::to_string(&change)?;
            tx.execute(
                "UPDATE sync_outbox SET change = ?2 WHERE seq = ?1",
                params![change.seq as i64, text],
            )?;
            numbered.push(change);
        }
        tx.execute("DELETE FROM sync_state WHERE ehr = ?1", [ehr])?;
        for (id, a) in state {
            tx.execute(
                "INSERT INTO sync_state (ehr, appointment_id, appointment) VALUES (?1, ?2, ?3)",
                params![ehr, id, serde_json::to_string(a)?],
            )?;
        }
        put_run(&tx, run)?;
        tx.commit()?;
        Ok(numbered)
    }

    /// Records a pass that could not read the EHR (the state is untouched).
    pub fn record_run(&self, run: &SyncRun) -> Result<()> {
        put_run(&self.conn(), run)
    }

    /// Keeps the practice's settings, so a restarted agent syncs with them while the
    /// hub is away.
    pub fn save_directive(&self, d: &ScheduleDirective) -> Result<()> {
        self.conn().execute(
            "INSERT INTO sync_meta (name, value) VALUES ('directive', ?1)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [serde_json::to_string(d)?],
        )?;
        Ok(())
    }

    /// The practice's settings as last kept.
    pub fn directive(&self) -> Result<Option<ScheduleDirective>> {
        let text: Option<String> = self
            .conn()
            .query_row(
                "SELECT value FROM sync_meta WHERE name = 'directive'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        text.map(|t| decode("settings", &t)).transpose()
    }

    /// The last pass of `ehr`, if any.
    pub fn run(&self, ehr: &str) -> Result<Option<SyncRun>> {
        let text: Option<String> = self
            .conn()
            .query_row("SELECT run FROM sync_runs WHERE ehr = ?1", [ehr], |r| {
                r.get(0)
            })
            .optional()?;
        text.map(|t| decode("sync run", &t)).transpose()
    }

    /// Every EHR's last pass.
    pub fn runs(&self) -> Result<Vec<SyncRun>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT run FROM sync_runs ORDER BY ehr")?;
        let texts: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        texts.iter().map(|t| decode("sync run", t)).collect()
    }

    /// Up to `limit` changes not yet acknowledged, oldest first.
    pub fn pending(&self, limit: u32) -> Result<Vec<ScheduleChange>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT change FROM sync_outbox ORDER BY seq LIMIT ?1")?;
        let texts: Vec<String> = stmt
            .query_map([limit], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        texts.iter().map(|t| decode("change", t)).collect()
    }

    /// How many changes wait for the hub.
    pub fn pending_count(&self) -> Result<u64> {
        let n: i64 = self
            .conn()
            .query_row("SELECT COUNT(*) FROM sync_outbox", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// The hub applied every change up to `seq`: forget them.
    pub fn acknowledge(&self, seq: u64) -> Result<()> {
        self.conn()
            .execute("DELETE FROM sync_outbox WHERE seq <= ?1", [seq as i64])?;
        Ok(())
    }
}

fn put_run(conn: &Connection, run: &SyncRun) -> Result<()> {
    conn.execute(
        "INSERT INTO sync_runs (ehr, run) VALUES (?1, ?2)
         ON CONFLICT (ehr) DO UPDATE SET run = excluded.run",
        params![run.ehr, serde_json::to_string(run)?],
    )?;
    Ok(())
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
