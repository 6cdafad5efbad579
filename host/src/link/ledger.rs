//! The jobs this agent holds for the hub, in `<home>/link.sqlite`: each job taken from a
//! poll until the hub acknowledged its result. It survives restarts, so a result is
//! posted once the hub is back even when the agent was killed during the outage (the job
//! itself, and its report, are in the agent's own job queue). A job whose lease the hub
//! no longer holds for this agent stops being renewed but is still reported.

use anyhow::{Context, Result};
use rusqlite::{params, Connection};
use std::path::Path;
use std::sync::Mutex;

/// One held job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// The job id.
    pub id: String,
    /// Whether the hub's lease is still this agent's (renewals go on).
    pub leased: bool,
}

/// The ledger.
pub struct Ledger {
    conn: Mutex<Connection>,
}

impl Ledger {
    /// Opens (creating) the ledger at `path`.
    pub fn open(path: &Path) -> Result<Ledger> {
        let conn =
            Connection::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;
             CREATE TABLE IF NOT EXISTS held (job_id TEXT PRIMARY KEY, leased INTEGER NOT NULL, since_ms INTEGER NOT NULL);",
        )
        .with_context(|| format!("cannot set up {}", path.display()))?;
        Ok(Ledger {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records that the hub leased job `id` to this agent (again).
    pub fn hold(&self, id: &str, now_ms: u64) -> Result<()> {
        self.conn().execute(
            "INSERT INTO held (job_id, leased, since_ms) VALUES (?1, 1, ?2)
             ON CONFLICT (job_id) DO UPDATE SET leased = 1",
            params![id, now_ms as i64],
        )?;
        Ok(())
    }

    /// Every held job, oldest first.
    pub fn held(&self) -> Result<Vec<Held>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT job_id, leased FROM held ORDER BY since_ms, job_id")?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Held {
                    id: r.get(0)?,
                    leased: r.get::<_, i64>(1)? == 1,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The hub no longer leases `id` to this agent: stop renewing, keep the result.
    pub fn unlease(&self, id: &str) -> Result<()> {
        self.conn()
            .execute("UPDATE held SET leased = 0 WHERE job_id = ?1", [id])?;
        Ok(())
    }

    /// The hub has the result of `id` (or will never take it): forget it.
    pub fn forget(&self, id: &str) -> Result<()> {
        self.conn()
            .execute("DELETE FROM held WHERE job_id = ?1", [id])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    // Held jobs survive reopening; unlease and forget change only their job.
    #[test]
    fn survives_reopen() {
        let dir = std::env::temp_dir().join(format!("ehr-ledger-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("link.sqlite");
        let l = super::Ledger::open(&p).unwrap();
        l.hold("J1", 1).unwrap();
        l.hold("J2", 2).unwrap();
        l.unlease("J1").unwrap();
        drop(l);
        let l = super::Ledger::open(&p).unwrap();
        let held = l.held().unwrap();
        assert_eq!((held[0].id.as_str(), held[0].leased), ("J1", false));
        l.hold("J1", 3).unwrap();
        l.forget("J2").unwrap();
        assert_eq!(
            l.held().unwrap(),
            vec![super::Held {
                id: "J1".into(),
                leased: true
            }]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
