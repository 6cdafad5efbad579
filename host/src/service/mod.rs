//! Running the agent unattended, one documented way per platform:
//!
//! - Windows: a service registered with the service manager (`ehr-host service install`),
//!   starting automatically at boot as LocalSystem, its home under ProgramData, logging to
//!   a rotating file there ([`logfile`]), and stopping cleanly: the service manager's stop
//!   becomes the same stop request as Ctrl+C ([`crate::platform::stop`]), so the job in
//!   hand is finished and recorded, or handed back, before the process exits;
//! - Linux: a systemd unit ([`systemd`]) that `ehr-host service install` prints, or
//!   writes where asked; systemd's stop sends SIGTERM, which stops the agent the same way.

pub mod logfile;
pub mod systemd;
#[cfg(windows)]
pub mod windows;

use std::path::PathBuf;

/// The service's name with the service manager (and the systemd unit's).
pub const NAME: &str = "ehr-host";

/// The agent's home when it runs as a service: `%ProgramData%\ehr-host` on Windows
/// (`C:\ProgramData\ehr-host`), `/var/lib/ehr-host` elsewhere.
pub fn default_home() -> PathBuf {
    if cfg!(windows) {
        let data = std::env::var_os("ProgramData").unwrap_or_else(|| r"C:\ProgramData".into());
        PathBuf::from(data).join(NAME)
    } else {
        PathBuf::from("/var/lib").join(NAME)
    }
}

/// The folder of the service's log files in `home`.
pub fn log_dir(home: &std::path::Path) -> PathBuf {
    home.join("logs")
}
