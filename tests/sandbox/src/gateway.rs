//! The outermost layer: injects the active fault and writes the request log.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use crate::faults::{FaultMode, RequestInfo, LAND_THEN_TIMEOUT_DELAY};
use crate::idempotency::{KEY_HEADER, REPLAYED_HEADER};
use crate::server::ConnControl;
use crate::shared::Shared;
use crate::state::RequestRecord;

/// Request extension telling handlers that a [`FaultMode::TemplateChanged`] fault hit this
/// request, so they use the renamed template fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TemplateChanged;

/// Middleware around every route. Faults are decided here, before authentication, because
/// they model the EHR itself failing, whatever the caller sent.
pub(crate) async fn gateway(
    State(shared): State<Arc<Shared>>,
    mut req: Request,
    next: Next,
) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    if path.starts_with("/_sandbox/") {
        return next.run(req).await;
    }
    let key = req
        .headers()
        .get(KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let info = RequestInfo {
        path: &path,
        is_api_write: is_api_path(&path) && (method == Method::PUT || method == Method::POST),
        template_sensitive: match shared.ehr {
            crate::config::Ehr::Revolution => {
                crate::revolution::is_template_sensitive(&method, &path)
            }
            crate::config::Ehr::Eyefinity => {
                crate::eyefinity::is_template_sensitive(&method, &path)
            }
        },
    };
    let transaction = req
        .headers()
        .get("x-transaction-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // Every answer names its request, as EHRs do for their vendor's support.
    let request_id = format!("req-{}", shared.next_request_number());
    let fault = shared.faults.take(&info);
    let record = |status: u16, replayed: bool| {
        tracing::info!(%method, %path, status, replayed, transaction = ?transaction, request_id, fault = ?fault, "request");
        shared.record(RequestRecord {
            method: method.to_string(),
            path: path.clone(),
            status,
            idempotency_key: key.clone(),
            replayed,
            transaction_id: transaction.clone(),
            request_id: Some(request_id.clone()),
        });
    };

    let mut land_then_timeout = false;
    match &fault {
        None => {}
        Some(FaultMode::Reset) => {
            record(0, false);
            return reset_connection(req.extensions().get::<Arc<ConnControl>>().cloned()).await;
        }
        Some(FaultMode::Slow { delay_ms }) => {
            tokio::time::sleep(std::time::Duration::from_millis(*delay_ms)).await;
        }
        Some(FaultMode::TemplateChanged) => {
            req.extensions_mut().insert(TemplateChanged);
        }
        Some(FaultMode::LandThenTimeout) => land_then_timeout = true,
        Some(mode) => {
            if let Some(response) = mode.canned_response() {
                record(response.status().as_u16(), false);
                return response;
            }
        }
    }

    let mut response = next.run(req).await;
    let replayed = response.headers().contains_key(REPLAYED_HEADER);
    record(response.status().as_u16(), replayed);
    if let Ok(v) = axum::http::HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", v);
    }
    if land_then_timeout {
        // Logged and applied already: only the answer is late, as when an EHR commits
        // and then stalls before replying.
        tokio::time::sleep(LAND_THEN_TIMEOUT_DELAY).await;
    }
    response
}

/// Whether `path` is under an EHR API prefix: `/api/` (RevolutionEHR) or `/ehr/` (Eyefinity).
pub(crate) fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/ehr/")
}

/// Asks the connection task to drop the connection with an RST and never answers.
/// Takes the handle rather than the request: the request body is not `Sync`, and a
/// reference to it held across the await would make the middleware future not `Send`.
async fn reset_connection(ctl: Option<Arc<ConnControl>>) -> Response {
    match ctl {
        Some(ctl) => {
            ctl.reset();
            std::future::pending().await
        }
        // Only reachable if the router is served by something other than `server::serve`.
        None => {
            let body = serde_json::json!({"error": "reset_unsupported"});
            let mut response = axum::response::IntoResponse::into_response(axum::Json(body));
            *response.status_mut() = axum::http::StatusCode::BAD_GATEWAY;
            response
        }
    }
}
