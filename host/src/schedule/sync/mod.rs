//! The schedule sync engine: each pass reads an EHR's schedule over the horizon, runs
//! the practice guide's rules ([`crate::schedule::check`]), and records what changed
//! since the last state sent ([`diff`]) in a durable, numbered outbox ([`outbox`]); the
//! loop ([`runner`]) delivers the outbox to the hub, which applies each change once.
//! The agent runs it for its local EHRs ([`agent`], over the link); the hub keeps each
//! practice's synced schedule (`hub::schedule`).

pub mod agent;
pub mod diff;
pub mod model;
pub mod outbox;
pub mod pass;
pub mod runner;

pub use model::{
    ChangeKind, ScheduleChange, SyncOutcome, SyncRun, SyncSettings, SyncedAppointment,
    SyncedPatient, Timing,
};
pub use outbox::Outbox;
pub use runner::SyncSink;
