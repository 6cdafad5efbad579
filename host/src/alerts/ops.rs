//! What an operator does with alerts, shared by the admin API and the CLI.

use super::model::{Acknowledged, Alert, AlertSettings};
use super::store::AlertStore;
use crate::hub::store::StoreError;
use serde::Serialize;

/// An alert as listed: with whether it needs a person now.
#[derive(Debug, Clone, Serialize)]
pub struct AlertView {
    /// The alert.
    #[serde(flatten)]
    pub alert: Alert,
    /// Open and not dismissed, or worse since it was dismissed.
    pub needs_attention: bool,
}

/// Alerts, newest first: open ones, or all when `all`.
pub async fn list<A: AlertStore>(
    store: &A,
    all: bool,
    now_ms: u64,
) -> Result<Vec<AlertView>, StoreError> {
    Ok(store
        .alerts(all)
        .await?
        .into_iter()
        .map(|alert| AlertView {
            needs_attention: alert.needs_attention(now_ms),
            alert,
        })
        .collect())
}

fn seen_now(a: &Alert, now_ms: u64) -> Acknowledged {
    Acknowledged {
        at_ms: now_ms,
        severity: a.severity,
        count: a.count,
    }
}

/// Acknowledges alert `id` as it is now: it shows again only if it gets worse.
pub async fn ack<A: AlertStore>(store: &A, id: &str, now_ms: u64) -> Result<Alert, StoreError> {
    let mut a = store.alert(id).await?;
    a.acknowledged = Some(seen_now(&a, now_ms));
    store.update(&a).await?;
    Ok(a)
}

/// Silences alert `id` until `until_ms`: hidden until then unless it gets worse.
pub async fn silence<A: AlertStore>(
    store: &A,
    id: &str,
    until_ms: u64,
    now_ms: u64,
) -> Result<Alert, StoreError> {
    let mut a = store.alert(id).await?;
    a.silenced_until_ms = Some(until_ms);
    a.silenced_at = Some(seen_now(&a, now_ms));
    store.update(&a).await?;
    Ok(a)
}

/// The settings as shown: webhook secrets replaced, so reading them never leaks one.
pub fn redacted(mut s: AlertSettings) -> AlertSettings {
    for w in &mut s.webhooks {
        w.secret = "[redacted]".into();
    }
    s
}
