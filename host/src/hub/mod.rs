//! The hub (`ehr-host hub serve`): the server the scribe platform hands write jobs to.
//! Practices' agents pair with it and take their practice's local-EHR jobs over the
//! link ([`link_api`], protocol in `link/PROTOCOL.md`); its own workers write the cloud
//! EHRs ([`workers`]), each practice with its own account where it has one
//! ([`practice_ehrs`]); the scribe platform uses the intake API ([`intake`]) and the
//! operator the admin API ([`admin`]) or the CLI ([`ops`]). Jobs live in the job queue
//! with the practice as scope; everything else in the hub store ([`store`]). How it
//! fits together is in `README.md` beside this file.

pub mod admin;
pub mod console;
pub mod intake;
pub mod link_api;
pub mod ops;
pub mod practice_ehrs;
pub mod ratelimit;
pub mod schedule;
pub mod schedule_cloud;
pub mod secrets;
pub mod server;
pub mod settings;
pub mod state;
pub mod store;
pub mod tls;
mod wake;
pub mod workers;

pub use server::{start, HubOptions, RunningHub};
