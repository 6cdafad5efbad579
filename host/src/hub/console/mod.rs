//! The operator console (`/console`), served by the hub as plain HTML with one embedded
//! style sheet: no script, no CDN, readable on a phone. Operators see every practice;
//! a practice's users see their own ([`guard`]). Pages: the practices with their agents
//! ([`overview`]), a practice's pending jobs banner with Retry and the X to cancel
//! ([`practice`]), a job's per-field report, attempts and remediation ([`job`]), the
//! hub's alerts for operators ([`alerts`]). Users
//! are added with `ehr-host hub user add` ([`password`]); sessions and CSRF tokens are
//! in [`session`]. Every text an adapter, an EHR or a person wrote is cleaned and
//! escaped ([`html`]).

pub mod actions;
pub mod agents;
pub mod alerts;
#[cfg(test)]
mod alerts_tests;
pub mod guard;
pub mod html;
pub mod job;
pub mod login;
pub mod overview;
pub mod password;
pub mod practice;
pub mod schedule;
pub mod session;
#[cfg(test)]
mod tests;

use super::state::Hub;
use super::store::HubStore;
use crate::jobs::Queue;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

/// The console's routes.
pub fn router<Q: Queue + 'static, S: HubStore>(hub: Arc<Hub<Q, S>>) -> Router {
    Router::new()
        .route("/console", get(overview::overview::<Q, S>))
        .route(
            "/console/login",
            get(login::show::<Q, S>).post(login::submit::<Q, S>),
        )
        .route(
            "/console/logout",
            axum::routing::post(login::logout::<Q, S>),
        )
        .route("/console/practices/{id}", get(practice::practice::<Q, S>))
        .route("/console/jobs/{id}", get(job::job::<Q, S>))
        .route(
            "/console/jobs/{id}/retry",
            axum::routing::post(actions::retry::<Q, S>),
        )
        .route(
            "/console/jobs/{id}/cancel",
            get(actions::confirm_cancel::<Q, S>).post(actions::cancel::<Q, S>),
        )
        .route("/console/style.css", get(style))
        // Forms are a few fields; nothing larger is read.
        .layer(DefaultBodyLimit::max(16 * 1024))
        .with_state(hub)
}

async fn style() -> axum::response::Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        html::CSS,
    )
        .into_response()
}
