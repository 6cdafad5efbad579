//! The alert store the hub runs with: beside its hub store, SQLite or PostgreSQL.

use super::delivery::Delivery;
use super::model::{Alert, AlertSettings};
use super::store::{AlertStore, PgAlerts, SqliteAlerts};
use crate::hub::store::StoreError;

/// Either backend.
pub enum AnyAlerts {
    /// The hub's SQLite file.
    Sqlite(SqliteAlerts),
    /// The shared PostgreSQL database.
    Postgres(PgAlerts),
}

impl AnyAlerts {
    /// The alerts of a hub whose home is `home`, in `postgres` when its stores are there.
    pub async fn open(
        home: &std::path::Path,
        postgres: Option<&str>,
    ) -> Result<AnyAlerts, StoreError> {
        Ok(match postgres {
            Some(c) => AnyAlerts::Postgres(PgAlerts::connect(c).await?),
            None => AnyAlerts::Sqlite(SqliteAlerts::open(&home.join("hub.sqlite"))?),
        })
    }
}

impl AlertStore for AnyAlerts {
    async fn open_alerts(&self) -> Result<Vec<Alert>, StoreError> {
        match self {
            AnyAlerts::Sqlite(s) => s.open_alerts().await,
            AnyAlerts::Postgres(s) => s.open_alerts().await,
        }
    }
    async fn insert_open(&self, a: &Alert) -> Result<bool, StoreError> {
        match self {
            AnyAlerts::Sqlite(s) => s.insert_open(a).await,
            AnyAlerts::Postgres(s) => s.insert_open(a).await,
        }
    }
    async fn update(&self, a: &Alert) -> Result<(), StoreError> {
        match self {
            AnyAlerts::Sqlite(s) => s.update(a).await,
            AnyAlerts::Postgres(s) => s.update(a).await,
        }
    }
    async fn alerts(&self, resolved: bool) -> Result<Vec<Alert>, StoreError> {
        match self {
            AnyAlerts::Sqlite(s) => s.alerts(resolved).await,
            AnyAlerts::Postgres(s) => s.alerts(resolved).await,
        }
    }
    async fn alert(&self, id: &str) -> Result<Alert, StoreError> {
        match self {
            AnyAlerts::Sqlite(s) => s.alert(id).await,
            AnyAlerts::Postgres(s) => s.alert(id).await,
        }
    }
    async fn push_delivery(&self, d: &Delivery) -> Result<(), StoreError> {
        match self {
            AnyAlerts::Sqlite(s) => s.push_delivery(d).await,
            AnyAlerts::Postgres(s) => s.push_delivery(d).await,
        }
    }
    async fn due_deliveries(&self, now_ms: u64) -> Result<Vec<Delivery>, StoreError> {
        match self {
            AnyAlerts::Sqlite(s) => s.due_deliveries(now_ms).await,
            AnyAlerts::Postgres(s) => s.due_deliveries(now_ms).await,
        }
    }
    async fn save_delivery(&self, d: &Delivery) -> Result<(), StoreError> {
        match self {
            AnyAlerts::Sqlite(s) => s.save_delivery(d).await,
            AnyAlerts::Postgres(s) => s.save_delivery(d).await,
        }
    }
    async fn settings(&self) -> Result<AlertSettings, StoreError> {
        match self {
            AnyAlerts::Sqlite(s) => s.settings().await,
            AnyAlerts::Postgres(s) => s.settings().await,
        }
    }
    async fn save_settings(&self, st: &AlertSettings) -> Result<(), StoreError> {
        match self {
            AnyAlerts::Sqlite(s) => s.save_settings(st).await,
            AnyAlerts::Postgres(s) => s.save_settings(st).await,
        }
    }
}
