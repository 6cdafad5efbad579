//! One typed status model, read by everything that shows an agent's health: the agent's
//! own `ehr-host status` ([`agent`]), and the hub's `hub agents`, its intake and admin
//! APIs ([`hub`]). The states are the ones the user guides name: *Connected*,
//! *Disconnected*, *Local EHR server unreachable*, *Pairing expired*, *Agent needs
//! update*, *Agent not running*.

pub mod agent;
pub mod hub;
pub mod local;
