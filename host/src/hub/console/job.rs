//! `GET /console/jobs/{id}`: one job as a person checks it — the green, blue or red
//! result, the per-field report (written and where, skipped with the reason, not
//! written, warnings), its attempts with their transaction ids (from the audit trail)
//! and the failure's remediation; Retry and the X to cancel where they apply.

use super::guard;
use super::html::{esc, page, respond, untrusted};
use super::practice::{cancel_link, colour, retry_button};
use crate::audit::{Entry, Query};
use crate::hub::state::Hub;
use crate::hub::store::HubStore;
use crate::jobs::{JobView, Queue, QueueError, Status};
use crate::report::{FieldOutcome, WriteReport};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::sync::Arc;

fn words<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

fn fields(r: &WriteReport) -> String {
    let rows: String = r
        .fields
        .iter()
        .map(|f| {
            let (class, what) = match &f.outcome {
                FieldOutcome::Written { target } => (
                    "written",
                    match target {
                        Some(t) => format!("written to {}", untrusted(t, 200)),
                        None => "written".into(),
                    },
                ),
                FieldOutcome::Skipped { reason, detail } => (
                    "skipped",
                    format!("skipped: {} ({})", esc(&words(reason)), untrusted(detail, 400)),
                ),
                FieldOutcome::NotWritten => (
                    "not_written",
                    "not written: the write stopped before it (a retry writes it)".into(),
                ),
            };
            let warnings: Vec<String> = f
                .warnings
                .iter()
                .map(|w| format!("{}: {}", esc(&words(&w.kind)), untrusted(&w.message, 400)))
                .collect();
            format!(
                "<tr class=\"field {class}\"><td><code>{}</code></td><td class=\"{class}\">{what}</td><td>{}</td></tr>",
                untrusted(&f.field, 80),
                warnings.join("<br>")
            )
        })
        .collect();
    let notices: String = r
        .notices
        .iter()
        .map(|n| {
            format!(
                "<li>{}: {}</li>",
                esc(&words(&n.kind)),
                untrusted(&n.message, 400)
            )
        })
        .collect();
    format!(
        "<section id=\"report\"><h2>Report</h2><p>{} by {} into encounter <code>{}</code>: \
         {} written, {} skipped, {} not written, {} warnings{}</p>{}\
         <div class=\"table-wrap\"><table><thead><tr><th>Field</th><th>Outcome</th><th>Warnings</th></tr></thead>\
         <tbody>{rows}</tbody></table></div></section>",
        esc(&words(&r.outcome)),
        untrusted(&r.adapter.to_string(), 80),
        untrusted(&r.encounter_id, 80),
        r.written,
        r.skipped,
        r.not_written,
        r.warnings,
        if r.replayed { " (already written before: nothing new was written)" } else { "" },
        if notices.is_empty() { String::new() } else { format!("<ul class=\"notices\">{notices}</ul>") },
    )
}

fn attempts(entries: &[Entry]) -> String {
    if entries.is_empty() {
        return "<section id=\"attempts\"><h2>Attempts</h2><p class=\"muted\">No attempt recorded at the hub yet.</p></section>".into();
    }
    let rows: String = entries
        .iter()
        .map(|e| {
            format!(
                "<tr class=\"attempt\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td></tr>",
                esc(&e.transaction_id),
                esc(&crate::report::render_time(e.started_ms)),
                untrusted(&e.host, 80),
                esc(&words(&e.outcome)),
                e.error_kind.as_deref().map(|k| format!(" ({})", esc(k))).unwrap_or_default(),
                e.ehr_request_ids.iter().map(|i| untrusted(i, 120)).collect::<Vec<_>>().join(", "),
            )
        })
        .collect();
    format!(
        "<section id=\"attempts\"><h2>Attempts</h2><div class=\"table-wrap\"><table><thead><tr><th>Transaction id</th>\
         <th>Started</th><th>By</th><th>Outcome</th><th>EHR request ids</th></tr></thead><tbody>{rows}</tbody></table></div></section>"
    )
}

/// `GET /console/jobs/{id}`.
pub async fn job<Q: Queue, S: HubStore>(
    State(hub): State<Arc<Hub<Q, S>>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let viewer = match guard::signed_in(&hub, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let record = match hub.queue.get(&id).await {
        Ok(j) => j,
        Err(QueueError::NotFound(_)) => {
            return super::html::message(
                StatusCode::NOT_FOUND,
                Some(&viewer),
                "No such job",
                &format!(
                    "There is no job `{}` on this hub.",
                    crate::untrusted::clean(&id, 80)
                ),
            )
        }
        Err(e) => return guard::unavailable(Some(&viewer), &e),
    };
    if let Some(r) = guard::may_see(&viewer, record.scope.as_deref()) {
        return r;
    }
    let audit = hub.audit.clone();
    let q = Query {
        job_id: Some(id.clone()),
        ..Query::default()
    };
    let entries = tokio::task::spawn_blocking(move || audit.search(&q))
        .await
        .map_err(anyhow::Error::from)
        .and_then(|r| r)
        .unwrap_or_else(|e| {
            tracing::warn!("console: reading the audit trail: {e:#}");
            vec![]
        });
    let view = JobView::new(record, hub.now(), hub.stuck_after);
    let j = &view.job;
    let mut actions = String::new();
    if j.status == Status::Failed {
        actions.push_str(&retry_button(&viewer, &j.id));
    }
    if matches!(j.status, Status::Pending | Status::Claimed | Status::Failed) && !j.cancel_requested
    {
        actions.push_str(&cancel_link(&j.id));
    }
    let mut body = format!(
        "<h1>Job <code>{}</code></h1><p class=\"result {}\" id=\"result\">{}{}</p><p>{} job of practice {}; \
         {} attempt{}.{}</p><p class=\"actions\">{actions}</p>",
        esc(&j.id),
        colour(j.status),
        esc(j.status.words()),
        if view.stuck { " — stuck: claimed without progress for too long, contact support" } else { "" },
        esc(&j.ehr),
        j.scope.as_deref().map(|p| format!("<a href=\"/console/practices/{}\">{}</a>", super::html::seg(p), esc(p))).unwrap_or_else(|| "(none)".into()),
        j.attempts,
        if j.attempts == 1 { "" } else { "s" },
        if j.cancel_requested && j.status == Status::Claimed { " Cancel requested: the writer stops before its next write." } else { "" },
    );
    if let Some(e) = &view.error {
        body.push_str(&format!(
            "<section id=\"remediation\"><h2>What went wrong and what to do</h2><pre class=\"remediation\">{}</pre></section>",
            esc(&crate::untrusted::clean_multiline(&crate::report::render_remediation(e), 4000))
        ));
    }
    match &view.report {
        Some(r) => body.push_str(&fields(r)),
        None => body.push_str("<section id=\"report\"><h2>Report</h2><p class=\"muted\">No attempt has reported yet.</p></section>"),
    }
    body.push_str(&attempts(&entries));
    respond(
        StatusCode::OK,
        page(&format!("Job {}", j.id), Some(&viewer), &body),
    )
}
