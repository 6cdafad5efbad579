//! Alerts in the hub's PostgreSQL database, shared by every hub instance.

use super::{not_found, unreadable, AlertStore, LIST_LIMIT, SCHEMA};
use crate::alerts::delivery::Delivery;
use crate::alerts::model::{Alert, AlertSettings};
use crate::hub::store::pg_connection::{storage, Connection};
use crate::hub::store::StoreError;
use tokio_postgres::Client;

/// Any fixed number: the advisory lock that keeps two instances starting together from
/// creating the tables at once (PostgreSQL's `IF NOT EXISTS` is not safe against that).
const SCHEMA_LOCK: i64 = 7_248_001;

/// Alerts in PostgreSQL.
pub struct PgAlerts {
    conn: Connection,
}

impl PgAlerts {
    /// Connects with `config` (a libpq connection string) and creates the tables.
    pub async fn connect(config: &str) -> Result<PgAlerts, StoreError> {
        Ok(PgAlerts {
            conn: Connection::open(
                config,
                &format!(
                    "SELECT pg_advisory_lock({SCHEMA_LOCK});{SCHEMA}SELECT pg_advisory_unlock({SCHEMA_LOCK});"
                ),
            )
            .await?,
        })
    }

    async fn bodies(
        &self,
        sql: &'static str,
        args: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<String>, StoreError> {
        let args: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = args.to_vec();
        self.conn
            .run(async move |c: &mut Client| {
                let rows = c.query(sql, &args).await.map_err(storage)?;
                Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
            })
            .await
    }

    async fn exec(
        &self,
        sql: &'static str,
        args: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let args: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = args.to_vec();
        self.conn
            .run(async move |c: &mut Client| c.execute(sql, &args).await.map_err(storage))
            .await
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

impl AlertStore for PgAlerts {
    async fn open_alerts(&self) -> Result<Vec<Alert>, StoreError> {
        alerts(
            self.bodies(
                "SELECT body FROM hub_alerts WHERE open = 1 ORDER BY opened_ms",
                &[],
            )
            .await?,
        )
    }

    async fn insert_open(&self, a: &Alert) -> Result<bool, StoreError> {
        let n = self
            .exec(
                "INSERT INTO hub_alerts (id, alert_key, open, opened_ms, body) VALUES ($1, $2, 1, $3, $4) ON CONFLICT DO NOTHING",
                &[&a.id, &a.key(), &(a.opened_ms as i64), &json(a)],
            )
            .await?;
        Ok(n == 1)
    }

    async fn update(&self, a: &Alert) -> Result<(), StoreError> {
        let open = i32::from(a.resolved_ms.is_none());
        let n = self
            .exec(
                "UPDATE hub_alerts SET open = $2, body = $3 WHERE id = $1",
                &[&a.id, &open, &json(a)],
            )
            .await?;
        if n == 0 {
            return Err(not_found(&a.id));
        }
        Ok(())
    }

    async fn alerts(&self, resolved: bool) -> Result<Vec<Alert>, StoreError> {
        let sql = if resolved {
            "SELECT body FROM hub_alerts ORDER BY opened_ms DESC LIMIT $1"
        } else {
            "SELECT body FROM hub_alerts WHERE open = 1 ORDER BY opened_ms DESC LIMIT $1"
        };
        alerts(self.bodies(sql, &[&LIST_LIMIT]).await?)
    }

    async fn alert(&self, id: &str) -> Result<Alert, StoreError> {
        let id_owned = id.to_string();
        let bodies = self
            .bodies("SELECT body FROM hub_alerts WHERE id = $1", &[&id_owned])
            .await?;
        let body = bodies.into_iter().next().ok_or_else(|| not_found(id))?;
        serde_json::from_str(&body).map_err(|e| unreadable("alert", e))
    }

    async fn push_delivery(&self, d: &Delivery) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO hub_alert_outbox (id, next_ms, done, body) VALUES ($1, $2, 0, $3)",
            &[&d.id, &(d.next_ms as i64), &json(d)],
        )
        .await?;
        Ok(())
    }

    async fn due_deliveries(&self, now_ms: u64) -> Result<Vec<Delivery>, StoreError> {
        let bodies = self
            .bodies(
                "SELECT body FROM hub_alert_outbox WHERE done = 0 AND next_ms <= $1 ORDER BY next_ms LIMIT 100",
                &[&(now_ms as i64)],
            )
            .await?;
        bodies
            .iter()
            .map(|b| serde_json::from_str(b).map_err(|e| unreadable("delivery", e)))
            .collect()
    }

    async fn save_delivery(&self, d: &Delivery) -> Result<(), StoreError> {
        let done = i32::from(d.finished());
        self.exec(
            "UPDATE hub_alert_outbox SET next_ms = $2, done = $3, body = $4 WHERE id = $1",
            &[&d.id, &(d.next_ms as i64), &done, &json(d)],
        )
        .await?;
        Ok(())
    }

    async fn settings(&self) -> Result<AlertSettings, StoreError> {
        let v = self
            .bodies(
                "SELECT value FROM hub_alert_settings WHERE name = 'alerts'",
                &[],
            )
            .await?;
        match v.into_iter().next() {
            None => Ok(AlertSettings::default()),
            Some(v) => serde_json::from_str(&v).map_err(|e| unreadable("alert settings", e)),
        }
    }

    async fn save_settings(&self, s: &AlertSettings) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO hub_alert_settings (name, value) VALUES ('alerts', $1) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            &[&json(s)],
        )
        .await?;
        Ok(())
    }
}
