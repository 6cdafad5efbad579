//! One alert per incident: the conditions found at each tick are reconciled with the
//! open alerts. A new condition opens an alert (once: a unique index keeps a second
//! instance from opening it again); a condition that persists updates it (a raised
//! severity is delivered as `escalated`; a raised count only shows it again to those who
//! dismissed it); an alert whose condition stopped holding is resolved, once. Retries of
//! a failing job feed the same incident, never a new one.

use super::delivery::{self, Delivery};
use super::model::{Alert, AlertEvent, AlertSettings, Condition};
use super::store::AlertStore;
use crate::hub::store::StoreError;
use std::collections::BTreeMap;

/// Reconciles `conditions` with the open alerts at `now_ms`; queues a delivery of each
/// event to every webhook in `settings`. The events, in order.
pub async fn reconcile<A: AlertStore>(
    store: &A,
    settings: &AlertSettings,
    conditions: Vec<Condition>,
    now_ms: u64,
) -> Result<Vec<(AlertEvent, Alert)>, StoreError> {
    let mut open: BTreeMap<String, Alert> = store
        .open_alerts()
        .await?
        .into_iter()
        .map(|a| (a.key(), a))
        .collect();
    let mut events = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for c in conditions {
        let key = c.key();
        if !seen.insert(key.clone()) {
            continue;
        }
        match open.remove(&key) {
            None => {
                let a = opened(&c, now_ms);
                if store.insert_open(&a).await? {
                    events.push((AlertEvent::Opened, a));
                }
            }
            Some(mut a) => {
                let escalated = c.severity > a.severity;
                let changed = escalated || c.count > a.count || c.summary != a.summary;
                if !changed {
                    continue;
                }
                a.severity = a.severity.max(c.severity);
                a.count = a.count.max(c.count);
                a.summary = c.summary;
                a.updated_ms = now_ms;
                store.update(&a).await?;
                if escalated {
                    events.push((AlertEvent::Escalated, a));
                }
            }
        }
    }
    for (_, mut a) in open {
        a.resolved_ms = Some(now_ms);
        a.updated_ms = now_ms;
        store.update(&a).await?;
        events.push((AlertEvent::Resolved, a));
    }
    for (event, a) in &events {
        tracing::warn!(alert = %a.id, kind = a.kind.as_str(), subject = %a.subject, "alert {event:?}: {}", a.summary);
        for hook in &settings.webhooks {
            store
                .push_delivery(&Delivery::new(&hook.url, *event, a, now_ms))
                .await?;
        }
    }
    Ok(events)
}

fn opened(c: &Condition, now_ms: u64) -> Alert {
    Alert {
        id: super::new_id(),
        kind: c.kind,
        subject: c.subject.clone(),
        severity: c.severity,
        count: c.count,
        summary: c.summary.clone(),
        opened_ms: now_ms,
        updated_ms: now_ms,
        resolved_ms: None,
        acknowledged: None,
        silenced_until_ms: None,
        silenced_at: None,
    }
}

/// Tries every due delivery once; records each outcome. How many were delivered.
pub async fn deliver_due<A: AlertStore>(
    store: &A,
    client: &reqwest::Client,
    settings: &AlertSettings,
    now_ms: u64,
) -> Result<usize, StoreError> {
    let mut delivered = 0;
    for mut d in store.due_deliveries(now_ms).await? {
        let Some(hook) = settings.webhooks.iter().find(|w| w.url == d.url) else {
            d.gave_up = true;
            d.last_error = Some("the webhook was removed from the settings".into());
            store.save_delivery(&d).await?;
            continue;
        };
        match delivery::send(client, hook, &d).await {
            Ok(()) => {
                d.attempts += 1;
                d.delivered_ms = Some(now_ms);
                delivered += 1;
            }
            Err(e) => {
                d.failed(e, now_ms, settings.webhook_attempts.max(1));
                if d.gave_up {
                    tracing::error!(delivery = %d.id, url = %d.url, "alert webhook given up after {} tries: {}", d.attempts, d.last_error.as_deref().unwrap_or(""));
                }
            }
        }
        store.save_delivery(&d).await?;
    }
    Ok(delivered)
}
