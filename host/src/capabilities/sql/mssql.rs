//! Microsoft SQL Server (OfficeMate) through tiberius: a pool per database label
//! ([`super::mssql_pool`]), typed values ([`super::mssql_values`]), transactions on a
//! connection of their own, and the mapping of server errors to [`SqlFailure`].
//!
//! A transaction is `BEGIN TRANSACTION` on a checked-out connection that is not returned
//! to the pool until `COMMIT` or `ROLLBACK` has succeeded. If the call ends any other
//! way, the connection is closed instead, and the server rolls back what it held.
//!
//! Known limits, kept visible rather than papered over: a NULL parameter is sent as an
//! `nvarchar` NULL (SQL Server converts it to any non-binary column); rows-affected counts
//! are whatever the server reports (the `iridium_server` emulator reports 0 for inserts
//! and updates, so adapters must not rely on them, as the contract says). The emulator
//! also reports most failures (NOT NULL, duplicate keys, lock conflicts) as its generic
//! error 50000, which arrives as `failed` with the server's words, not as `constraint`;
//! and it encodes `date`/`datetime2` result columns in a way no TDS client can read
//! (the stream ends in a protocol error, and that connection is discarded), so adapters
//! that must also run against it select dates as ISO text with `CONVERT`.

use super::mssql_pool::{Client, Pool, Pooled};
use super::mssql_values::{from_column, to_params};
use super::value::{scrub, SqlFailure, SqlRows, Want};
use crate::config::{DatabaseConfig, DbEncryption};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tiberius::{AuthMethod, Config, EncryptionLevel, Query};
use tokio::net::TcpStream;
use tokio_util::compat::TokioAsyncWriteCompatExt;

/// One SQL Server database label: its connection settings, pool and limits.
pub struct MssqlDb {
    label: String,
    address: String,
    user: String,
    config: Config,
    pool: Arc<Pool>,
    secret: String,
    connect_timeout: Duration,
    query_timeout: Duration,
}

/// An open transaction: the connection it runs on, out of the pool until it ends.
pub struct MssqlTx(Pooled);

impl MssqlDb {
    /// Settings and an empty pool for `cfg` (no connection is made until a statement
    /// needs one).
    pub fn new(label: &str, cfg: &DatabaseConfig, password: String) -> MssqlDb {
        let port = cfg.port.unwrap_or(1433);
        let mut config = Config::new();
        config.host(&cfg.host);
        config.port(port);
        config.database(&cfg.database);
        config.application_name("ehr-host");
        config.authentication(AuthMethod::sql_server(&cfg.user, &password));
        config.encryption(match cfg.encryption.unwrap_or(DbEncryption::Required) {
            DbEncryption::Required => EncryptionLevel::Required,
            DbEncryption::LoginOnly => EncryptionLevel::Off,
            DbEncryption::None => EncryptionLevel::NotSupported,
        });
        if cfg.trust_server_certificate {
            config.trust_cert();
        }
        MssqlDb {
            label: label.to_string(),
            address: format!("{}:{port}", cfg.host),
            user: cfg.user.clone(),
            config,
            pool: Pool::new(cfg.pool_size),
            secret: password,
            connect_timeout: Duration::from_secs(cfg.connect_timeout_secs.max(1)),
            query_timeout: Duration::from_secs(cfg.query_timeout_secs.max(1)),
        }
    }

    /// Runs a statement inside `tx` when one is given, else on a pooled connection for
    /// this statement only. `Want::Rows` returns the first result set; `Want::Count` the
    /// rows-affected count the server reported.
    pub async fn run(
        &self,
        tx: Option<&mut MssqlTx>,
        want: Want,
        statement: &str,
        params: &[super::value::SqlValue],
    ) -> Result<(SqlRows, u64), SqlFailure> {
        let params = to_params(params)?;
        match tx {
            Some(tx) => {
                self.timed(exec(tx.0.client(), want, statement, params))
                    .await
            }
            None => {
                let mut conn = self.connect().await?;
                let out = self
                    .timed(exec(conn.client(), want, statement, params))
                    .await?;
                conn.release_clean();
                Ok(out)
            }
        }
    }

    /// Opens a transaction on a connection of its own.
    pub async fn begin(&self) -> Result<MssqlTx, SqlFailure> {
        let mut conn = self.connect().await?;
        self.timed(simple(conn.client(), "BEGIN TRANSACTION"))
            .await?;
        Ok(MssqlTx(conn))
    }

    /// Commits `tx`; its connection returns to the pool.
    pub async fn commit(&self, mut tx: MssqlTx) -> Result<(), SqlFailure> {
        self.timed(simple(tx.0.client(), "COMMIT TRANSACTION"))
            .await?;
        tx.0.release_clean();
        Ok(())
    }

    /// Rolls back `tx`; its connection returns to the pool. A transaction the server
    /// already ended (error 3903, "no corresponding BEGIN TRANSACTION") counts as rolled
    /// back. (`IF @@TRANCOUNT > 0 ROLLBACK` would say the same in one statement, but the
    /// `iridium_server` emulator refuses transaction control inside `IF`.)
    pub async fn rollback(&self, mut tx: MssqlTx) -> Result<(), SqlFailure> {
        self.timed(async {
            match simple(tx.0.client(), "ROLLBACK TRANSACTION").await {
                Err(e) if e.code() == Some(3903) => Ok(()),
                other => other,
            }
        })
        .await?;
        tx.0.release_clean();
        Ok(())
    }

    async fn connect(&self) -> Result<Pooled, SqlFailure> {
        let open = self.pool.get(|| self.open_connection());
        match tokio::time::timeout(self.connect_timeout, open).await {
            Err(_) => Err(SqlFailure::Unreachable(format!(
                "no connection to database `{}` at {} within {}s",
                self.label,
                self.address,
                self.connect_timeout.as_secs()
            ))),
            Ok(r) => r,
        }
    }

    async fn open_connection(&self) -> Result<Client, SqlFailure> {
        let tcp = TcpStream::connect(self.config.get_addr())
            .await
            .map_err(|e| self.map_error(e.into()))?;
        let _ = tcp.set_nodelay(true);
        Client::connect(self.config.clone(), tcp.compat_write())
            .await
            .map_err(|e| match e {
                // Whatever its number (18456 on SQL Server, 50000 on the emulator), a
                // server error during login is the server refusing this account.
                tiberius::error::Error::Server(t) => scrub(
                    SqlFailure::Denied(format!(
                        "database `{}` at {}: the server refused the login of `{}`: {} (error {})",
                        self.label,
                        self.address,
                        self.user,
                        t.message(),
                        t.code()
                    )),
                    &self.secret,
                ),
                // The TCP connection stands, so a TLS failure here is a mismatch of
                // encryption settings (rustls reports it as I/O), not an outage.
                tiberius::error::Error::Io { message, .. }
                    if message.to_ascii_lowercase().contains("tls") =>
                {
                    self.tls_refused(&message)
                }
                other => self.map_error(other),
            })
    }

    fn tls_refused(&self, detail: &str) -> SqlFailure {
        SqlFailure::Denied(format!(
            "database `{}` at {}: the encrypted connection could not be set up ({detail}); check `encryption` (does the server offer TLS?) and `trust_server_certificate` in [databases.{}]",
            self.label, self.address, self.label
        ))
    }

    async fn timed<T>(
        &self,
        fut: impl Future<Output = Result<T, tiberius::error::Error>>,
    ) -> Result<T, SqlFailure> {
        match tokio::time::timeout(self.query_timeout, fut).await {
            Err(_) => Err(SqlFailure::Timeout(format!(
                "statement on database `{}` did not finish within {}s",
                self.label,
                self.query_timeout.as_secs()
            ))),
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(self.map_error(e)),
        }
    }

    /// Maps a driver error to the contract's kinds, naming the label and address but
    /// never the password. A lost connection also empties the pool: its idle
    /// connections went with the server.
    fn map_error(&self, e: tiberius::error::Error) -> SqlFailure {
        use tiberius::error::Error;
        let at = format!("database `{}` at {}", self.label, self.address);
        let failure = match &e {
            Error::Io { message, .. } => {
                self.pool.clear();
                SqlFailure::Unreachable(format!("{at}: {message}"))
            }
            Error::Tls(m) => self.tls_refused(m),
            Error::Server(t) => {
                let detail = format!("{at}: {} (error {})", t.message(), t.code());
                classify_server_error(t.code(), detail)
            }
            other => SqlFailure::Failed(format!("{at}: {other}")),
        };
        scrub(failure, &self.secret)
    }
}

/// SQL Server error numbers to the contract's kinds.
fn classify_server_error(code: u32, detail: String) -> SqlFailure {
    match code {
        // Unique index / primary key, foreign key or CHECK, NOT NULL.
        2601 | 2627 | 547 | 515 => SqlFailure::Constraint(detail),
        // Login failed, database cannot be opened, permission denied: configuration.
        18456 | 4060 | 229 | 230 | 262 => SqlFailure::Denied(format!(
            "the server refused the configured account: {detail}"
        )),
        // Chosen as deadlock victim, lock request time-out: try again later.
        1205 | 1222 => SqlFailure::Timeout(detail),
        // Server shutting down, session killed.
        6005 | 6006 | 596 => SqlFailure::Unreachable(detail),
        // Everything else, including `iridium_server`'s generic 50000 (which it also
        // uses for NOT NULL violations): reported as the server said it.
        _ => SqlFailure::Failed(detail),
    }
}

async fn simple(client: &mut Client, sql: &str) -> Result<(), tiberius::error::Error> {
    client.simple_query(sql).await?.into_results().await?;
    Ok(())
}

async fn exec(
    client: &mut Client,
    want: Want,
    statement: &str,
    params: Vec<super::mssql_values::Param>,
) -> Result<(SqlRows, u64), tiberius::error::Error> {
    let mut query = Query::new(statement.to_string());
    for p in params {
        query.bind(p);
    }
    match want {
        Want::Count => {
            let result = query.execute(client).await?;
            Ok((SqlRows::default(), result.total()))
        }
        Want::Rows => {
            let mut stream = query.query(client).await?;
            let columns = stream
                .columns()
                .await?
                .map(|cols| cols.iter().map(|c| c.name().to_string()).collect())
                .unwrap_or_default();
            let rows = stream
                .into_first_result()
                .await?
                .iter()
                .map(|row| row.cells().map(|(_, data)| from_column(data)).collect())
                .collect();
            Ok((SqlRows { columns, rows }, 0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Server error numbers land in the contract's kinds: constraints, configuration
    // problems, retryable contention; anything unknown (the emulator's 50000 too) is a
    // plain failure carrying the server's words.
    #[test]
    fn server_errors_are_classified() {
        let d = || "x".to_string();
        assert!(matches!(
            classify_server_error(2627, d()),
            SqlFailure::Constraint(_)
        ));
        assert!(matches!(
            classify_server_error(515, d()),
            SqlFailure::Constraint(_)
        ));
        assert!(matches!(
            classify_server_error(18456, d()),
            SqlFailure::Denied(m) if m.contains("refused the configured account")
        ));
        assert!(matches!(
            classify_server_error(1205, d()),
            SqlFailure::Timeout(_)
        ));
        assert!(matches!(
            classify_server_error(50000, d()),
            SqlFailure::Failed(_)
        ));
    }
}
