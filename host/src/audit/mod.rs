//! The audit trail: one entry per write attempt, keyed by a transaction id that also
//! travels to the EHR (an `x-transaction-id` request header over HTTP, the job ledger row
//! over SQL), so both sides' logs can be compared by transaction id — the "dual-log
//! analysis" support teams rely on.
//!
//! Entries hold ids, versions, times and per-field outcomes — never clinical text — and
//! are kept apart from the job store (snapshots are deleted; the trail is not). The file
//! is append-only and hash-chained ([`chain`]): each entry carries the SHA-256 of the
//! previous one, and a head file records the count and the last hash, so a changed,
//! removed or truncated entry is detected by [`AuditLog::verify`].

mod chain;
mod entry;
mod log;

pub use entry::{Entry, FieldOutcomeLine, Query};
pub use log::{AuditLog, Verified};

/// A new transaction id: 16 random bytes in hex.
pub fn new_transaction_id() -> String {
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).expect("randomness is available");
    hex::encode(raw)
}
