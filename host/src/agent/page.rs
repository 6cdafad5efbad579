//! The agent's own read-only page on its loopback job API (`GET /` on the address in
//! `api.addr`, linked from `ehr-host status`): the tray colour with its reason, the
//! link, each adapter with its version and EHR, and the recent jobs coloured as users
//! know them. Nothing can be changed from it. It answers only requests addressed to the
//! loopback name it is served on, so a web page elsewhere cannot read it through a DNS
//! name pointed at 127.0.0.1; it shows ids and states, never a snapshot.

use crate::home::Home;
use crate::hub::console::html::{ago, esc, respond, untrusted, CSS};
use crate::hub::console::practice::colour;
use crate::jobs::{Clock, Queue, SystemClock};
use crate::status::agent::{ehr_words, TrayColour};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

/// Jobs listed on the page.
const RECENT: usize = 30;

struct Page<Q> {
    home: Home,
    queue: Arc<Q>,
}

/// The page's routes (merged into the job API's router).
pub fn router<Q: Queue + 'static>(home: Home, queue: Arc<Q>) -> Router {
    Router::new()
        .route("/", get(show::<Q>))
        .route("/style.css", get(style))
        .with_state(Arc::new(Page { home, queue }))
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

/// Whether the request was addressed to a loopback name (`127.0.0.1:PORT`,
/// `localhost:PORT`, `[::1]:PORT`).
pub fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.rsplit_once(':') {
        Some((n, port)) if port.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => host,
    };
    matches!(name, "127.0.0.1" | "localhost" | "[::1]")
}

fn tray_class(c: TrayColour) -> &'static str {
    match c {
        TrayColour::Green => "green",
        TrayColour::Yellow => "blue",
        TrayColour::Red => "red",
    }
}

async fn show<Q: Queue>(State(p): State<Arc<Page<Q>>>, headers: HeaderMap) -> Response {
    if !loopback_host(&headers) {
        return (
            StatusCode::FORBIDDEN,
            "this page is served to this computer only: open it as http://127.0.0.1:PORT/",
        )
            .into_response();
    }
    let now = SystemClock.now_ms();
    let home = p.home.clone();
    let status =
        match tokio::task::spawn_blocking(move || crate::status::local::read(&home, now)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                return respond(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    frame(&format!("<p>{}</p>", esc(&format!("{e:#}")))),
                )
            }
            Err(e) => {
                return respond(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    frame(&esc(&e.to_string())),
                )
            }
        };
    let mut body = format!(
        "<h1>This agent</h1><p class=\"result {}\" id=\"tray\">Tray: {} — {}</p><section><p>Status: <strong>{}</strong>{}</p>",
        tray_class(status.tray.colour),
        esc(&format!("{:?}", status.tray.colour).to_lowercase()),
        untrusted(&status.tray.reason, 600),
        esc(&status.status),
        status.why.as_deref().map(|w| format!(" ({})", untrusted(w, 300))).unwrap_or_default(),
    );
    if let Some(r) = &status.report {
        body.push_str(&format!(
            "<p>Last heartbeat: {}. Practice: {} ({}). Hub: {} (agent {}, version {}).</p>",
            esc(&ago(r.last_heartbeat_ms, now)),
            untrusted(&r.practice_name, 120),
            untrusted(&r.practice_id, 64),
            untrusted(&r.hub, 200),
            untrusted(&r.agent_id, 64),
            untrusted(&r.version, 40),
        ));
        let adapters: String = r
            .adapters
            .iter()
            .map(|a| {
                format!(
                    "<li>{} {}: {}</li>",
                    untrusted(&a.id, 64),
                    untrusted(&a.version, 40),
                    untrusted(&ehr_words(&a.ehr), 300)
                )
            })
            .collect();
        body.push_str(&format!(
            "<h2>Adapters</h2><ul id=\"adapters\">{adapters}</ul>"
        ));
    }
    body.push_str("</section>");
    body.push_str(&jobs(&*p.queue).await);
    respond(StatusCode::OK, frame(&body))
}

async fn jobs<Q: Queue>(queue: &Q) -> String {
    let mut list = match queue.list_where(None, None).await {
        Ok(l) => l,
        Err(e) => {
            return format!(
                "<section><h2>Recent jobs</h2><p>The job store cannot be read: {}</p></section>",
                esc(&e.to_string())
            )
        }
    };
    list.sort_by_key(|j| std::cmp::Reverse(j.updated_ms));
    let rows: String = list
        .iter()
        .take(RECENT)
        .map(|j| {
            let why = j.error.as_ref().map(|e| untrusted(&e.title, 200)).unwrap_or_default();
            format!(
                "<tr class=\"job\"><td><code>{}</code></td><td>{}</td><td><span class=\"result {}\">{}</span></td><td>{why}</td></tr>",
                esc(&j.id),
                esc(&j.ehr),
                colour(j.status),
                esc(j.status.words())
            )
        })
        .collect();
    format!(
        "<section><h2>Recent jobs</h2><div class=\"table-wrap\"><table><thead><tr><th>Job</th><th>EHR</th>\
         <th>State</th><th>Why</th></tr></thead><tbody>{rows}</tbody></table></div></section>"
    )
}

fn frame(body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"refresh\" content=\"10\">\
         <title>ehr-host agent</title><link rel=\"stylesheet\" href=\"/style.css\"></head>\
         <body><nav><span>ehr-host agent</span></nav><main>{body}</main></body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::loopback_host;
    use axum::http::{header, HeaderMap, HeaderValue};

    // Only requests addressed to a loopback name are answered (DNS rebinding).
    #[test]
    fn answers_loopback_names_only() {
        let with = |h: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::HOST, HeaderValue::from_str(h).unwrap());
            loopback_host(&m)
        };
        assert!(with("127.0.0.1:8080") && with("localhost:1") && with("[::1]:9"));
        assert!(!with("evil.example:8080") && !with("127.0.0.1.evil.example"));
        assert!(!loopback_host(&HeaderMap::new()));
    }
}
