//! What an adapter gets when the OAuth2 token endpoint is throttling or failing.
//!
//! Contract 0.1.0's `http-error` has no "rate limited" or "EHR internal" case for
//! credentials, only `credentials(string)`, which adapters rightly map to "session
//! expired: log back in". But a 429 or a 5xx from the token endpoint is the EHR being busy
//! or down, not a bad login: logging in again would not help, and the job should simply be
//! retried, after the `Retry-After` the EHR asked for.
//!
//! So the host hands the adapter that status as the answer to the request it was trying
//! to send: the same status, the token endpoint's `Retry-After` (whole seconds) when it
//! sent one, and a short JSON body the host writes itself (never the endpoint's own
//! body). Every adapter already maps its API's 429 to "rate limited" (with the
//! `Retry-After`) and 5xx to "EHR internal", both retried automatically with the same
//! backoff as any API call; the SDK's `error_for_status` does exactly that. The header
//! [`SOURCE_HEADER`] tells an adapter that wants to know that the answer came from the
//! host on the token endpoint's behalf.

use super::InboundResponse;
use crate::capabilities::credentials::TokenEndpointStatus;

/// Marks an answer the host made up for a token endpoint failure.
pub const SOURCE_HEADER: &str = "x-ehr-host-source";

/// The answer handed to the adapter for a throttling or failing token endpoint.
pub fn response(s: &TokenEndpointStatus) -> InboundResponse {
    let error = if s.status == 429 {
        "rate_limited"
    } else {
        "token_endpoint_failed"
    };
    let body = serde_json::json!({"error": error, "message": s.message});
    let mut headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        (SOURCE_HEADER.to_string(), "token-endpoint".to_string()),
    ];
    if let Some(seconds) = s.retry_after_seconds {
        headers.push(("retry-after".to_string(), seconds.to_string()));
    }
    InboundResponse {
        status: s.status,
        headers,
        body: serde_json::to_vec(&body).expect("a JSON object serialises"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A 429 keeps its status and Retry-After; a 503 its status; the body is the host's.
    #[test]
    fn status_and_retry_after() {
        let r = response(&TokenEndpointStatus {
            status: 429,
            retry_after_seconds: Some(7),
            message: "the OAuth2 token endpoint answered HTTP 429".into(),
        });
        assert_eq!(r.status, 429);
        assert!(r.headers.contains(&("retry-after".into(), "7".into())));
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["error"], "rate_limited");
        let r = response(&TokenEndpointStatus {
            status: 503,
            retry_after_seconds: None,
            message: "m".into(),
        });
        assert_eq!(r.status, 503);
        assert!(!r.headers.iter().any(|(k, _)| k == "retry-after"));
    }
}
