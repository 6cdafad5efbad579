//! Schedule sync: the practice guide's rules for which appointments sync and why the
//! others do not ([`rules`], [`reason`]), checked against each practice's settings
//! ([`policy`]).

pub mod policy;
pub mod reason;
pub mod rules;
pub mod sync;

pub use policy::SyncPolicy;
pub use reason::{Effect, Reason};
pub use rules::{check, Practice, Verdict};
