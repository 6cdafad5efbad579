//! The link of a running agent: started at once when the home is paired, or as soon as it
//! is (`ehr-host pair` run while an unpaired agent runs), without a restart.

use super::runner::{start, LinkOptions, LinkParts, RunningLink};
use crate::jobs::Queue;
use crate::status::agent::LinkState;
use anyhow::Result;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

/// How often an unpaired agent looks for a pairing.
const LOOK_EVERY: Duration = Duration::from_secs(2);

/// A running agent's link, present or awaited.
pub struct AgentLink<Q> {
    link: Arc<Mutex<Option<RunningLink<Q>>>>,
    waiter: Option<JoinHandle<()>>,
}

impl<Q> Clone for LinkParts<Q> {
    fn clone(&self) -> Self {
        LinkParts {
            home: self.home.clone(),
            queue: self.queue.clone(),
            sealer: self.sealer.clone(),
            agent: self.agent.clone(),
            settled: self.settled.clone(),
            shutdown: self.shutdown.clone(),
        }
    }
}

/// Starts the link when the home is paired, else waits for a pairing in the background.
pub fn attach<Q: Queue + 'static>(
    parts: LinkParts<Q>,
    options: LinkOptions,
) -> Result<AgentLink<Q>> {
    if let Some(pairing) = super::pairing::load(&parts.home)? {
        let link = start(parts, pairing, options)?;
        return Ok(AgentLink {
            link: Arc::new(Mutex::new(Some(link))),
            waiter: None,
        });
    }
    let slot = Arc::new(Mutex::new(None));
    let filled = slot.clone();
    let waiter = tokio::spawn(async move {
        loop {
            not_paired(&parts.home, &options.version);
            tokio::select! {
                _ = tokio::time::sleep(LOOK_EVERY) => {}
                _ = parts.shutdown.cancelled() => return,
            }
            match super::pairing::load(&parts.home) {
                Ok(Some(pairing)) => {
                    match start(parts.clone(), pairing, options.clone()) {
                        Ok(link) => *filled.lock().await = Some(link),
                        Err(e) => tracing::error!("cannot start the link to the hub: {e:#}"),
                    }
                    return;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!("{e:#}"),
            }
        }
    });
    Ok(AgentLink {
        link: slot,
        waiter: Some(waiter),
    })
}

/// Tells `ehr-host status` that the agent runs, unpaired (rewritten while it waits, so
/// the file's age shows the agent is alive).
fn not_paired(home: &crate::home::Home, version: &str) {
    let report = crate::status::agent::LinkReport {
        pid: std::process::id(),
        written_ms: crate::jobs::Clock::now_ms(&crate::jobs::SystemClock),
        heartbeat_seconds: LOOK_EVERY.as_secs() as u32,
        version: version.to_string(),
        hub: String::new(),
        agent_id: String::new(),
        practice_id: String::new(),
        practice_name: String::new(),
        link: LinkState::NotPaired,
        last_heartbeat_ms: None,
        adapters: vec![],
        queue: Default::default(),
    };
    let text = serde_json::to_string_pretty(&report).expect("a report serialises");
    if let Err(e) = crate::fsutil::write_atomic(&super::runner::status_path(home), text.as_bytes())
    {
        tracing::warn!("cannot write the link status: {e:#}");
    }
}

impl<Q: Queue + 'static> AgentLink<Q> {
    /// The link's state, when the agent is paired.
    pub async fn state(&self) -> Option<LinkState> {
        self.link.lock().await.as_ref().map(|l| l.state())
    }

    /// Stops the link, or stops waiting for a pairing.
    pub async fn stop(self) {
        if let Some(w) = self.waiter {
            w.abort();
            let _ = w.await;
        }
        if let Some(link) = self.link.lock().await.take() {
            link.stop().await;
        }
    }
}
