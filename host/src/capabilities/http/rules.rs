//! The request rules the host enforces before anything leaves the machine: what an
//! adapter's request may not carry.
//!
//! - **Credentials are the host's.** `Authorization`, `Cookie` and `Proxy-Authorization`
//!   come from the host's own configuration; a user name or password in the URL
//!   (`http://user:pass@origin/`) is refused too, since the HTTP client would turn it into
//!   an `Authorization: Basic` header of the guest's choosing.
//! - **Framing and routing are the host's.** `Host` (which would send the origin's
//!   credential to another virtual host), `Content-Length` and `Transfer-Encoding` (a
//!   length that disagrees with the body hangs the request or smuggles a second one), and
//!   the hop-by-hop headers (`Connection`, `Keep-Alive`, `Proxy-*`, `TE`, `Trailer`,
//!   `Upgrade`), plus `Expect`, which makes the client wait for the server's permission.
//!
//! Each refusal names the header or the URL part, never the value (it may be a secret).

/// Headers that carry credentials: set by the host only.
const CREDENTIAL_HEADERS: &[&str] = &["authorization", "cookie", "proxy-authorization"];

/// Headers that frame or route the request, or concern one connection hop.
const TRANSPORT_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "expect",
    "http2-settings",
];

/// The header the host sends with every request of a write attempt: its transaction id.
pub const TRANSACTION_HEADER: &str = "x-transaction-id";

/// Response headers in which EHRs name their own request id, kept for the audit trail.
pub const REQUEST_ID_HEADERS: &[&str] = &[
    "x-request-id",
    "request-id",
    "x-correlation-id",
    "x-amzn-requestid",
];

/// `Err` naming the first header of `headers` the guest may not send, and why.
pub fn check_headers(headers: &[(String, String)]) -> Result<(), String> {
    for (name, _) in headers {
        let lower = name.trim().to_ascii_lowercase();
        if CREDENTIAL_HEADERS.contains(&lower.as_str()) {
            return Err(format!(
                "header `{}` is set by the host from its own credentials; adapters may not send it",
                shown(name)
            ));
        }
        if lower == TRANSACTION_HEADER {
            return Err(format!(
                "header `{}` carries the attempt's transaction id, which the host sets (it is the key of the audit trail); adapters may not send it",
                shown(name)
            ));
        }
        if TRANSPORT_HEADERS.contains(&lower.as_str()) || lower.starts_with("proxy-") {
            return Err(format!(
                "header `{}` frames or routes the request, so only the host sets it; adapters may not send it (remove it: the host sends the right value itself)",
                shown(name)
            ));
        }
    }
    Ok(())
}

/// `Err` when `parsed` carries a user name or password, naming the URL without them.
pub fn check_userinfo(parsed: &url::Url) -> Result<(), String> {
    if parsed.username().is_empty() && parsed.password().is_none() {
        return Ok(());
    }
    let mut parsed = parsed.clone();
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    Err(format!(
        "the URL {} carries a user name or password (`user:…@`); credentials are the host's: configure them under the adapter's `credentials` in the host config, and send the URL without them",
        crate::untrusted::clean(parsed.as_str(), crate::untrusted::LABEL)
    ))
}

/// A header name as it may appear in a message.
fn shown(name: &str) -> String {
    crate::untrusted::clean(name, 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(name: &str) -> Vec<(String, String)> {
        vec![(name.to_string(), "x".to_string())]
    }

    // Credential, framing and hop-by-hop headers are refused in any letter case, each
    // message naming the header; ordinary headers pass.
    #[test]
    fn headers() {
        for name in ["Authorization", "COOKIE", "proxy-authorization"] {
            let e = check_headers(&h(name)).unwrap_err();
            assert!(e.contains(name) && e.contains("credentials"), "{e}");
        }
        for name in [
            "Host",
            "content-length",
            "Transfer-Encoding",
            "Connection",
            "keep-alive",
            "Proxy-Connection",
            "TE",
            "Trailer",
            "Upgrade",
            "Expect",
        ] {
            let e = check_headers(&h(name)).unwrap_err();
            assert!(
                e.contains(name) && e.contains("only the host sets it"),
                "{e}"
            );
        }
        for name in ["content-type", "accept", "idempotency-key", "x-request-id"] {
            assert!(check_headers(&h(name)).is_ok(), "{name}");
        }
    }

    // A URL with a user name, a password or both is refused without echoing them.
    #[test]
    fn userinfo() {
        for url in [
            "http://user:hunter22@127.0.0.1:9/x",
            "http://user@127.0.0.1:9/x",
            "http://:hunter22@127.0.0.1:9/x",
        ] {
            let e = check_userinfo(&url::Url::parse(url).unwrap()).unwrap_err();
            assert!(e.contains("http://127.0.0.1:9/x"), "{e}");
            assert!(!e.contains("hunter22") && !e.contains("user@"), "{e}");
        }
        assert!(check_userinfo(&url::Url::parse("http://127.0.0.1:9/a@b").unwrap()).is_ok());
    }
}
