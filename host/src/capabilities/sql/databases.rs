//! The operator's named database connections (`[databases.<label>]`), each with its
//! connection pool, shared by every call of every adapter in the process. A label whose
//! configuration cannot be used (password variable unset, a setting its driver does not
//! support) is kept with the reason, so a call on it fails with that reason rather than
//! a guess. [`Database`] also dispatches each operation to its driver.

use super::mssql::MssqlDb;
use super::mysql::MysqlDb;
use super::transaction::Tx;
use super::value::{SqlFailure, SqlRows, SqlValue, Want};
use crate::config::{resolve_secret, DatabaseConfig, DbDriver};
use std::collections::BTreeMap;

/// One configured database.
pub enum Database {
    /// A MySQL or MariaDB database.
    Mysql(MysqlDb),
    /// A Microsoft SQL Server database.
    Mssql(MssqlDb),
    /// Configured, but not usable; the string says why and what to fix.
    Unavailable(String),
}

/// All configured databases, by label.
#[derive(Default)]
pub struct Databases {
    by_label: BTreeMap<String, Database>,
    /// The passwords resolved, so each adapter's secret set can redact them.
    passwords: Vec<String>,
}

impl Databases {
    /// Builds a pool per label from the operator's configuration. No connection is made
    /// until a statement needs one.
    pub fn from_config(config: &BTreeMap<String, DatabaseConfig>) -> Databases {
        let by_label = config
            .iter()
            .map(|(label, cfg)| (label.clone(), Self::open(label, cfg)))
            .collect();
        let passwords = config
            .iter()
            .filter_map(|(label, cfg)| Self::password(label, cfg).ok())
            .collect();
        Databases {
            by_label,
            passwords,
        }
    }

    /// Every database password the host holds (to be redacted wherever an adapter's
    /// text goes).
    pub fn passwords(&self) -> &[String] {
        &self.passwords
    }

    fn password(label: &str, cfg: &DatabaseConfig) -> anyhow::Result<String> {
        resolve_secret(
            &cfg.password,
            &cfg.password_env,
            &format!("password of database `{label}`"),
        )
    }

    fn open(label: &str, cfg: &DatabaseConfig) -> Database {
        let password = match Self::password(label, cfg) {
            Ok(p) => p,
            Err(e) => return Database::Unavailable(format!("{e:#}")),
        };
        match cfg.driver {
            DbDriver::Mysql if cfg.encryption.is_some() || cfg.trust_server_certificate => {
                Database::Unavailable(format!(
                    "database `{label}`: `encryption` and `trust_server_certificate` apply to SQL Server (driver = \"mssql\") only; this host's MySQL driver connects without TLS, so remove them from [databases.{label}]"
                ))
            }
            DbDriver::Mysql => Database::Mysql(MysqlDb::new(label, cfg, password)),
            DbDriver::Mssql => Database::Mssql(MssqlDb::new(label, cfg, password)),
        }
    }

    /// The database configured as `label`.
    pub fn get(&self, label: &str) -> Result<&Database, SqlFailure> {
        match self.by_label.get(label) {
            Some(Database::Unavailable(why)) => Err(SqlFailure::Denied(why.clone())),
            Some(db) => Ok(db),
            None => Err(SqlFailure::Denied(format!(
                "database `{label}` is granted but not configured: add a [databases.{label}] section (driver, host, database, user, password_env) to the host config"
            ))),
        }
    }
}

/// A transaction handed to a database of another driver: a host bug, reported as one.
fn mismatched() -> SqlFailure {
    SqlFailure::Failed("internal error: a transaction was used on a database of another driver; nothing in it was committed".into())
}

impl Database {
    /// Runs one statement, inside `tx` when given.
    pub async fn run(
        &self,
        tx: Option<&mut Tx>,
        want: Want,
        statement: &str,
        params: &[SqlValue],
    ) -> Result<(SqlRows, u64), SqlFailure> {
        match (self, tx) {
            (Database::Mysql(db), Some(Tx::Mysql(tx))) => db.run(Some(tx), statement, params).await,
            (Database::Mysql(db), None) => db.run(None, statement, params).await,
            (Database::Mssql(db), Some(Tx::Mssql(tx))) => {
                db.run(Some(tx.as_mut()), want, statement, params).await
            }
            (Database::Mssql(db), None) => db.run(None, want, statement, params).await,
            (Database::Unavailable(why), _) => Err(SqlFailure::Denied(why.clone())),
            _ => Err(mismatched()),
        }
    }

    /// Opens a transaction.
    pub async fn begin(&self) -> Result<Tx, SqlFailure> {
        match self {
            Database::Mysql(db) => Ok(Tx::Mysql(db.begin().await?)),
            Database::Mssql(db) => Ok(Tx::Mssql(Box::new(db.begin().await?))),
            Database::Unavailable(why) => Err(SqlFailure::Denied(why.clone())),
        }
    }

    /// Commits `tx`.
    pub async fn commit(&self, tx: Tx) -> Result<(), SqlFailure> {
        match (self, tx) {
            (Database::Mysql(db), Tx::Mysql(tx)) => db.commit(tx).await,
            (Database::Mssql(db), Tx::Mssql(tx)) => db.commit(*tx).await,
            (Database::Unavailable(why), _) => Err(SqlFailure::Denied(why.clone())),
            _ => Err(mismatched()),
        }
    }

    /// Rolls back `tx`.
    pub async fn rollback(&self, tx: Tx) -> Result<(), SqlFailure> {
        match (self, tx) {
            (Database::Mysql(db), Tx::Mysql(tx)) => db.rollback(tx).await,
            (Database::Mssql(db), Tx::Mssql(tx)) => db.rollback(*tx).await,
            (Database::Unavailable(_), _) => Ok(()),
            _ => Err(mismatched()),
        }
    }
}
