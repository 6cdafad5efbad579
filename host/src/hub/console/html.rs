//! The console's HTML: every text is escaped here before it enters a page, untrusted
//! text (anything an adapter, an EHR or a user typed) is first cleaned and bounded; one
//! page frame with the embedded style sheet, a viewport for phones and no script.

use super::session::Viewer;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::fmt::Write as _;

/// The style sheet, served by the hub itself (no CDN: the console works offline).
pub const CSS: &str = include_str!("style.css");

/// `text` escaped for HTML text and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Untrusted text (from an adapter, an EHR or a person) cleaned of control and
/// invisible characters, cut to `max` characters, then escaped.
pub fn untrusted(text: &str, max: usize) -> String {
    esc(&crate::untrusted::clean(text, max))
}

/// A path segment (a job or practice id) escaped for a URL inside an attribute.
pub fn seg(id: &str) -> String {
    let mut out = String::new();
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A time as `12s ago`, `5m ago`, `3h ago`, `2d ago` (or `never`).
pub fn ago(ms: Option<u64>, now_ms: u64) -> String {
    let Some(ms) = ms else {
        return "never".into();
    };
    let s = now_ms.saturating_sub(ms) / 1000;
    match s {
        0..60 => format!("{s}s ago"),
        60..3600 => format!("{}m ago", s / 60),
        3600..86400 => format!("{}h ago", s / 3600),
        _ => format!("{}d ago", s / 86400),
    }
}

/// The hidden CSRF field of a POST form of `viewer`'s session.
pub fn csrf_field(viewer: &Viewer) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(&viewer.session.csrf)
    )
}

/// A whole page: `title` (escaped here), `body` (already HTML), and the signed-in bar.
pub fn page(title: &str, viewer: Option<&Viewer>, body: &str) -> String {
    let bar = match viewer {
        Some(v) => format!(
            "<nav><a href=\"/console\">ehr-host console</a>{}<span class=\"who\">{} \
             <form method=\"post\" action=\"/console/logout\" class=\"inline\">{}\
             <button type=\"submit\">Log out</button></form></span></nav>",
            if v.user.role == crate::hub::store::UserRole::Operator {
                " <a href=\"/console/alerts\">Alerts</a>"
            } else {
                ""
            },
            esc(&v.user.name),
            csrf_field(v)
        ),
        None => "<nav><span>ehr-host console</span></nav>".to_string(),
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/console/style.css\"></head>\
         <body>{bar}<main>{body}</main></body></html>",
        esc(title)
    )
}

/// An HTML answer with `status`, never cached (pages show live state and a CSRF token).
pub fn respond(status: StatusCode, html: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'",
            ),
        ],
        html,
    )
        .into_response()
}

/// A plain page saying what happened and what to do, with `status`.
pub fn message(status: StatusCode, viewer: Option<&Viewer>, title: &str, words: &str) -> Response {
    let body = format!(
        "<h1>{}</h1><p class=\"message\">{}</p><p><a href=\"/console\">Back to the console</a></p>",
        esc(title),
        esc(words)
    );
    respond(status, page(title, viewer, &body))
}
