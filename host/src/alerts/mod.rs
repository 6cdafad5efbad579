//! Alerts, one per incident: opened once, resolved once, never one per retry. The rules
//! ([`rules`]) read what this process observed ([`observe`]) and what the hub's stores
//! hold; the engine ([`engine`]) reconciles the conditions with the open alerts kept in
//! the hub's database ([`store`]) and queues webhook deliveries ([`delivery`]); the
//! operator reads, acknowledges and silences them over the admin API ([`api`]) or
//! `ehr-host hub alerts`. The hub runs it all every second ([`task`]).

pub mod any;
pub mod api;
pub mod delivery;
pub mod engine;
pub mod model;
pub mod observe;
pub mod ops;
pub mod rules;
pub mod store;
pub mod task;

pub use any::AnyAlerts;
pub use model::{Alert, AlertEvent, AlertKind, AlertSettings, Condition, Severity, Webhook};

/// A new random id (alerts, deliveries).
pub(crate) fn new_id() -> String {
    let mut raw = [0u8; 12];
    // Without randomness the time is unique enough for ids; nothing secret rests on them.
    if getrandom::fill(&mut raw).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        raw[..12].copy_from_slice(&t.to_le_bytes()[..12]);
    }
    hex::encode(raw)
}
