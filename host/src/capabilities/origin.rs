//! HTTP origins (`scheme://host:port`) and the patterns that match them.

/// The origin of `url`, normalised to `scheme://host:port` (default ports made explicit,
/// host lower-cased), or an error naming what is wrong with the URL.
pub fn of_url(url: &str) -> Result<String, String> {
    of_parsed(&parse(url)?, url)
}

/// `url` parsed, or the words for why it is not a URL.
pub fn parse(url: &str) -> Result<url::Url, String> {
    url::Url::parse(url).map_err(|e| format!("`{url}` is not a valid URL: {e}"))
}

/// [`of_url`] for a URL parsed already (`url` is its text as given, for the messages).
pub fn of_parsed(u: &url::Url, url: &str) -> Result<String, String> {
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!("`{url}` is not an http or https URL"));
    }
    let host = u.host_str().ok_or_else(|| format!("`{url}` has no host"))?;
    let port = u
        .port_or_known_default()
        .ok_or_else(|| format!("`{url}` has no port"))?;
    Ok(format!(
        "{}://{}:{}",
        u.scheme(),
        host.to_ascii_lowercase(),
        port
    ))
}

/// True when `origin` (normalised) matches `pattern`: a literal origin, or one with a
/// leading `*.` host label or a `*` port.
pub fn matches(pattern: &str, origin: &str) -> bool {
    let Some((pscheme, prest)) = pattern.split_once("://") else {
        return false;
    };
    let Some((oscheme, orest)) = origin.split_once("://") else {
        return false;
    };
    if !pscheme.eq_ignore_ascii_case(oscheme) {
        return false;
    }
    let (ohost, oport) = orest.rsplit_once(':').unwrap_or((orest, ""));
    let prest = prest.trim_end_matches('/');
    let (phost, pport) = match prest.rsplit_once(':') {
        Some((h, p)) if !h.contains(']') || h.ends_with(']') => (h, Some(p)),
        _ => (prest, None),
    };
    let default_port = if pscheme.eq_ignore_ascii_case("https") {
        "443"
    } else {
        "80"
    };
    let port_ok = match pport {
        Some("*") => true,
        Some(p) => p == oport,
        None => oport == default_port,
    };
    let phost = phost.to_ascii_lowercase();
    let host_ok = match phost.strip_prefix("*.") {
        Some(suffix) => ohost.len() > suffix.len() + 1 && ohost.ends_with(&format!(".{suffix}")),
        None => phost == ohost,
    };
    port_ok && host_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    // Origins are normalised: default ports explicit, host lower-case, path dropped.
    #[test]
    fn normalises() {
        assert_eq!(
            of_url("https://API.Example.com/x?y").unwrap(),
            "https://api.example.com:443"
        );
        assert_eq!(
            of_url("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(of_url("ftp://x").unwrap_err().contains("not an http"));
        assert!(of_url("nonsense").is_err());
    }

    // Literal, wildcard-host and wildcard-port patterns match exactly what they say and
    // nothing else (no suffix tricks, no scheme downgrade).
    #[test]
    fn pattern_matching() {
        assert!(matches(
            "https://api.example.com",
            "https://api.example.com:443"
        ));
        assert!(!matches(
            "https://api.example.com",
            "http://api.example.com:80"
        ));
        assert!(!matches(
            "https://api.example.com",
            "https://api.example.com:8443"
        ));
        assert!(matches(
            "https://*.example.com",
            "https://a.example.com:443"
        ));
        assert!(!matches("https://*.example.com", "https://example.com:443"));
        assert!(!matches(
            "https://*.example.com",
            "https://evilexample.com:443"
        ));
        assert!(matches("http://127.0.0.1:*", "http://127.0.0.1:5555"));
        assert!(!matches("http://127.0.0.1:*", "http://127.0.0.2:5555"));
    }
}
