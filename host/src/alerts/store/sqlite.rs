//! Alerts in the hub's SQLite file (a connection of their own, WAL like the hub store).

use super::{not_found, unreadable, AlertStore, LIST_LIMIT, SCHEMA};
use crate::alerts::delivery::Delivery;
use crate::alerts::model::{Alert, AlertSettings};
use crate::hub::store::StoreError;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::Mutex;

/// Alerts in a SQLite file.
pub struct SqliteAlerts {
    conn: Mutex<Connection>,
}

fn storage(e: rusqlite::Error) -> StoreError {
    StoreError::Storage(e.to_string())
}

impl SqliteAlerts {
    /// Opens (creating the tables if needed) the alerts in `path`.
    pub fn open(path: &Path) -> Result<SqliteAlerts, StoreError> {
        let conn = Connection::open(path)
            .map_err(|e| StoreError::Storage(format!("cannot open {}: {e}", path.display())))?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        )
        .map_err(storage)?;
        conn.execute_batch(SCHEMA).map_err(storage)?;
        Ok(SqliteAlerts {
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        f(&self.conn.lock().unwrap_or_else(|p| p.into_inner())).map_err(storage)
    }

    fn bodies(&self, sql: &str, args: impl rusqlite::Params) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            let mut st = c.prepare(sql)?;
            let rows = st.query_map(args, |r| r.get::<_, String>(0))?;
            rows.collect()
        })
    }
}

fn alerts(bodies: Vec<String>) -> Result<Vec<Alert>, StoreError> {
    bodies
        .iter()
        .map(|b| serde_json::from_str(b).map_err(|e| unreadable("alert", e)))
        .collect()
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("alert values serialise")
}

impl AlertStore for SqliteAlerts {
    async fn open_alerts(&self) -> Result<Vec<Alert>, StoreError> {
        alerts(self.bodies(
            "SELECT body FROM hub_alerts WHERE open = 1 ORDER BY opened_ms",
            [],
        )?)
    }

    async fn insert_open(&self, a: &Alert) -> Result<bool, StoreError> {
        let n = self.with(|c| {
            c.execute(
                "INSERT OR IGNORE INTO hub_alerts (id, alert_key, open, opened_ms, body) VALUES (?1, ?2, 1, ?3, ?4)",
                params![a.id, a.key(), a.opened_ms as i64, json(a)],
            )
        })?;
        Ok(n == 1)
    }

    async fn update(&self, a: &Alert) -> Result<(), StoreError> {
        let open = i64::from(a.resolved_ms.is_none());
        let n = self.with(|c| {
            c.execute(
                "UPDATE hub_alerts SET open = ?2, body = ?3 WHERE id = ?1",
                params![a.id, open, json(a)],
            )
        })?;
        if n == 0 {
            return Err(not_found(&a.id));
        }
        Ok(())
    }

    async fn alerts(&self, resolved: bool) -> Result<Vec<Alert>, StoreError> {
        let sql = if resolved {
            "SELECT body FROM hub_alerts ORDER BY opened_ms DESC LIMIT ?1"
        } else {
            "SELECT body FROM hub_alerts WHERE open = 1 ORDER BY opened_ms DESC LIMIT ?1"
        };
        alerts(self.bodies(sql, [LIST_LIMIT])?)
    }

    async fn alert(&self, id: &str) -> Result<Alert, StoreError> {
        let body = self.with(|c| {
            c.query_row("SELECT body FROM hub_alerts WHERE id = ?1", [id], |r| {
                r.get::<_, String>(0)
            })
            .optional()
        })?;
        let body = body.ok_or_else(|| not_found(id))?;
        serde_json::from_str(&body).map_err(|e| unreadable("alert", e))
    }

    async fn push_delivery(&self, d: &Delivery) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO hub_alert_outbox (id, next_ms, done, body) VALUES (?1, ?2, 0, ?3)",
                params![d.id, d.next_ms as i64, json(d)],
            )
        })?;
        Ok(())
    }

    async fn due_deliveries(&self, now_ms: u64) -> Result<Vec<Delivery>, StoreError> {
        let bodies = self.bodies(
            "SELECT body FROM hub_alert_outbox WHERE done = 0 AND next_ms <= ?1 ORDER BY next_ms LIMIT 100",
            [now_ms as i64],
        )?;
        bodies
            .iter()
            .map(|b| serde_json::from_str(b).map_err(|e| unreadable("delivery", e)))
            .collect()
    }

    async fn save_delivery(&self, d: &Delivery) -> Result<(), StoreError> {
        let done = i64::from(d.finished());
        self.with(|c| {
            c.execute(
                "UPDATE hub_alert_outbox SET next_ms = ?2, done = ?3, body = ?4 WHERE id = ?1",
                params![d.id, d.next_ms as i64, done, json(d)],
            )
        })?;
        Ok(())
    }

    async fn settings(&self) -> Result<AlertSettings, StoreError> {
        let v = self.with(|c| {
            c.query_row(
                "SELECT value FROM hub_alert_settings WHERE name = 'alerts'",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()
        })?;
        match v {
            None => Ok(AlertSettings::default()),
            Some(v) => serde_json::from_str(&v).map_err(|e| unreadable("alert settings", e)),
        }
    }

    async fn save_settings(&self, s: &AlertSettings) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO hub_alert_settings (name, value) VALUES ('alerts', ?1) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                [json(s)],
            )
        })?;
        Ok(())
    }
}
