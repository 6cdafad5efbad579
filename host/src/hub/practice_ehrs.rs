//! Each practice's own cloud-EHR account on the hub. A hub serves many practices, and
//! each practice has its own RevolutionEHR or Eyefinity account: a job must be written
//! with the account of the practice it belongs to, never with another's.
//!
//! The adapters are installed once, in the hub's home. A practice's own configuration is
//! `<hub home>/practices/<practice id>.toml`, with the same `[adapters.<id>]` sections
//! (origins granted, settings, credentials) as an agent's `config.toml`. A job of a
//! practice that has one is written with it; a job of a practice that has none is written
//! with the hub's own `config.toml` (a hub for one practice, or one account shared on
//! purpose). The file is read again when it changes, so adding a practice's account needs
//! no restart; a file that cannot be read fails the job with the file and the reason,
//! and never falls back to the shared account.

use crate::agent::Agent;
use crate::config::Config;
use crate::jobs::worker::Adapters;
use crate::runtime::bindings::latest::{AdapterError, EncounterSnapshot, WriteResult};
use crate::runtime::{CallError, JobControl, LoadedAdapter};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// The file holding `practice`'s own EHR configuration on the hub at `home`.
pub fn config_path(home: &Path, practice: &str) -> PathBuf {
    home.join("practices").join(format!("{practice}.toml"))
}

/// One practice's configured version of one adapter, with what it was made from.
struct Configured {
    modified: SystemTime,
    hash: String,
    adapter: Arc<LoadedAdapter>,
}

/// The hub's workers' adapter source: the agent serving the hub's installed adapters,
/// configured per practice where the practice has its own account.
pub struct PracticeEhrs {
    agent: Arc<Agent>,
    home: PathBuf,
    configured: Mutex<HashMap<(String, String), Configured>>,
}

impl PracticeEhrs {
    /// Serves `agent`'s adapters with the practice configurations under `home`.
    pub fn new(agent: Arc<Agent>, home: PathBuf) -> PracticeEhrs {
        PracticeEhrs {
            agent,
            home,
            configured: Mutex::new(HashMap::new()),
        }
    }

    /// The version serving `ehr`, set up with `practice`'s own account when it has one
    /// (for reading its schedule); `None` when `ehr` is not installed.
    pub fn adapter_for(
        &self,
        practice: &str,
        ehr: &str,
    ) -> Option<Result<Arc<LoadedAdapter>, CallError>> {
        let serving = self.agent.slot(ehr)?.current();
        Some(
            self.for_practice(practice, &serving)
                .map(|own| own.unwrap_or(serving)),
        )
    }

    /// `serving` set up with `practice`'s own configuration, if the practice has a file;
    /// `Ok(None)` when it has none (the hub's own configuration applies).
    fn for_practice(
        &self,
        practice: &str,
        serving: &Arc<LoadedAdapter>,
    ) -> Result<Option<Arc<LoadedAdapter>>, CallError> {
        let path = config_path(&self.home, practice);
        let modified = match std::fs::metadata(&path).and_then(|m| m.modified()) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(misconfigured(&path, &e.to_string())),
        };
        let id = serving.manifest.id.clone();
        let key = (practice.to_string(), id.clone());
        let mut cache = self.configured.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = cache.get(&key) {
            if c.modified == modified && c.hash == serving.hash {
                return Ok(Some(c.adapter.clone()));
            }
        }
        let config = Config::load(&path).map_err(|e| misconfigured(&path, &format!("{e:#}")))?;
        let Some(adapter_config) = config.adapters.get(&id) else {
            return Err(misconfigured(
                &path,
                &format!("it has no [adapters.{id}] section for this practice's {id} account"),
            ));
        };
        let adapter = Arc::new(serving.configured(adapter_config));
        cache.insert(
            key,
            Configured {
                modified,
                hash: serving.hash.clone(),
                adapter: adapter.clone(),
            },
        );
        Ok(Some(adapter))
    }
}

/// The job's failure when a practice's configuration cannot be used: it needs the
/// operator, and nothing was sent to any EHR.
fn misconfigured(path: &Path, why: &str) -> CallError {
    CallError::Adapter(AdapterError::Misconfigured(format!(
        "the practice's EHR configuration {} cannot be used: {why}. Fix the file (the same [adapters.<id>] sections as config.toml); nothing was sent to the EHR",
        path.display()
    )))
}

impl Adapters for PracticeEhrs {
    async fn write(
        &self,
        ehr: &str,
        snapshot: EncounterSnapshot,
        control: Arc<JobControl>,
    ) -> Option<(Arc<LoadedAdapter>, Result<WriteResult, CallError>)> {
        let slot = self.agent.slot(ehr)?;
        let practice = control.scope().map(str::to_string);
        Some(
            slot.write_job_configured(snapshot, control, |serving| match &practice {
                Some(p) => Ok(self.for_practice(p, serving)?.unwrap_or(serving.clone())),
                None => Ok(serving.clone()),
            })
            .await,
        )
    }
}
