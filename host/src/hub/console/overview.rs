//! `GET /console`: the practices the viewer may see, each with its failed and waiting
//! jobs counted and its agents (state, last heartbeat, adapters and versions). A
//! practice user sees their own practice only.

use super::guard;
use super::html::{esc, page, respond, seg, untrusted};
use crate::hub::state::Hub;
use crate::hub::store::HubStore;
use crate::jobs::{Queue, Status};
use crate::status::hub::AgentView;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::sync::Arc;

/// `GET /console`.
pub async fn overview<Q: Queue, S: HubStore>(
    State(hub): State<Arc<Hub<Q, S>>>,
    headers: HeaderMap,
) -> Response {
    let viewer = match guard::signed_in(&hub, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let practices = match hub.store.practices().await {
        Ok(p) => p,
        Err(e) => return guard::store_error(&viewer, e),
    };
    let settings = match hub.settings().await {
        Ok(s) => s,
        Err(e) => return guard::store_error(&viewer, e),
    };
    let now = hub.now();
    let mut body = String::from("<h1>Practices</h1>");
    let mut shown = 0;
    for p in practices.iter().filter(|p| viewer.may_see(&p.id)) {
        shown += 1;
        let count = |status| {
            let hub = hub.clone();
            let id = p.id.clone();
            async move {
                hub.queue
                    .list_where(Some(status), Some(&id))
                    .await
                    .map(|l| l.len())
            }
        };
        let (failed, pending) = match (count(Status::Failed).await, count(Status::Pending).await) {
            (Ok(f), Ok(w)) => (f, w),
            (Err(e), _) | (_, Err(e)) => return guard::unavailable(Some(&viewer), &e),
        };
        let agents: Vec<AgentView> = match hub.store.agents(Some(&p.id)).await {
            Ok(list) => list
                .into_iter()
                .map(|a| AgentView::new(a, &settings, now))
                .collect(),
            Err(e) => return guard::store_error(&viewer, e),
        };
        let jobs = if failed > 0 {
            format!("<span class=\"state disconnected\">{failed} failed</span>, {pending} waiting")
        } else {
            format!("no failed jobs, {pending} waiting")
        };
        body.push_str(&format!(
            "<section class=\"practice\" id=\"practice-{}\"><h2><a href=\"/console/practices/{}\">{}</a> \
             <code class=\"muted\">{}</code></h2><p>Jobs: {jobs}</p>{}</section>",
            esc(&p.id),
            seg(&p.id),
            untrusted(&p.name, 120),
            esc(&p.id),
            super::agents::table(&agents, now),
        ));
    }
    if shown == 0 {
        body.push_str(
            "<p class=\"muted\">No practice yet (<code>ehr-host hub practice add …</code>).</p>",
        );
    }
    respond(StatusCode::OK, page("Practices", Some(&viewer), &body))
}
