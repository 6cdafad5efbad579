//! The behaviour every [`AlertStore`] must show, driven through the engine and the
//! operator's actions: SQLite in this crate's tests, PostgreSQL in
//! `tests/tests/signals_postgres.rs`.

use super::AlertStore;
use crate::alerts::delivery::Delivery;
use crate::alerts::engine::reconcile;
use crate::alerts::model::{AlertEvent, AlertKind, AlertSettings, Condition, Severity, Webhook};
use crate::alerts::ops;

const T0: u64 = 1_800_000_000_000;

fn five_xx(count: u64) -> Condition {
    Condition {
        kind: AlertKind::EhrServerError,
        subject: "revolution".into(),
        severity: if count >= 10 {
            Severity::Critical
        } else {
            Severity::Warning
        },
        count,
        summary: format!("{count} server errors"),
    }
}

fn hooked() -> AlertSettings {
    AlertSettings {
        webhooks: vec![Webhook {
            url: "http://127.0.0.1:9/hook".into(),
            secret: "0123456789abcdef".into(),
        }],
        ..AlertSettings::default()
    }
}

/// Runs every case on a fresh store from `make`.
pub async fn run_all<A: AlertStore, F: std::future::Future<Output = A>>(make: impl Fn() -> F) {
    one_alert_per_incident(&make().await).await;
    dismissed_alerts_return_when_worse(&make().await).await;
    deliveries_and_settings(&make().await).await;
}

// Repeated conditions (a job's retries) keep one alert; it resolves once; the next
// incident of the same key is a new alert.
async fn one_alert_per_incident<A: AlertStore>(s: &A) {
    let st = AlertSettings::default();
    let events = reconcile(s, &st, vec![five_xx(1)], T0).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, AlertEvent::Opened);
    let id = events[0].1.id.clone();
    for n in 2..6 {
        let again = reconcile(s, &st, vec![five_xx(n), five_xx(n)], T0 + n)
            .await
            .unwrap();
        assert!(
            again.is_empty(),
            "a persisting condition opens nothing: {again:?}"
        );
    }
    let open = s.open_alerts().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!((open[0].id.as_str(), open[0].count), (id.as_str(), 5));
    let up = reconcile(s, &st, vec![five_xx(12)], T0 + 10).await.unwrap();
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].0, AlertEvent::Escalated);
    let closed = reconcile(s, &st, vec![], T0 + 20).await.unwrap();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].0, AlertEvent::Resolved);
    assert_eq!(closed[0].1.resolved_ms, Some(T0 + 20));
    assert!(reconcile(s, &st, vec![], T0 + 30).await.unwrap().is_empty());
    assert!(s.open_alerts().await.unwrap().is_empty());
    let next = reconcile(s, &st, vec![five_xx(1)], T0 + 40).await.unwrap();
    assert_eq!(next[0].0, AlertEvent::Opened);
    assert_ne!(next[0].1.id, id);
    let all = s.alerts(true).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(s.alerts(false).await.unwrap().len(), 1);
    // A second opener of the same incident (another hub instance) is refused.
    let mut dup = next[0].1.clone();
    dup.id = "another".into();
    assert!(!s.insert_open(&dup).await.unwrap());
}

// Acknowledged or silenced alerts stay hidden until they get worse.
async fn dismissed_alerts_return_when_worse<A: AlertStore>(s: &A) {
    let st = AlertSettings::default();
    let id = reconcile(s, &st, vec![five_xx(2)], T0).await.unwrap()[0]
        .1
        .id
        .clone();
    let a = ops::ack(s, &id, T0 + 1).await.unwrap();
    assert!(!a.needs_attention(T0 + 1));
    reconcile(s, &st, vec![five_xx(2)], T0 + 2).await.unwrap();
    assert!(!s.alert(&id).await.unwrap().needs_attention(T0 + 2));
    reconcile(s, &st, vec![five_xx(3)], T0 + 3).await.unwrap();
    assert!(s.alert(&id).await.unwrap().needs_attention(T0 + 3));
    let a = ops::silence(s, &id, T0 + 60_000, T0 + 4).await.unwrap();
    assert!(!a.needs_attention(T0 + 5));
    assert!(a.needs_attention(T0 + 60_001), "a silence ends");
    reconcile(s, &st, vec![five_xx(11)], T0 + 6).await.unwrap();
    let listed = ops::list(s, false, T0 + 7).await.unwrap();
    assert!(listed[0].needs_attention, "worse than when silenced");
    assert!(matches!(
        s.alert("nope").await,
        Err(crate::hub::store::StoreError::NotFound { .. })
    ));
}

// Each event is queued once per webhook; a delivery's progress is kept.
async fn deliveries_and_settings<A: AlertStore>(s: &A) {
    assert_eq!(s.settings().await.unwrap(), AlertSettings::default());
    let st = hooked();
    s.save_settings(&st).await.unwrap();
    assert_eq!(s.settings().await.unwrap(), st);
    reconcile(s, &st, vec![five_xx(1)], T0).await.unwrap();
    reconcile(s, &st, vec![five_xx(2)], T0 + 1).await.unwrap();
    let due = s.due_deliveries(T0 + 1).await.unwrap();
    assert_eq!(due.len(), 1, "one open event for one webhook");
    let mut d: Delivery = due[0].clone();
    assert_eq!(d.event, AlertEvent::Opened);
    d.failed("refused".into(), T0 + 1, 3);
    s.save_delivery(&d).await.unwrap();
    assert!(
        s.due_deliveries(T0 + 1).await.unwrap().is_empty(),
        "backing off"
    );
    let later = s.due_deliveries(T0 + 10_000).await.unwrap();
    assert_eq!(later[0].attempts, 1);
    d.delivered_ms = Some(T0 + 10_000);
    s.save_delivery(&d).await.unwrap();
    assert!(s.due_deliveries(T0 + 100_000).await.unwrap().is_empty());
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn sqlite_alert_store_conformance() {
        let dir = std::env::temp_dir().join(format!("alerts-conf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let n = std::sync::atomic::AtomicU32::new(0);
        super::run_all(|| {
            let path = dir.join(format!(
                "a{}.sqlite",
                n.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ));
            let _ = std::fs::remove_file(&path);
            async move { crate::alerts::store::SqliteAlerts::open(&path).unwrap() }
        })
        .await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
