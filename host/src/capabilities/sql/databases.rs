//! The operator's named database connections (`[databases.<label>]`), each with its
//! connection pool, shared by every call of every adapter in the process. A label whose
//! configuration cannot be used (password variable unset, driver not in this build) is
//! kept with the reason, so a call on it fails with that reason rather than a guess.

use super::mysql::MysqlDb;
use super::value::SqlFailure;
use crate::config::{resolve_secret, DatabaseConfig, DbDriver};
use std::collections::BTreeMap;

/// One configured database.
pub enum Database {
    /// A MySQL or MariaDB database.
    Mysql(MysqlDb),
    /// Configured, but not usable; the string says why and what to fix.
    Unavailable(String),
}

/// All configured databases, by label.
#[derive(Default)]
pub struct Databases {
    by_label: BTreeMap<String, Database>,
}

impl Databases {
    /// Builds a pool per label from the operator's configuration. No connection is made
    /// until a statement needs one.
    pub fn from_config(config: &BTreeMap<String, DatabaseConfig>) -> Databases {
        let by_label = config
            .iter()
            .map(|(label, cfg)| (label.clone(), Self::open(label, cfg)))
            .collect();
        Databases { by_label }
    }

    fn open(label: &str, cfg: &DatabaseConfig) -> Database {
        let password = match resolve_secret(
            &cfg.password,
            &cfg.password_env,
            &format!("password of database `{label}`"),
        ) {
            Ok(p) => p,
            Err(e) => return Database::Unavailable(format!("{e:#}")),
        };
        match cfg.driver {
            DbDriver::Mysql => Database::Mysql(MysqlDb::new(label, cfg, password)),
            DbDriver::Mssql => Database::Unavailable(format!(
                "database `{label}` uses driver `mssql` (SQL Server), which this build of the host does not provide yet"
            )),
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
