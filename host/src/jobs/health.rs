//! Whether the job store is reachable, said once when it goes and once when it comes
//! back — never once per failed operation (a loop retrying every 200 ms would otherwise
//! write thousands of identical lines and still not say what is going on).

use serde::Serialize;
use std::sync::Mutex;
use std::time::SystemTime;

/// The store's state, as the agent's status shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum StoreState {
    /// Operations succeed.
    Available,
    /// Operations fail; the agent keeps retrying.
    Unavailable {
        /// Since when (RFC 3339).
        since: String,
        /// The last error.
        error: String,
    },
}

/// Tracks the store's state across operations.
#[derive(Debug)]
pub struct StoreHealth {
    state: Mutex<StoreState>,
    what: String,
    status_file: Option<std::path::PathBuf>,
}

impl StoreHealth {
    /// A tracker for the store described as `what` (`the job store /path/jobs.sqlite`).
    pub fn new(what: impl Into<String>) -> StoreHealth {
        StoreHealth {
            state: Mutex::new(StoreState::Available),
            what: what.into(),
            status_file: None,
        }
    }

    /// Also writes the state to `path` (`<home>/store-status.json`) at start and at every
    /// change, for `ehr-host status`.
    pub fn with_status_file(mut self, path: std::path::PathBuf) -> StoreHealth {
        self.status_file = Some(path);
        self.publish(&StoreState::Available);
        self
    }

    fn publish(&self, state: &StoreState) {
        if let Some(path) = &self.status_file {
            let doc =
                serde_json::json!({"pid": std::process::id(), "store": self.what, "health": state});
            if let Err(e) = crate::fsutil::write_atomic(path, doc.to_string().as_bytes()) {
                tracing::debug!("cannot write {}: {e:#}", path.display());
            }
        }
    }

    /// An operation failed with `error`; says so if the store was available.
    pub fn failed(&self, error: &str) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match &mut *st {
            StoreState::Available => {
                tracing::error!(
                    "{} is unavailable: {error}. Jobs wait; nothing is lost. Retrying with backoff until it is back.",
                    self.what
                );
                *st = StoreState::Unavailable {
                    since: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
                    error: error.to_string(),
                };
                self.publish(&st);
            }
            StoreState::Unavailable { error: last, .. } => *last = error.to_string(),
        }
    }

    /// An operation succeeded; says so if the store had been unavailable.
    pub fn ok(&self) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let StoreState::Unavailable { since, .. } = &*st {
            tracing::warn!(
                "{} is back (unavailable since {since}); resuming jobs",
                self.what
            );
            *st = StoreState::Available;
            self.publish(&st);
        }
    }

    /// The state now.
    pub fn state(&self) -> StoreState {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Many failures make one transition, and one success another.
    #[test]
    fn transitions_once() {
        let h = StoreHealth::new("the job store");
        assert_eq!(h.state(), StoreState::Available);
        for i in 0..100 {
            h.failed(&format!("connection closed #{i}"));
        }
        assert!(
            matches!(h.state(), StoreState::Unavailable { ref error, .. } if error == "connection closed #99")
        );
        h.ok();
        h.ok();
        assert_eq!(h.state(), StoreState::Available);
    }

    // The status file follows both transitions (what `ehr-host status` reads).
    #[test]
    fn status_file_follows_the_state() {
        let path = std::env::temp_dir().join(format!(
            "ehr-store-status-{}-{:?}.json",
            std::process::id(),
            std::thread::current().id()
        ));
        let read = || -> serde_json::Value {
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
        };
        let h = StoreHealth::new("the job store").with_status_file(path.clone());
        assert_eq!(read()["health"]["state"], "available");
        h.failed("connection refused");
        assert_eq!(read()["health"]["state"], "unavailable");
        assert_eq!(read()["health"]["error"], "connection refused");
        h.ok();
        assert_eq!(read()["health"]["state"], "available");
        let _ = std::fs::remove_file(&path);
    }
}
