//! Stored JSON values (settings, heartbeats) read back typed. A value that cannot be
//! read is a storage error naming the record, never a silent default.

use super::{HubSettings, PracticeSettings, StoreError};
use crate::link::protocol::Heartbeat;

/// A practice's stored settings.
pub fn decode_settings(practice: &str, text: &str) -> Result<PracticeSettings, StoreError> {
    serde_json::from_str(text).map_err(|e| {
        StoreError::Storage(format!(
            "the stored settings of practice `{practice}` cannot be read: {e}"
        ))
    })
}

/// An agent's stored heartbeat, if it sent one.
pub fn decode_heartbeat(agent: &str, text: Option<&str>) -> Result<Option<Heartbeat>, StoreError> {
    text.map(|t| {
        serde_json::from_str(t).map_err(|e| {
            StoreError::Storage(format!(
                "the stored heartbeat of agent `{agent}` cannot be read: {e}"
            ))
        })
    })
    .transpose()
}

/// The hub's stored settings; the defaults when none were saved.
pub fn decode_hub_settings(text: Option<&str>) -> Result<HubSettings, StoreError> {
    match text {
        None => Ok(HubSettings::default()),
        Some(t) => serde_json::from_str(t).map_err(|e| {
            StoreError::Storage(format!("the stored hub settings cannot be read: {e}"))
        }),
    }
}
