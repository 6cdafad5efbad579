//! Reading registry files over HTTP(S) or from a local folder, never more than a limit.

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
    let where_ = loc.describe(rel);
    let too_large = || {
        FetchError::Refused(RegistryRefusal::TooLarge {
            what: where_.clone(),
            limit,
        })
    };
    match loc {
        Location::Dir(dir) => {
            let path = dir.join(rel);
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

#[cfg(test)]
mod tests {
    use super::*;

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
