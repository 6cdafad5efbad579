//! The agent's schedule sync: its adapters are the practice's local EHRs; the settings
//! come from the hub with each heartbeat's answer; changes go to the hub on the link
//! (`POST /link/v1/schedule`) from `<home>/schedule.sqlite`, kept until acknowledged.

use super::outbox::Outbox;
use super::runner::{self, SyncSink};
use crate::agent::Agent;
use crate::home::Home;
use crate::link::client::LinkClient;
use crate::link::protocol::{ScheduleBatch, ScheduleDirective};
use crate::runtime::LoadedAdapter;
use anyhow::Result;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// The agent's outbox file.
pub fn outbox_path(home: &Home) -> std::path::PathBuf {
    home.root().join("schedule.sqlite")
}

/// What the agent's sync works with, from its running link.
pub struct AgentSync {
    /// The agent's home (the outbox lives there).
    pub home: Home,
    /// The adapters it serves.
    pub agent: Arc<Agent>,
    /// The practice's settings, from the last heartbeat's answer.
    pub directive: Arc<Mutex<Option<ScheduleDirective>>>,
    /// The link's client now (it changes when the agent is paired again).
    pub client: Arc<dyn Fn() -> Arc<LinkClient> + Send + Sync>,
    /// Stops the loop.
    pub shutdown: CancellationToken,
}

impl SyncSink for AgentSync {
    fn directive(&self) -> Option<ScheduleDirective> {
        self.directive
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn adapters(&self) -> Vec<(String, Arc<LoadedAdapter>)> {
        self.agent
            .serving()
            .into_keys()
            .filter_map(|id| self.agent.slot(&id).map(|s| (id, s.current())))
            .collect()
    }

    fn deliver(&self, batch: ScheduleBatch) -> impl Future<Output = Result<u64, String>> + Send {
        let client = (self.client)();
        async move {
            client
                .schedule(&batch)
                .await
                .map(|ack| ack.applied_through)
                .map_err(|e| e.to_string())
        }
    }
}

/// Opens the outbox and returns the loop to spawn.
pub fn start(sync: AgentSync) -> Result<impl Future<Output = ()>> {
    let outbox = Arc::new(Outbox::open(&outbox_path(&sync.home))?);
    let shutdown = sync.shutdown.clone();
    Ok(runner::run(sync, outbox, shutdown))
}
