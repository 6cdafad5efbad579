//! Where alerts, their pending webhook deliveries and the alert settings are kept: in
//! the hub's own database (the SQLite file of a single hub, or the PostgreSQL database
//! instances share), in tables of their own. One open alert per incident is a unique
//! index, so two hub instances never open the same incident twice. Both backends pass
//! one suite ([`conformance`]).

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod postgres;
mod sqlite;

pub use postgres::PgAlerts;
pub use sqlite::SqliteAlerts;

use super::delivery::Delivery;
use super::model::{Alert, AlertSettings};
use crate::hub::store::StoreError;
use std::future::Future;

/// The tables, the same on both backends (BIGINT is INTEGER in SQLite).
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS hub_alerts (id TEXT PRIMARY KEY, alert_key TEXT NOT NULL,
    open INTEGER NOT NULL, opened_ms BIGINT NOT NULL, body TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS hub_alerts_one_open ON hub_alerts (alert_key) WHERE open = 1;
CREATE TABLE IF NOT EXISTS hub_alert_outbox (id TEXT PRIMARY KEY, next_ms BIGINT NOT NULL,
    done INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hub_alert_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
";

/// Most alerts a listing returns (newest first).
pub const LIST_LIMIT: i64 = 500;

/// The alert store. Every method is atomic.
pub trait AlertStore: Send + Sync + 'static {
    /// Every open alert.
    fn open_alerts(&self) -> impl Future<Output = Result<Vec<Alert>, StoreError>> + Send;

    /// Adds a newly opened alert; false when an open alert with its key exists already
    /// (another instance opened the incident first).
    fn insert_open(&self, a: &Alert) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Saves a changed alert (by id).
    fn update(&self, a: &Alert) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Alerts, newest first; resolved ones too when `resolved`.
    fn alerts(&self, resolved: bool)
        -> impl Future<Output = Result<Vec<Alert>, StoreError>> + Send;

    /// One alert.
    fn alert(&self, id: &str) -> impl Future<Output = Result<Alert, StoreError>> + Send;

    /// Queues a webhook delivery.
    fn push_delivery(&self, d: &Delivery) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Deliveries not done and due at `now_ms`, oldest first.
    fn due_deliveries(
        &self,
        now_ms: u64,
    ) -> impl Future<Output = Result<Vec<Delivery>, StoreError>> + Send;

    /// Saves a delivery's progress (done, or its next try).
    fn save_delivery(&self, d: &Delivery) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The settings (the defaults until saved).
    fn settings(&self) -> impl Future<Output = Result<AlertSettings, StoreError>> + Send;

    /// Saves the settings.
    fn save_settings(
        &self,
        s: &AlertSettings,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// A stored JSON body that does not read back.
pub(crate) fn unreadable(what: &str, e: serde_json::Error) -> StoreError {
    StoreError::Storage(format!("a stored {what} cannot be read: {e}"))
}

pub(crate) fn not_found(id: &str) -> StoreError {
    StoreError::NotFound {
        what: "alert",
        id: id.to_string(),
    }
}
