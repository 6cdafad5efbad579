//! The hub's own schedule sync, for the cloud EHRs it writes itself: for every practice
//! whose settings name hub EHRs (`hub schedule --hub-ehrs revolution`), the same loop as
//! an agent's ([`crate::schedule::sync::runner`]) with an outbox per practice in
//! `<hub home>/schedule/`, delivering straight into the hub's store. Practices and
//! settings are looked up again every few seconds, so a new setting needs no restart.
//! Each practice's schedule is read with its own account where it has one
//! ([`PracticeEhrs`]), as its jobs are written.

use super::practice_ehrs::PracticeEhrs;
use super::state::Hub;
use super::store::HubStore;
use crate::jobs::Queue;
use crate::link::protocol::{ScheduleBatch, ScheduleDirective};
use crate::runtime::LoadedAdapter;
use crate::schedule::sync::{runner, Outbox, SyncSink};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the practices' settings are looked up again.
const LOOK_EVERY: Duration = Duration::from_secs(3);

/// One practice's sync on the hub.
struct HubSink<Q, S> {
    hub: Arc<Hub<Q, S>>,
    ehrs: Arc<PracticeEhrs>,
    practice: String,
    cloud: Vec<String>,
    directive: Arc<Mutex<Option<ScheduleDirective>>>,
}

impl<Q: Queue + 'static, S: HubStore> SyncSink for HubSink<Q, S> {
    fn directive(&self) -> Option<ScheduleDirective> {
        self.directive
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn adapters(&self) -> Vec<(String, Arc<LoadedAdapter>)> {
        let Some(d) = self.directive() else {
            return Vec::new();
        };
        d.settings
            .hub_ehrs
            .iter()
            .filter(|id| self.cloud.contains(id))
            .filter_map(|id| match self.ehrs.adapter_for(&self.practice, id)? {
                Ok(a) => Some((id.clone(), a)),
                Err(e) => {
                    tracing::warn!(practice = %self.practice, ehr = %id, "schedule sync skipped: {e}");
                    None
                }
            })
            .collect()
    }

    fn deliver(&self, batch: ScheduleBatch) -> impl Future<Output = Result<u64, String>> + Send {
        let (hub, practice) = (self.hub.clone(), self.practice.clone());
        async move {
            let source = format!("hub:{}", batch.source);
            let r = hub
                .store
                .apply_schedule(&practice, &source, &batch, hub.now())
                .await
                .map_err(|e| e.to_string())?;
            super::schedule::observe(&practice, &batch, &r);
            Ok(r.applied_through)
        }
    }
}

/// Runs the hub's schedule sync for the `cloud` EHRs until `shutdown`.
pub async fn run<Q: Queue + 'static, S: HubStore>(
    hub: Arc<Hub<Q, S>>,
    ehrs: Arc<PracticeEhrs>,
    cloud: Vec<String>,
    dir: PathBuf,
    shutdown: CancellationToken,
) {
    let mut running: BTreeMap<String, Arc<Mutex<Option<ScheduleDirective>>>> = BTreeMap::new();
    loop {
        match hub.store.practices().await {
            Ok(list) => {
                for p in list {
                    let d = super::schedule::directive(&p.settings);
                    if let Some(held) = running.get(&p.id) {
                        *held.lock().unwrap_or_else(|e| e.into_inner()) = Some(d);
                        continue;
                    }
                    if d.settings.hub_ehrs.iter().all(|e| !cloud.contains(e)) {
                        continue;
                    }
                    match start(&hub, &ehrs, &cloud, &dir, &p.id, d, &shutdown) {
                        Ok(held) => {
                            running.insert(p.id.clone(), held);
                        }
                        Err(e) => {
                            tracing::error!(practice = %p.id, "cannot start the hub's schedule sync: {e:#}")
                        }
                    }
                }
            }
            Err(e) => tracing::warn!("hub schedule sync: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(LOOK_EVERY) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

fn start<Q: Queue + 'static, S: HubStore>(
    hub: &Arc<Hub<Q, S>>,
    ehrs: &Arc<PracticeEhrs>,
    cloud: &[String],
    dir: &std::path::Path,
    practice: &str,
    d: ScheduleDirective,
    shutdown: &CancellationToken,
) -> anyhow::Result<Arc<Mutex<Option<ScheduleDirective>>>> {
    std::fs::create_dir_all(dir)?;
    let outbox = Arc::new(Outbox::open(&dir.join(format!("{practice}.sqlite")))?);
    let held = Arc::new(Mutex::new(Some(d)));
    let sink = HubSink {
        hub: hub.clone(),
        ehrs: ehrs.clone(),
        practice: practice.to_string(),
        cloud: cloud.to_vec(),
        directive: held.clone(),
    };
    tokio::spawn(runner::run(sink, outbox, shutdown.clone()));
    Ok(held)
}
