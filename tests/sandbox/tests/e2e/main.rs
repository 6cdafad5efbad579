//! End-to-end tests: a real sandbox on a loopback port, driven over HTTP with reqwest.
//! One test binary (with modules) keeps link time down.

mod appointments;
mod auth;
mod common;
mod control;
mod exam;
mod eyefinity;
mod faults;
mod idempotency;
