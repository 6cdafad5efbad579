//! The hub's alert loop: every second, evaluate the rules, reconcile, deliver webhooks.

use super::engine;
use super::observe;
use super::rules::{self, Inputs};
use super::store::AlertStore;
use super::AnyAlerts;
use crate::hub::state::Hub;
use crate::hub::store::HubStore;
use crate::jobs::{Queue, Status};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the rules run.
pub const TICK: Duration = Duration::from_secs(1);

/// One pass: the rules on what is known now, the alerts reconciled, due deliveries tried.
pub async fn tick<Q: Queue, S: HubStore>(
    hub: &Hub<Q, S>,
    alerts: &AnyAlerts,
    client: &reqwest::Client,
) -> anyhow::Result<()> {
    let settings = alerts.settings().await?;
    observe::global().set_quiet(settings.server_error_quiet_seconds * 1000);
    let now = hub.now();
    let claimed = hub.queue.list(Some(Status::Claimed)).await?;
    let agents = hub.store.agents(None).await?;
    let seen = observe::global().snapshot();
    let conditions = rules::evaluate(&Inputs {
        seen: &seen,
        claimed: &claimed,
        agents: &agents,
        settings: &settings,
        now_ms: now,
    });
    engine::reconcile(alerts, &settings, conditions, now).await?;
    engine::deliver_due(alerts, client, &settings, now).await?;
    Ok(())
}

/// Runs [`tick`] until `shutdown`; a failed pass is logged and the next one tries again.
pub async fn run<Q: Queue, S: HubStore>(
    hub: Arc<Hub<Q, S>>,
    alerts: Arc<AnyAlerts>,
    shutdown: CancellationToken,
) {
    let client = reqwest::Client::new();
    let mut every = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = shutdown.cancelled() => return,
        }
        if let Err(e) = tick(&hub, &alerts, &client).await {
            tracing::warn!("alerts: {e:#}");
        }
    }
}
