//! The host's home directory and what lives in it.
//!
//! ```text
//! <home>/config.toml        operator settings and grants
//! <home>/trust.json         trusted and revoked publisher keys
//! <home>/adapters/<id>/     installed versions and state.json (current, previous)
//! <home>/cache/             compiled code, keyed by package hash and engine
//! <home>/jobs.sqlite        the embedded job queue
//! <home>/jobs.key           the key that encrypts job snapshots at rest
//! <home>/api.token          the bearer token of the local job API
//! <home>/registries/        registries pulled from: list.json, <name>/root.json, index.json
//! <home>/packages/          packages downloaded from registries, by SHA-256 (offline installs)
//! <home>/pins.json          version ranges pinned per adapter
//! <home>/agent-status.json  what a running agent serves, and its recent events
//! ```

use std::path::{Path, PathBuf};

/// Paths under one home directory.
#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// The home at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Home {
        Home { root: root.into() }
    }

    /// `$EHR_HOST_HOME`, else `~/.ehr-host`, else `./.ehr-host`.
    pub fn default_root() -> PathBuf {
        if let Some(h) = std::env::var_os("EHR_HOST_HOME") {
            return PathBuf::from(h);
        }
        match std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE")) {
            Some(h) => Path::new(&h).join(".ehr-host"),
            None => PathBuf::from(".ehr-host"),
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The operator's config file.
    pub fn config(&self) -> PathBuf {
        self.root.join("config.toml")
    }

    /// The trust store file.
    pub fn trust(&self) -> PathBuf {
        self.root.join("trust.json")
    }

    /// Where installed adapters live.
    pub fn adapters(&self) -> PathBuf {
        self.root.join("adapters")
    }

    /// The key that encrypts job snapshots at rest.
    pub fn jobs_key(&self) -> PathBuf {
        self.root.join("jobs.key")
    }

    /// The bearer token of the local job API.
    pub fn api_token(&self) -> PathBuf {
        self.root.join("api.token")
    }

    /// Where a running agent's job API listens (written at start).
    pub fn api_addr(&self) -> PathBuf {
        self.root.join("api.addr")
    }

    /// The embedded job queue (SQLite).
    pub fn jobs(&self) -> PathBuf {
        self.root.join("jobs.sqlite")
    }

    /// Registries this host pulls from, and their verified documents.
    pub fn registries(&self) -> PathBuf {
        self.root.join("registries")
    }

    /// Packages downloaded from registries, by hash.
    pub fn packages(&self) -> PathBuf {
        self.root.join("packages")
    }

    /// Version ranges pinned per adapter.
    pub fn pins(&self) -> PathBuf {
        self.root.join("pins.json")
    }

    /// What a running agent serves.
    pub fn agent_status(&self) -> PathBuf {
        self.root.join("agent-status.json")
    }

    /// The compiled-code cache.
    pub fn cache(&self) -> PathBuf {
        self.root.join("cache")
    }
}
