//! `GET /console/practices/{id}`: one practice's pending jobs banner (each failed job
//! with its reason, a Retry button and an X to cancel, which asks to confirm), its
//! recent jobs coloured as users know them, its agents, and its last schedule sync.

use super::guard;
use super::html::{csrf_field, esc, page, respond, seg, untrusted};
use super::session::Viewer;
use crate::hub::state::Hub;
use crate::hub::store::HubStore;
use crate::jobs::{JobRecord, Queue, Status};
use crate::status::hub::AgentView;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::sync::Arc;

/// Jobs listed under "Recent jobs".
const RECENT: usize = 50;

/// The colour users know a job's state by: green (written), blue (written with
/// warnings), red (failed), grey (waiting, being written, cancelled).
pub fn colour(status: Status) -> &'static str {
    match status {
        Status::Succeeded => "green",
        Status::SucceededWithWarnings => "blue",
        Status::Failed => "red",
        Status::Pending | Status::Claimed | Status::Cancelled => "grey",
    }
}

/// A failed job's reason: the failure's headline and what to do.
pub fn reason(job: &JobRecord) -> String {
    match &job.error {
        Some(e) => format!(
            "<strong>{}</strong> {}",
            untrusted(&e.title, 200),
            untrusted(&e.advice, 600)
        ),
        None => "<span class=\"muted\">no reason recorded</span>".into(),
    }
}

/// The Retry button of a failed job.
pub fn retry_button(viewer: &Viewer, id: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/console/jobs/{}/retry\" class=\"inline\">{}\
         <button type=\"submit\" class=\"primary retry\">Retry</button></form>",
        seg(id),
        csrf_field(viewer)
    )
}

/// The X of a job that can be cancelled: it opens the confirm step.
pub fn cancel_link(id: &str) -> String {
    format!(
        "<a class=\"button danger x\" href=\"/console/jobs/{}/cancel\" title=\"Cancel this job\" \
         aria-label=\"Cancel job {}\">X</a>",
        seg(id),
        esc(id)
    )
}

fn banner(viewer: &Viewer, jobs: &[JobRecord]) -> String {
    let failed: Vec<&JobRecord> = jobs.iter().filter(|j| j.status == Status::Failed).collect();
    let waiting = jobs
        .iter()
        .filter(|j| matches!(j.status, Status::Pending | Status::Claimed))
        .count();
    let mut s = String::new();
    if !failed.is_empty() {
        let items: String = failed
            .iter()
            .map(|j| {
                format!(
                    "<li class=\"failed-job\" data-job=\"{}\"><a href=\"/console/jobs/{}\"><code>{}</code></a> \
                     <span class=\"reason\">{}</span>{}{}</li>",
                    esc(&j.id),
                    seg(&j.id),
                    esc(&j.id),
                    reason(j),
                    retry_button(viewer, &j.id),
                    cancel_link(&j.id)
                )
            })
            .collect();
        s.push_str(&format!(
            "<section class=\"banner failed\" id=\"banner\"><h2>{} failed job{} need{} attention</h2><ul>{items}</ul></section>",
            failed.len(),
            if failed.len() == 1 { "" } else { "s" },
            if failed.len() == 1 { "s" } else { "" },
        ));
    }
    if waiting > 0 {
        s.push_str(&format!(
            "<section class=\"banner pending\" id=\"pending\"><p>{waiting} job{} waiting or being written.</p></section>",
            if waiting == 1 { "" } else { "s" }
        ));
    }
    s
}

fn recent(jobs: &[JobRecord]) -> String {
    if jobs.is_empty() {
        return "<p class=\"muted\">No jobs yet.</p>".into();
    }
    let rows: String = jobs
        .iter()
        .take(RECENT)
        .map(|j| {
            format!(
                "<tr class=\"job\" data-job=\"{}\"><td><a href=\"/console/jobs/{}\"><code>{}</code></a></td>\
                 <td>{}</td><td><span class=\"result {}\">{}</span></td><td>{}</td></tr>",
                esc(&j.id),
                seg(&j.id),
                esc(&j.id),
                esc(&j.ehr),
                colour(j.status),
                esc(j.status.words()),
                j.attempts
            )
        })
        .collect();
    format!(
        "<div class=\"table-wrap\"><table><thead><tr><th>Job</th><th>EHR</th><th>State</th>\
         <th>Attempts</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )
}

/// `GET /console/practices/{id}`.
pub async fn practice<Q: Queue, S: HubStore>(
    State(hub): State<Arc<Hub<Q, S>>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let viewer = match guard::signed_in(&hub, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Some(r) = guard::may_see(&viewer, Some(&id)) {
        return r;
    }
    let p = match hub.store.practice(&id).await {
        Ok(p) => p,
        Err(e) => return guard::store_error(&viewer, e),
    };
    let mut jobs = match hub.queue.list_where(None, Some(&id)).await {
        Ok(j) => j,
        Err(e) => return guard::unavailable(Some(&viewer), &e),
    };
    jobs.sort_by(|a, b| b.updated_ms.cmp(&a.updated_ms).then(a.id.cmp(&b.id)));
    let settings = match hub.settings().await {
        Ok(s) => s,
        Err(e) => return guard::store_error(&viewer, e),
    };
    let now = hub.now();
    let agents: Vec<AgentView> = match hub.store.agents(Some(&id)).await {
        Ok(l) => l
            .into_iter()
            .map(|a| AgentView::new(a, &settings, now))
            .collect(),
        Err(e) => return guard::store_error(&viewer, e),
    };
    let body = format!(
        "<h1>{} <code class=\"muted\">{}</code></h1>{}<section><h2>Recent jobs</h2>{}</section>\
         <section><h2>Agents</h2>{}</section>{}",
        untrusted(&p.name, 120),
        esc(&p.id),
        banner(&viewer, &jobs),
        recent(&jobs),
        super::agents::table(&agents, now),
        super::schedule::last_sync(&hub, &id).await,
    );
    respond(StatusCode::OK, page(&p.name, Some(&viewer), &body))
}
