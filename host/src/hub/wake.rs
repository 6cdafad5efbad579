//! Waking held job polls: when a job is queued or retried for a practice, the polls of
//! that practice's agents held by this hub instance look at once instead of at their
//! next check. (Polls held by other instances sharing the store see it at their next
//! check, within a few seconds.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// One wake-up signal per practice.
#[derive(Default)]
pub struct Wake {
    practices: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Wake {
    /// The signal of `practice`, to wait on.
    pub fn signal(&self, practice: &str) -> Arc<Notify> {
        self.practices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(practice.to_string())
            .or_default()
            .clone()
    }

    /// Wakes every poll of `practice` waiting now.
    pub fn practice(&self, practice: &str) {
        if let Some(n) = self
            .practices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(practice)
        {
            n.notify_waiters();
        }
    }

    /// Wakes every waiting poll (leases lapsed: their jobs are due again).
    pub fn all(&self) {
        for n in self
            .practices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
        {
            n.notify_waiters();
        }
    }
}
