//! The operator's configuration (`<home>/config.toml`): limits, and per adapter the
//! capabilities granted, the settings it reads and the credentials the host injects.
//!
//! ```toml
//! [limits]
//! memory_mb = 64          # per call
//! timeout_secs = 30       # per call, wall clock
//!
//! [databases.ehr]                 # a local EHR database, by label
//! driver = "mysql"                 # or "mssql"
//! host = "192.168.1.10"
//! port = 3306
//! database = "crystalpm"
//! user = "doctora"
//! password_env = "CRYSTALPM_DB_PASSWORD"   # or `password = "..."`
//! connect_timeout_secs = 5
//! query_timeout_secs = 15
//! pool_size = 4
//!
//! [adapters.revolution]
//! http = ["https://practice.revolutionehr.com"]   # origins granted
//! databases = []                                   # database labels granted
//!
//! [adapters.revolution.settings]
//! base_url = "https://practice.revolutionehr.com"
//!
//! [[adapters.revolution.credentials]]
//! origin = "https://practice.revolutionehr.com"
//! kind = "oauth2"                 # or "bearer" with `token` / `token_env`
//! token_url = "https://practice.revolutionehr.com/oauth/token"
//! client_id = "ehr-host"
//! client_secret_env = "REVOLUTION_CLIENT_SECRET"
//! ```

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The whole configuration file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Per-call limits for every adapter.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// Database connections by label (`[databases.ehr]`), granted to adapters by label.
    #[serde(default)]
    pub databases: BTreeMap<String, DatabaseConfig>,
    /// Per-adapter grants, settings and credentials, by adapter id.
    #[serde(default)]
    pub adapters: BTreeMap<String, AdapterConfig>,
    /// The practice's schedule-sync settings (`[schedule]`: approved appointment types,
    /// enabled providers, lead time, insurance requirement, time zone).
    #[serde(default)]
    pub schedule: crate::schedule::SyncPolicy,
}

/// Which driver a database connection uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DbDriver {
    /// MySQL or MariaDB (CrystalPM), through `mysql_async`.
    Mysql,
    /// Microsoft SQL Server (OfficeMate), through `tiberius`.
    Mssql,
}

/// How a SQL Server connection is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DbEncryption {
    /// Everything encrypted; the connection fails if the server cannot (the default).
    Required,
    /// Only the login (with the password) is encrypted.
    LoginOnly,
    /// Nothing encrypted. Only for servers without TLS, such as test emulators.
    None,
}

/// One named database connection. The password is held by the host only: it is never
/// shown to an adapter, and never appears in a message or in `Debug` output.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// The driver.
    pub driver: DbDriver,
    /// Server host name or address.
    pub host: String,
    /// Server port (default: 3306 for MySQL, 1433 for SQL Server).
    #[serde(default)]
    pub port: Option<u16>,
    /// The database (schema) name.
    pub database: String,
    /// The user name.
    pub user: String,
    /// The password, inline (prefer `password_env`).
    #[serde(default)]
    pub password: Option<String>,
    /// The environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// Seconds to wait for a connection.
    #[serde(default = "default_connect_timeout_secs")]
    pub connect_timeout_secs: u64,
    /// Seconds one statement may take.
    #[serde(default = "default_query_timeout_secs")]
    pub query_timeout_secs: u64,
    /// Most connections open at once to this database, shared by all calls.
    #[serde(default = "default_pool_size")]
    pub pool_size: usize,
    /// SQL Server only: `required` (default), `login-only` or `none`.
    #[serde(default)]
    pub encryption: Option<DbEncryption>,
    /// SQL Server only: accept the server's TLS certificate without checking who issued
    /// it (the self-signed certificate SQL Server makes for itself).
    #[serde(default)]
    pub trust_server_certificate: bool,
}

fn default_connect_timeout_secs() -> u64 {
    5
}
fn default_query_timeout_secs() -> u64 {
    15
}
fn default_pool_size() -> usize {
    4
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("driver", &self.driver)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("password_env", &self.password_env)
            .field("encryption", &self.encryption)
            .finish_non_exhaustive()
    }
}

/// Per-call limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Linear memory an adapter instance may use, MiB.
    #[serde(default = "default_memory_mb")]
    pub memory_mb: u64,
    /// Wall-clock time one call may take, seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Largest HTTP response body handed to an adapter, MiB.
    #[serde(default = "default_http_body_mb")]
    pub http_body_mb: u64,
}

fn default_memory_mb() -> u64 {
    64
}
fn default_timeout_secs() -> u64 {
    30
}
fn default_http_body_mb() -> u64 {
    8
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            memory_mb: default_memory_mb(),
            timeout_secs: default_timeout_secs(),
            http_body_mb: default_http_body_mb(),
        }
    }
}

/// What the operator grants one adapter.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdapterConfig {
    /// HTTP origins granted (`scheme://host[:port]`).
    #[serde(default)]
    pub http: Vec<String>,
    /// Database labels granted.
    #[serde(default)]
    pub databases: Vec<String>,
    /// Settings the adapter reads through `config`.
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// Credentials the host injects, per origin.
    #[serde(default)]
    pub credentials: Vec<Credential>,
}

/// A credential for one origin. Secrets may be given inline or, better, named by an
/// environment variable (`*_env`) so the file holds no secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Credential {
    /// A static bearer token.
    Bearer {
        /// The origin it is sent to.
        origin: String,
        /// The token.
        #[serde(default)]
        token: Option<String>,
        /// The environment variable holding the token.
        #[serde(default)]
        token_env: Option<String>,
    },
    /// OAuth2 client credentials; the host fetches, caches and refreshes the token.
    Oauth2 {
        /// The origin the token is sent to.
        origin: String,
        /// The token endpoint.
        token_url: String,
        /// The client id.
        client_id: String,
        /// The client secret.
        #[serde(default)]
        client_secret: Option<String>,
        /// The environment variable holding the client secret.
        #[serde(default)]
        client_secret_env: Option<String>,
        /// Requested scope, if the EHR wants one.
        #[serde(default)]
        scope: Option<String>,
    },
}

impl Credential {
    /// The origin this credential belongs to.
    pub fn origin(&self) -> &str {
        match self {
            Credential::Bearer { origin, .. } | Credential::Oauth2 { origin, .. } => origin,
        }
    }
}

/// An inline secret, or the value of its environment variable; an error names what is
/// missing.
pub fn resolve_secret(inline: &Option<String>, env: &Option<String>, what: &str) -> Result<String> {
    if let Some(v) = inline {
        return Ok(v.clone());
    }
    if let Some(var) = env {
        return std::env::var(var)
            .with_context(|| format!("{what}: environment variable `{var}` is not set"));
    }
    anyhow::bail!("{what}: neither an inline value nor an `_env` variable is configured")
}

impl Config {
    /// Loads `path`; a missing file is the default (empty) configuration. A file holding
    /// inline secrets that other users can read gets a warning naming it and the fix.
    pub fn load(path: &Path) -> Result<Config> {
        let config: Config = match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text)
                .with_context(|| format!("config file {} is not valid", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        if let Some(warning) = config.exposure_warning(path) {
            tracing::warn!("{warning}");
        }
        Ok(config)
    }

    /// True when the file itself holds a secret: an inline token, client secret or
    /// database password (rather than the name of an environment variable holding it).
    pub fn has_inline_secrets(&self) -> bool {
        let credentials = self
            .adapters
            .values()
            .flat_map(|a| &a.credentials)
            .any(|c| {
                matches!(
                    c,
                    Credential::Bearer { token: Some(_), .. }
                        | Credential::Oauth2 {
                            client_secret: Some(_),
                            ..
                        }
                )
            });
        credentials || self.databases.values().any(|d| d.password.is_some())
    }

    /// The warning for a config at `path` holding inline secrets that other users of the
    /// computer can read, if that is the case.
    pub fn exposure_warning(&self, path: &Path) -> Option<String> {
        if !self.has_inline_secrets() {
            return None;
        }
        crate::fsutil::exposure_warning(path, "inline secrets (tokens, client secrets or database passwords)")
            .map(|w| format!("{w}, or move the secrets into environment variables (`token_env`, `client_secret_env`, `password_env`)"))
    }

    /// The configuration for adapter `id` (empty when absent: nothing granted).
    pub fn adapter(&self, id: &str) -> AdapterConfig {
        self.adapters.get(id).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A full example parses, including both credential kinds; a typo in a key is refused
    // rather than silently ignored.
    #[test]
    fn parses_example_and_refuses_typos() {
        let text = r#"
            [limits]
            memory_mb = 32
            [adapters.rev]
            http = ["http://127.0.0.1:9"]
            [adapters.rev.settings]
            base_url = "http://127.0.0.1:9"
            [[adapters.rev.credentials]]
            origin = "http://127.0.0.1:9"
            kind = "bearer"
            token = "t"
            [[adapters.rev.credentials]]
            origin = "http://127.0.0.1:10"
            kind = "oauth2"
            token_url = "http://127.0.0.1:10/oauth/token"
            client_id = "c"
            client_secret_env = "SECRET"
        "#;
        let c: Config = toml::from_str(text).unwrap();
        assert_eq!(c.limits.memory_mb, 32);
        assert_eq!(c.limits.timeout_secs, 30);
        assert_eq!(c.adapter("rev").credentials.len(), 2);
        assert!(c.adapter("other").http.is_empty());
        let err = toml::from_str::<Config>("[adapters.rev]\nhtpp = []").unwrap_err();
        assert!(err.to_string().contains("htpp"), "{err}");
        let c: Config = toml::from_str(
            "[databases.ehr]\ndriver = \"mysql\"\nhost = \"h\"\ndatabase = \"d\"\nuser = \"u\"\npassword = \"hunter2\"",
        )
        .unwrap();
        let db = &c.databases["ehr"];
        assert_eq!(
            (db.driver, db.query_timeout_secs, db.pool_size),
            (DbDriver::Mysql, 15, 4)
        );
        assert!(!format!("{c:?}").contains("hunter2"));
        let err = toml::from_str::<Config>(
            "[databases.ehr]\ndriver = \"oracle\"\nhost = \"h\"\ndatabase = \"d\"\nuser = \"u\"",
        )
        .unwrap_err();
        assert!(err.to_string().contains("oracle"), "{err}");
    }

    // A config with an inline secret that others can read gets a warning naming the file
    // and `chmod 600`; private, or holding only `_env` names, it gets none.
    #[test]
    fn inline_secrets_readable_by_others_are_flagged() {
        use crate::platform::private;
        let dir = std::env::temp_dir().join(format!("ehr-config-{}", std::process::id()));
        // A private folder, as the agent's home is: under Wine, restricting a file in an
        // ordinary folder kept the folder's "Everyone" entry (seen only there).
        let _ = std::fs::remove_dir_all(&dir);
        private::create_dir(&dir).unwrap();
        let path = dir.join("config.toml");
        let inline = "[[adapters.rev.credentials]]\norigin = \"http://a:1\"\nkind = \"bearer\"\ntoken = \"tok\"\n";
        std::fs::write(&path, inline).unwrap();
        private::open_to_everyone(&path).unwrap();
        let c = Config::load(&path).unwrap();
        let w = c.exposure_warning(&path).unwrap();
        assert!(
            w.contains("config.toml") && w.contains("other users"),
            "{w}"
        );
        #[cfg(unix)]
        assert!(w.contains("chmod 600"), "{w}");
        private::restrict(&path).unwrap();
        assert_eq!(c.exposure_warning(&path), None);
        let env_only = inline.replace("token = ", "token_env = ");
        std::fs::write(&path, env_only).unwrap();
        private::open_to_everyone(&path).unwrap();
        assert!(Config::load(&path)
            .unwrap()
            .exposure_warning(&path)
            .is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
