//! `/_sandbox/echo`: an endpoint that reflects the request back in its body, the way a
//! careless EHR error page or debugging endpoint does. It lets host tests play an EHR
//! that hands the credential the host added (`Authorization: Bearer …`) back to the
//! adapter, and prove the host keeps that secret out of everything it stores or shows.
//!
//! Any method. The answer is 200 with
//! `{"method": "GET", "path": "/_sandbox/echo", "headers": [["authorization", "Bearer …"], …], "body": "…"}`.
//! Like every `/_sandbox/` route it is never faulted and not in the request log.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use axum::routing::any;
use axum::{Json, Router};

use crate::shared::Shared;

/// The echo route, merged into the control routes.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new().route("/_sandbox/echo", any(echo))
}

async fn echo(
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Json<serde_json::Value> {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    Json(serde_json::json!({
        "method": method.as_str(),
        "path": uri.path(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    }))
}
