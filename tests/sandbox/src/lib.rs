//! An HTTP sandbox that imitates an EHR's cloud API, for end-to-end tests and demos.
//!
//! The sandbox speaks one of two dialects, chosen by [`SandboxConfig::ehr`]: a
//! RevolutionEHR-style REST API that writes an exam section by section
//! (`REVOLUTION-API.md` beside this crate) or an Eyefinity-style API that writes one
//! clinical document per visit (`EYEFINITY-API.md`). It keeps its data in
//! memory, starts from a fixed seed, and can be told to misbehave in the ways real EHR
//! APIs do (expired sessions, rate limits, dropped connections, a template that changed
//! under the client, a write that landed although the client timed out...).
//!
//! Tests run it in-process:
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use ehr_sandbox::{Fault, FaultMode, Sandbox, SandboxConfig};
//!
//! let sandbox = Sandbox::start(SandboxConfig::default()).await?;
//! let base = sandbox.url(); // e.g. "http://127.0.0.1:40123"
//! sandbox.set_fault(Fault::once(FaultMode::RateLimited { retry_after: Some(2) }));
//! // ... drive the adapter against `base` ...
//! let state = sandbox.state();
//! assert_eq!(state.encounters["E5001"].applied_writes, 0);
//! # Ok(()) }
//! ```
//!
//! Scripts and demos run the `ehr-sandbox` binary instead and steer it over HTTP through
//! the `/_sandbox/` control endpoints.
//!
//! The EHR-specific parts live in their own modules (`revolution`, `eyefinity`); faults,
//! auth, idempotency, the request log and the connection handling are shared.

#![warn(missing_docs)]

mod auth;
pub mod cases;
mod config;
mod control;
mod echo;
mod error;
mod eyefinity;
mod faults;
mod gateway;
mod idempotency;
mod ids;
mod revolution;
mod sandbox;
mod server;
mod shared;
mod state;
mod timestamp;

pub use config::{Ehr, SandboxConfig};
pub use faults::{Fault, FaultMode};
pub use sandbox::Sandbox;
pub use state::{Diagnosis, EncounterState, Note, RequestRecord, State};
