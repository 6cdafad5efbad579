//! `GET /console/alerts`: the hub's alerts, one per incident, for operators — what is open
//! now (and whether it needs attention: new, or worse since someone acknowledged it),
//! with an Acknowledge button (a POST form with the session's CSRF token); the incidents
//! resolved lately below. Practice users are refused: an alert may concern any practice.

use super::guard;
use super::html::{ago, csrf_field, esc, page, respond, seg, untrusted};
use super::login::CsrfForm;
use crate::alerts::{ops, AnyAlerts};
use crate::hub::state::Hub;
use crate::hub::store::{HubStore, UserRole};
use crate::jobs::Queue;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use std::fmt::Write as _;
use std::sync::Arc;

/// What the alert pages need: the hub (sessions) and its alert store.
pub struct AlertPages<Q, S> {
    hub: Arc<Hub<Q, S>>,
    alerts: Arc<AnyAlerts>,
}

impl<Q, S> AlertPages<Q, S> {
    /// The pages over `hub`'s sessions and `alerts`.
    pub fn new(hub: Arc<Hub<Q, S>>, alerts: Arc<AnyAlerts>) -> AlertPages<Q, S> {
        AlertPages { hub, alerts }
    }
}

type Pages<Q, S> = State<Arc<AlertPages<Q, S>>>;

/// The alert pages' routes.
pub fn router<Q: Queue + 'static, S: HubStore>(
    hub: Arc<Hub<Q, S>>,
    alerts: Arc<AnyAlerts>,
) -> Router {
    Router::new()
        .route("/console/alerts", get(list::<Q, S>))
        .route("/console/alerts/{id}/ack", post(ack::<Q, S>))
        .with_state(Arc::new(AlertPages::new(hub, alerts)))
}

/// The signed-in operator, or the answer refusing anyone else.
async fn operator<Q: Queue, S: HubStore>(
    hub: &Hub<Q, S>,
    headers: &HeaderMap,
) -> Result<super::session::Viewer, Response> {
    let viewer = guard::signed_in(hub, headers).await?;
    if viewer.user.role != UserRole::Operator {
        return Err(guard::not_yours(&viewer));
    }
    Ok(viewer)
}

/// `GET /console/alerts`.
pub async fn list<Q: Queue, S: HubStore>(State(p): Pages<Q, S>, headers: HeaderMap) -> Response {
    let viewer = match operator(&p.hub, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let now = p.hub.now();
    let all = match ops::list(p.alerts.as_ref(), true, now).await {
        Ok(a) => a,
        Err(e) => return guard::store_error(&viewer, e),
    };
    let (open, resolved): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|v| v.alert.resolved_ms.is_none());
    let mut body = format!("<h1>Alerts</h1><p>{} open.</p>", open.len());
    for v in &open {
        let a = &v.alert;
        let _ = write!(
            body,
            "<section class=\"{}\"><h2>{}{}</h2><p>{} · {:?} · {} time(s) · opened {}</p>",
            if v.needs_attention { "bad" } else { "" },
            if v.needs_attention {
                "Needs attention: "
            } else {
                ""
            },
            untrusted(&a.summary, 300),
            esc(a.kind.as_str()),
            a.severity,
            a.count,
            esc(&ago(Some(a.opened_ms), now)),
        );
        if v.needs_attention {
            let _ = write!(
                body,
                "<form method=\"post\" action=\"/console/alerts/{}/ack\">{}<button type=\"submit\">Acknowledge</button></form>",
                seg(&a.id),
                csrf_field(&viewer)
            );
        }
        body.push_str("</section>");
    }
    body.push_str("<h2>Resolved</h2><ul>");
    for v in resolved.iter().take(50) {
        let a = &v.alert;
        let _ = write!(
            body,
            "<li>{} ({}), resolved {}</li>",
            untrusted(&a.summary, 300),
            esc(a.kind.as_str()),
            esc(&ago(a.resolved_ms, now))
        );
    }
    body.push_str("</ul>");
    respond(StatusCode::OK, page("Alerts", Some(&viewer), &body))
}

/// `POST /console/alerts/{id}/ack`: acknowledged as it is now; it shows again only if it
/// gets worse.
pub async fn ack<Q: Queue, S: HubStore>(
    State(p): Pages<Q, S>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let viewer = match operator(&p.hub, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Some(r) = guard::csrf(&viewer, &f.csrf) {
        return r;
    }
    match ops::ack(p.alerts.as_ref(), &id, p.hub.now()).await {
        Ok(_) => {
            tracing::info!(user = %viewer.user.name, alert = %id, "console: alert acknowledged");
            guard::see_other("/console/alerts")
        }
        Err(e) => guard::store_error(&viewer, e),
    }
}
