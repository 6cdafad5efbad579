//! The agent's side of the link to a hub: pairing ([`pairing`], with the [`device`] key),
//! authenticated requests ([`client`], certificate pinning in [`pin`]), and, while the
//! agent runs ([`runner`]), the job poll, lease renewals, results kept until
//! acknowledged ([`ledger`]) and heartbeats with each EHR's connectivity
//! ([`connectivity`]). The wire protocol is in [`protocol`] (types) and `PROTOCOL.md`
//! (rules).

mod attach;
pub mod backoff;
pub mod client;
pub mod connectivity;
pub mod device;
pub mod ledger;
mod loops;
pub mod pairing;
pub mod pin;
pub mod protocol;
pub mod runner;

pub use attach::{attach, AgentLink};
pub use loops::result_of;
pub use runner::{start, LinkOptions, LinkParts, RunningLink};
