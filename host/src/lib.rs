//! # ehr-host
//!
//! The host that carries AI-scribe encounter data into EHRs through signed WebAssembly
//! adapters. The library is organised one concern per module:
//!
//! - [`audit`]: the hash-chained audit trail of write attempts, by transaction id;
//! - [`package`]: the signed package format, keys, trust store and verification;
//! - [`store`]: installed adapters on disk, with atomic installs and rollback;
//! - [`registry`]: signed registries: publishing, verified pulls, resolution, package cache;
//! - [`agent`]: the running agent: adapter slots, hot reload, automatic rollback;
//! - [`hub`]: the server practices' agents pair with: intake, routing, its own workers;
//! - [`link`]: the agent's link to a hub (its protocol shared with the hub);
//! - [`status`]: one typed status model for the agent's and the hub's views;
//! - [`runtime`]: wasmtime engine, per-call stores, limits and the contract bindings;
//! - [`capabilities`]: what the host lends adapters (http, sql, log, config, grants);
//! - [`schedule`]: the schedule-sync rules (why an appointment does not sync);
//! - [`snapshot`], [`report`], [`remediation`]: job input, per-field output and the
//!   plain-words advice users get for each failure;
//! - [`config`], [`home`], [`contract`], [`catalog`]: configuration and reference data;
//! - [`untrusted`]: making adapter, EHR and manifest text safe to show and log;
//! - [`platform`]: what differs between Unix and Windows (private files, stop signals);
//! - [`service`]: running the agent unattended (a Windows service, a systemd unit);
//! - [`cli`]: the `ehr-host` command line, a thin layer over the rest.

pub mod agent;
pub mod alerts;
pub mod audit;
pub mod capabilities;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod config;
pub mod contract;
pub mod fsutil;
pub mod home;
pub mod host;
pub mod hub;
pub mod jobs;
pub mod link;
pub mod metrics;
pub mod package;
pub mod platform;
pub mod registry;
pub mod remediation;
pub mod report;
pub mod runtime;
pub mod schedule;
pub mod service;
pub mod snapshot;
pub mod status;
pub mod store;
pub mod support;
pub mod untrusted;
