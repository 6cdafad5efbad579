//! The alerts page: an operator sees an open incident that needs attention and
//! acknowledges it (with the session's CSRF token only); a practice user is refused.

use super::alerts::{ack, list, AlertPages};
use super::login::CsrfForm;
use super::tests::{body, hub, signed_in};
use crate::alerts::model::{Alert, AlertKind, Severity};
use crate::alerts::store::{AlertStore, SqliteAlerts};
use crate::alerts::AnyAlerts;
use crate::hub::store::UserRole;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use std::sync::Arc;

#[tokio::test]
async fn operators_see_and_acknowledge_alerts() {
    let (hub, _clock) = hub().await;
    let path = std::env::temp_dir().join(format!(
        "ehr-console-alerts-{}-{}.sqlite",
        std::process::id(),
        crate::hub::secrets::new_token().unwrap()
    ));
    let store = SqliteAlerts::open(&path).unwrap();
    let alert = Alert {
        id: "alr-1".into(),
        kind: AlertKind::EhrServerError,
        subject: "revolution@east".into(),
        severity: Severity::Critical,
        count: 3,
        summary: "RevolutionEHR answered 503 <b>Service Unavailable</b>".into(),
        opened_ms: hub.now(),
        updated_ms: hub.now(),
        resolved_ms: None,
        acknowledged: None,
        silenced_until_ms: None,
        silenced_at: None,
    };
    assert!(store.insert_open(&alert).await.unwrap());
    let pages = Arc::new(AlertPages::new(
        hub.clone(),
        Arc::new(AnyAlerts::Sqlite(store)),
    ));

    let (op, csrf) = signed_in(&hub, "olga", UserRole::Operator).await;
    let page = body(list(State(pages.clone()), op.clone()).await).await;
    assert!(page.contains("Needs attention"), "{page}");
    assert!(
        page.contains("&lt;b&gt;Service Unavailable"),
        "escaped: {page}"
    );
    assert!(page.contains("Acknowledge"), "{page}");

    let forged = ack(
        State(pages.clone()),
        op.clone(),
        Path("alr-1".into()),
        Form(CsrfForm {
            csrf: "forged".into(),
        }),
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let page = body(list(State(pages.clone()), op.clone()).await).await;
    assert!(
        page.contains("Needs attention"),
        "a refused form changed nothing: {page}"
    );

    let done = ack(
        State(pages.clone()),
        op.clone(),
        Path("alr-1".into()),
        Form(CsrfForm { csrf }),
    )
    .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let page = body(list(State(pages.clone()), op).await).await;
    assert!(!page.contains("Needs attention"), "{page}");
    assert!(
        page.contains("1 open"),
        "still open until it resolves: {page}"
    );

    let (desk, _) = signed_in(
        &hub,
        "desk",
        UserRole::Practice {
            practice_id: "east".into(),
        },
    )
    .await;
    let refused = list(State(pages), desk).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let _ = std::fs::remove_file(&path);
}
