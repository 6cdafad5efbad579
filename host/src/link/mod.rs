//! The agent's side of the link to a hub: pairing, authenticated requests, the job poll,
//! lease renewals, results kept until acknowledged, and heartbeats. The wire protocol is
//! in [`protocol`] (types) and `PROTOCOL.md` (rules).

pub mod protocol;
