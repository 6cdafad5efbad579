//! SQL against local EHR databases (CrystalPM on MySQL/MariaDB, OfficeMate on SQL
//! Server), through connections the host holds: [`databases`] are the operator's named
//! connections and their pools, shared by all calls; [`mysql`] is the MySQL driver and [`mssql`] the SQL Server one (with its
//! [`mssql_pool`] and [`mssql_values`]);
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
pub mod mssql;
pub mod mssql_pool;
pub mod mssql_values;
pub mod mysql;
pub mod transaction;
pub mod value;

use super::grants::Grants;
use super::waiting::EhrWait;
use databases::{Database, Databases};
use std::sync::Arc;
use transaction::{OpenTransactions, Slot};
pub use value::{SqlFailure, SqlRows, SqlValue, Want};

/// The SQL capability of one call: the adapter's grants, the shared databases, and the
/// transactions this call has open.
pub struct SqlCapability {
    grants: Arc<Grants>,
    databases: Arc<Databases>,
    open: OpenTransactions,
    wait: EhrWait,
}

impl SqlCapability {
    /// A capability enforcing `grants` over `databases`.
    pub fn new(grants: Arc<Grants>, databases: Arc<Databases>) -> Self {
        SqlCapability {
            grants,
            databases,
            open: OpenTransactions::default(),
            wait: EhrWait::new(),
        }
    }

    /// Records the statements of this call in `wait`, so a call that runs out of time
    /// while waiting on the database is told apart from a guest that never yields.
    pub fn with_wait(mut self, wait: EhrWait) -> Self {
        self.wait = wait;
        self
    }

    /// Checks that `label` is granted and usable; returns the shared databases (a clone
    /// of the handle, so the call's own transactions can be borrowed alongside).
    fn granted(&self, label: &str) -> Result<Arc<Databases>, SqlFailure> {
        self.grants
            .check_database(label)
            .map_err(SqlFailure::Denied)?;
        self.databases.get(label)?;
        Ok(self.databases.clone())
    }

    /// Runs a statement that returns rows on `label` (inside its open transaction, if
    /// any).
    pub async fn query(
        &mut self,
        label: &str,
        statement: &str,
        params: &[SqlValue],
    ) -> Result<SqlRows, SqlFailure> {
        Ok(self.run(label, Want::Rows, statement, params).await?.0)
    }

    /// Runs a statement that changes data on `label`; returns the rows-affected count
    /// the server reported.
    pub async fn execute(
        &mut self,
        label: &str,
        statement: &str,
        params: &[SqlValue],
    ) -> Result<u64, SqlFailure> {
        Ok(self.run(label, Want::Count, statement, params).await?.1)
    }

    async fn run(
        &mut self,
        label: &str,
        want: Want,
        statement: &str,
        params: &[SqlValue],
    ) -> Result<(SqlRows, u64), SqlFailure> {
        let _waiting = self.wait.enter();
        let databases = self.granted(label)?;
        let db: &Database = databases.get(label)?;
        let tx = match self.open.get_mut(label) {
            Some(Slot::Aborted(why)) => {
                return Err(SqlFailure::Failed(format!(
                    "the transaction on `{label}` already ended ({why}); nothing in it was committed: roll back"
                )))
            }
            Some(Slot::Open(tx)) => Some(tx),
            None => return db.run(None, want, statement, params).await,
        };
        let result = db.run(tx, want, statement, params).await;
        // A lost connection or a timeout ends the transaction on the server's side.
        if let Err(e @ (SqlFailure::Unreachable(_) | SqlFailure::Timeout(_))) = &result {
            self.open.abort(label, e.to_string());
        }
        result
    }

    /// Opens a transaction on `label`.
    pub async fn begin(&mut self, label: &str) -> Result<(), SqlFailure> {
        let _waiting = self.wait.enter();
        let databases = self.granted(label)?;
        if self.open.contains(label) {
            return Err(SqlFailure::Failed(format!(
                "a transaction is already open on `{label}`: commit or roll it back first"
            )));
        }
        let tx = databases.get(label)?.begin().await?;
        self.open.insert(label, tx);
        Ok(())
    }

    /// Commits the transaction open on `label`.
    pub async fn commit(&mut self, label: &str) -> Result<(), SqlFailure> {
        let _waiting = self.wait.enter();
        let databases = self.granted(label)?;
        match self.open.remove(label) {
            None => Err(SqlFailure::Failed(format!(
                "no transaction is open on `{label}`"
            ))),
            Some(Slot::Aborted(why)) => Err(SqlFailure::Failed(format!(
                "cannot commit on `{label}`: the transaction already ended ({why}) and nothing in it was committed"
            ))),
            Some(Slot::Open(tx)) => databases.get(label)?.commit(tx).await,
        }
    }

    /// Rolls back the transaction open on `label` (an already-ended one is fine).
    pub async fn rollback(&mut self, label: &str) -> Result<(), SqlFailure> {
        let _waiting = self.wait.enter();
        let databases = self.granted(label)?;
        match self.open.remove(label) {
            None => Err(SqlFailure::Failed(format!(
                "no transaction is open on `{label}`"
            ))),
            Some(Slot::Aborted(_)) => Ok(()),
            Some(Slot::Open(tx)) => databases.get(label)?.rollback(tx).await,
        }
    }

    /// Ends the call: rolls back every transaction still open and returns the labels
    /// rolled back. A rollback that fails still ends the transaction: the driver
    /// discards the connection, and the server rolls back what it held.
    pub async fn finish(&mut self) -> Vec<String> {
        let mut labels = Vec::new();
        for (label, tx) in self.open.take_all() {
            let result = match self.databases.get(&label) {
                Ok(db) => db.rollback(tx).await,
                Err(_) => Ok(()),
            };
            if let Err(e) = result {
                tracing::warn!(database = %label, "rollback at the end of the call failed, the connection is discarded: {e}");
            }
            labels.push(label);
        }
        labels
    }
}
