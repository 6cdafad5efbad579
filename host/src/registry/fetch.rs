//! Reading registry files over HTTP(S) or from a local folder, never more than a limit,
//! and never from outside the registry.
//!
//! A path the index names is percent-decoded before it is checked, because that is how a
//! web server reads it (`packages/%2e%2e/%2e%2e/outside.ehrpkg` is `../../outside.ehrpkg`
//! to it), and the URL it resolves to is checked again: it must lie under the registry's
//! own address. A folder registry reads the decoded path, under its folder only.

use super::RegistryRefusal;
use std::path::PathBuf;
use std::time::Duration;

/// Where a registry lives.
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    /// A web server or object store (`http://`, `https://`).
    Http(url::Url),
    /// A local or shared folder (`file://` URL or plain path).
    Dir(PathBuf),
}

/// Why a fetch produced no bytes.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The file does not exist there (HTTP 404, or no such file).
    #[error("{0} does not exist")]
    NotFound(String),
    /// The registry could not be reached or answered with an error.
    #[error("{0}")]
    Unreachable(String),
    /// More bytes than allowed.
    #[error(transparent)]
    Refused(#[from] RegistryRefusal),
}

impl Location {
    /// Parses a registry address: `http(s)://…`, `file://…` or a folder path.
    pub fn parse(text: &str) -> anyhow::Result<Location> {
        if text.starts_with("http://") || text.starts_with("https://") {
            let mut url =
                url::Url::parse(text).map_err(|e| anyhow::anyhow!("`{text}` is not a URL: {e}"))?;
            if !url.path().ends_with('/') {
                url.set_path(&format!("{}/", url.path()));
            }
            return Ok(Location::Http(url));
        }
        if text.starts_with("file://") {
            let url =
                url::Url::parse(text).map_err(|e| anyhow::anyhow!("`{text}` is not a URL: {e}"))?;
            let path = url
                .to_file_path()
                .map_err(|_| anyhow::anyhow!("`{text}` is not a local file URL"))?;
            return Ok(Location::Dir(path));
        }
        if text.contains("://") {
            anyhow::bail!(
                "registry `{text}`: only http://, https://, file:// and folder paths are supported"
            );
        }
        Ok(Location::Dir(std::path::absolute(text)?))
    }

    /// The address of `rel` inside the registry, for messages.
    pub fn describe(&self, rel: &str) -> String {
        match self {
            Location::Http(u) => u.join(rel).map(|u| u.to_string()).unwrap_or_default(),
            Location::Dir(d) => d.join(rel).display().to_string(),
        }
    }
}

/// Reads `rel` from the registry at `loc`, refusing more than `limit` bytes.
pub async fn fetch(
    client: &reqwest::Client,
    loc: &Location,
    rel: &str,
    limit: u64,
) -> Result<Vec<u8>, FetchError> {
    let decoded = contained(rel)?;
    let where_ = loc.describe(rel);
    let too_large = || {
        FetchError::Refused(RegistryRefusal::TooLarge {
            what: where_.clone(),
            limit,
        })
    };
    match loc {
        Location::Dir(dir) => {
            let path = dir.join(&decoded);
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(FetchError::NotFound(where_))
                }
                Err(e) => {
                    return Err(FetchError::Unreachable(format!(
                        "cannot read {where_}: {e}"
                    )))
                }
            };
            if meta.len() > limit {
                return Err(too_large());
            }
            std::fs::read(&path)
                .map_err(|e| FetchError::Unreachable(format!("cannot read {where_}: {e}")))
        }
        Location::Http(base) => {
            let url = base
                .join(rel)
                .map_err(|e| FetchError::Unreachable(format!("bad path {rel}: {e}")))?;
            check_under(base, &url, rel)?;
            let mut resp = client
                .get(url)
                .timeout(Duration::from_secs(60))
                .send()
                .await
                .map_err(|e| FetchError::Unreachable(format!("cannot reach {where_}: {e}")))?;
            if resp.status() == reqwest::StatusCode::NOT_FOUND {
                return Err(FetchError::NotFound(where_));
            }
            if !resp.status().is_success() {
                return Err(FetchError::Unreachable(format!(
                    "{where_} answered HTTP {}",
                    resp.status()
                )));
            }
            if resp.content_length().is_some_and(|n| n > limit) {
                return Err(too_large());
            }
            let mut body = Vec::new();
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| FetchError::Unreachable(format!("reading {where_}: {e}")))?
            {
                if body.len() as u64 + chunk.len() as u64 > limit {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        }
    }
}

/// `rel` percent-decoded, when the decoded path stays inside the registry: relative,
/// with no `.`, `..` or empty segment, no backslash, no drive or scheme; else a refusal
/// naming the path and what it decodes to.
pub fn contained(rel: &str) -> Result<String, RegistryRefusal> {
    let decoded = percent_decode(rel);
    match decoded {
        Some(d) if super::index::check_path(&d).is_ok() && !d.contains('\0') => Ok(d),
        other => Err(RegistryRefusal::Malformed(format!(
            "download path `{}` leaves the registry{}; nothing was fetched",
            crate::untrusted::clean(rel, crate::untrusted::LABEL),
            match other {
                Some(d) if d != rel => format!(
                    " (it decodes to `{}`)",
                    crate::untrusted::clean(&d, crate::untrusted::LABEL)
                ),
                Some(_) => String::new(),
                None => " (its percent-encoding is not valid UTF-8)".to_string(),
            }
        ))),
    }
}

/// Refuses a resolved `url` that is not under the registry's `base`: another scheme,
/// host or port, or a path outside the base path.
fn check_under(base: &url::Url, url: &url::Url, rel: &str) -> Result<(), FetchError> {
    let inside = url.scheme() == base.scheme()
        && url.host_str() == base.host_str()
        && url.port_or_known_default() == base.port_or_known_default()
        && url.path().starts_with(base.path());
    if inside {
        return Ok(());
    }
    Err(FetchError::Refused(RegistryRefusal::Malformed(format!(
        "download path `{}` resolves to {}, outside the registry at {base}; nothing was fetched",
        crate::untrusted::clean(rel, crate::untrusted::LABEL),
        crate::untrusted::clean(url.as_str(), crate::untrusted::LABEL)
    ))))
}

/// `text` with every `%XX` decoded; `None` when the result is not UTF-8. A `%` not
/// followed by two hex digits stays as it is.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Encoded dot segments, slashes and backslashes are decoded before the check, and
    // refused with a message that shows what they decode to; ordinary paths pass.
    #[test]
    fn encoded_escapes_are_refused() {
        for bad in [
            "packages/%2e%2e/%2e%2e/outside.ehrpkg",
            "packages/%2E%2E/x.ehrpkg",
            "packages%2f..%2fx",
            "packages/%5c..%5cx",
            "%2fetc%2fpasswd",
            "packages/%00x",
            "packages/%ff.ehrpkg",
        ] {
            let e = contained(bad).unwrap_err().to_string();
            assert!(e.contains("leaves the registry"), "{bad}: {e}");
        }
        let e = contained("packages/%2e%2e/%2e%2e/outside.ehrpkg")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("decodes to `packages/../../outside.ehrpkg`"),
            "{e}"
        );
        assert_eq!(
            contained("packages/a/a-1.0.0.ehrpkg").unwrap(),
            "packages/a/a-1.0.0.ehrpkg"
        );
        assert_eq!(
            contained("packages/a%20b.ehrpkg").unwrap(),
            "packages/a b.ehrpkg"
        );
    }

    // A resolved URL must stay under the registry's base address.
    #[test]
    fn resolved_urls_stay_under_the_base() {
        let base = url::Url::parse("http://127.0.0.1:9/reg/").unwrap();
        let inside = base.join("packages/x.ehrpkg").unwrap();
        assert!(check_under(&base, &inside, "x").is_ok());
        for outside in [
            "http://127.0.0.1:9/outside.ehrpkg",
            "http://evil:9/reg/x",
            "https://127.0.0.1:9/reg/x",
        ] {
            let url = url::Url::parse(outside).unwrap();
            assert!(check_under(&base, &url, "x").is_err(), "{outside}");
        }
    }

    // URLs get a trailing slash so relative paths join under them; plain paths are folders.
    #[test]
    fn locations() {
        let Location::Http(u) = Location::parse("http://127.0.0.1:8080/reg").unwrap() else {
            panic!()
        };
        assert_eq!(
            u.join("index.json").unwrap().as_str(),
            "http://127.0.0.1:8080/reg/index.json"
        );
        assert!(matches!(
            Location::parse("/srv/reg").unwrap(),
            Location::Dir(_)
        ));
        assert!(Location::parse("ftp://x").is_err());
    }

    // A local file over the limit is refused as too large without being read.
    #[tokio::test]
    async fn size_limit_on_folders() {
        let dir = std::env::temp_dir().join(format!("ehr-fetch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("big"), vec![0u8; 100]).unwrap();
        let loc = Location::Dir(dir.clone());
        let client = reqwest::Client::new();
        assert!(matches!(
            fetch(&client, &loc, "big", 10).await,
            Err(FetchError::Refused(RegistryRefusal::TooLarge { .. }))
        ));
        assert_eq!(fetch(&client, &loc, "big", 100).await.unwrap().len(), 100);
        assert!(matches!(
            fetch(&client, &loc, "none", 10).await,
            Err(FetchError::NotFound(_))
        ));
        let _ = std::fs::remove_dir_all(dir);
    }
}
