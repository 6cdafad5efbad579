//! SQL against local EHR databases (CrystalPM on MySQL/MariaDB, OfficeMate on SQL
//! Server), through connections the host holds: [`databases`] are the operator's named
//! connections and their pools, shared by all calls; [`mysql`] is the MySQL driver;
//! [`value`] the driver-independent values and failures; [`transaction`] the
//! transactions one call has open.
//!
//! Every statement is checked against the adapter's grants first. Statements are
//! parameterised only (values never enter the SQL text). A transaction the adapter opens
//! lasts until it commits or rolls back; when the call ends any other way (an error, a
//! trap, a deadline) [`SqlCapability::finish`] rolls it back, and if even that cannot run
//! (the call's future was dropped), dropping the driver's transaction makes the pool roll
//! it back before the connection is reused. Passwords never reach the guest or a message.

pub mod databases;
pub mod mysql;
pub mod transaction;
pub mod value;

use super::grants::Grants;
use databases::{Database, Databases};
use std::sync::Arc;
use transaction::{OpenTransactions, Slot, Tx};
pub use value::{SqlFailure, SqlRows, SqlValue};

/// The SQL capability of one call: the adapter's grants, the shared databases, and the
/// transactions this call has open.
pub struct SqlCapability {
    grants: Arc<Grants>,
    databases: Arc<Databases>,
    open: OpenTransactions,
}

impl SqlCapability {
    /// A capability enforcing `grants` over `databases`.
    pub fn new(grants: Arc<Grants>, databases: Arc<Databases>) -> Self {
        SqlCapability {
            grants,
            databases,
            open: OpenTransactions::default(),
        }
    }

    fn database(&self, label: &str) -> Result<&Database, SqlFailure> {
        self.grants
            .check_database(label)
            .map_err(SqlFailure::Denied)?;
        self.databases.get(label)
    }

    /// Runs one statement on `label` (inside its open transaction, if any); returns the
    /// rows and the rows-affected count.
    pub async fn run(
        &mut self,
        label: &str,
        statement: &str,
        params: &[SqlValue],
    ) -> Result<(SqlRows, u64), SqlFailure> {
        let databases = self.databases.clone();
        self.grants
            .check_database(label)
            .map_err(SqlFailure::Denied)?;
        let db = databases.get(label)?;
        let result = match (db, self.open.get_mut(label)) {
            (_, Some(Slot::Aborted(why))) => {
                return Err(SqlFailure::Failed(format!(
                    "the transaction on `{label}` already ended ({why}); nothing in it was committed: roll back"
                )))
            }
            (Database::Mysql(db), Some(Slot::Open(Tx::Mysql(tx)))) => {
                db.run(Some(tx), statement, params).await
            }
            (Database::Mysql(db), None) => return db.run(None, statement, params).await,
            (Database::Unavailable(why), _) => return Err(SqlFailure::Denied(why.clone())),
        };
        // A lost connection or a timeout ends the transaction on the server's side.
        if let Err(e @ (SqlFailure::Unreachable(_) | SqlFailure::Timeout(_))) = &result {
            self.open.abort(label, e.to_string());
        }
        result
    }

    /// Opens a transaction on `label`.
    pub async fn begin(&mut self, label: &str) -> Result<(), SqlFailure> {
        let db = self.database(label)?;
        if self.open.contains(label) {
            return Err(SqlFailure::Failed(format!(
                "a transaction is already open on `{label}`: commit or roll it back first"
            )));
        }
        let tx = match db {
            Database::Mysql(db) => Tx::Mysql(db.begin().await?),
            Database::Unavailable(why) => return Err(SqlFailure::Denied(why.clone())),
        };
        self.open.insert(label, tx);
        Ok(())
    }

    /// Commits the transaction open on `label`.
    pub async fn commit(&mut self, label: &str) -> Result<(), SqlFailure> {
        let databases = self.databases.clone();
        self.database(label)?;
        match (databases.get(label)?, self.open.remove(label)) {
            (_, None) => Err(SqlFailure::Failed(format!(
                "no transaction is open on `{label}`"
            ))),
            (_, Some(Slot::Aborted(why))) => Err(SqlFailure::Failed(format!(
                "cannot commit on `{label}`: the transaction already ended ({why}) and nothing in it was committed"
            ))),
            (Database::Mysql(db), Some(Slot::Open(Tx::Mysql(tx)))) => db.commit(tx).await,
            (Database::Unavailable(why), _) => Err(SqlFailure::Denied(why.clone())),
        }
    }

    /// Rolls back the transaction open on `label` (an already-ended one is fine).
    pub async fn rollback(&mut self, label: &str) -> Result<(), SqlFailure> {
        let databases = self.databases.clone();
        self.database(label)?;
        match (databases.get(label)?, self.open.remove(label)) {
            (_, None) => Err(SqlFailure::Failed(format!(
                "no transaction is open on `{label}`"
            ))),
            (_, Some(Slot::Aborted(_))) => Ok(()),
            (Database::Mysql(db), Some(Slot::Open(Tx::Mysql(tx)))) => db.rollback(tx).await,
            (Database::Unavailable(why), _) => Err(SqlFailure::Denied(why.clone())),
        }
    }

    /// Ends the call: rolls back every transaction still open and returns the labels
    /// rolled back. A rollback that fails still ends the transaction: the driver
    /// discards the connection, and the server rolls back what it held.
    pub async fn finish(&mut self) -> Vec<String> {
        let mut labels = Vec::new();
        for (label, tx) in self.open.take_all() {
            let result = match (self.databases.get(&label), tx) {
                (Ok(Database::Mysql(db)), Tx::Mysql(tx)) => db.rollback(tx).await,
                (Ok(Database::Unavailable(_)) | Err(_), _) => Ok(()),
            };
            if let Err(e) = result {
                tracing::warn!(database = %label, "rollback at the end of the call failed, the connection is discarded: {e}");
            }
            labels.push(label);
        }
        labels
    }
}
