//! The transactions one call has open, by database label. A transaction that a
//! connection failure or timeout has ended stays recorded as aborted, so later
//! statements on the label fail instead of silently running outside any transaction.
//! When the call ends, [`OpenTransactions::take_all`] hands back whatever is still open
//! so the capability can roll it back.

use super::mssql::MssqlTx;
use super::mysql::MysqlTx;
use std::collections::BTreeMap;

/// An open transaction, per driver.
pub enum Tx {
    /// On a MySQL connection.
    Mysql(MysqlTx),
    /// On a SQL Server connection (boxed: a tiberius client is large).
    Mssql(Box<MssqlTx>),
}

/// The state of a label's transaction in this call.
pub enum Slot {
    /// Open: statements on the label run inside it.
    Open(Tx),
    /// Ended by a failure (the server rolled it back); the string says which.
    Aborted(String),
}

/// A call's transactions, by label.
#[derive(Default)]
pub struct OpenTransactions {
    by_label: BTreeMap<String, Slot>,
}

impl OpenTransactions {
    /// The slot of `label`, if a transaction was begun on it.
    pub fn get_mut(&mut self, label: &str) -> Option<&mut Slot> {
        self.by_label.get_mut(label)
    }

    /// Records a new open transaction.
    pub fn insert(&mut self, label: &str, tx: Tx) {
        self.by_label.insert(label.to_string(), Slot::Open(tx));
    }

    /// Marks `label`'s transaction aborted (dropping the driver's transaction, which
    /// rolls it back if the connection still lives).
    pub fn abort(&mut self, label: &str, why: String) {
        self.by_label.insert(label.to_string(), Slot::Aborted(why));
    }

    /// Removes and returns `label`'s slot.
    pub fn remove(&mut self, label: &str) -> Option<Slot> {
        self.by_label.remove(label)
    }

    /// True when the label has a slot (open or aborted).
    pub fn contains(&self, label: &str) -> bool {
        self.by_label.contains_key(label)
    }

    /// Removes every still-open transaction, for rollback at the end of a call.
    pub fn take_all(&mut self) -> Vec<(String, Tx)> {
        std::mem::take(&mut self.by_label)
            .into_iter()
            .filter_map(|(label, slot)| match slot {
                Slot::Open(tx) => Some((label, tx)),
                Slot::Aborted(_) => None,
            })
            .collect()
    }
}
