//! `service`: run the agent unattended. On Windows it manages the `ehr-host` service
//! with the service manager; on Linux it prints (or writes) the systemd unit and the
//! `systemctl` commands, the one documented way there.

use super::exit;
use crate::home::Home;
use crate::service::{self, logfile::RotatingLog};
use anyhow::Result;
use std::path::PathBuf;

/// The verbs of `service`.
#[derive(clap::Subcommand, Debug)]
pub enum ServiceCommand {
    /// Windows: register the agent as a service that starts at boot (as Administrator).
    /// Linux: print the systemd unit, or write it into --unit-dir.
    Install(InstallArgs),
    /// Windows: stop the service (waiting for the job in hand) and remove it (its home and
    /// logs are kept). Linux: print the commands (and remove the unit from --unit-dir).
    Uninstall(UninstallArgs),
    /// Start the service (Linux: print the systemctl command).
    Start,
    /// Stop the service and wait until it has stopped; the job in hand is finished first
    /// (Linux: print the command).
    Stop,
    /// Whether the service is running (Linux: print the command); `ehr-host status`
    /// gives the agent's own health.
    Status,
    /// Run as the service: started by the Windows service manager, not by people.
    #[command(hide = true)]
    Dispatch,
}

/// Arguments of `service install`.
#[derive(clap::Args, Debug)]
pub struct InstallArgs {
    /// The agent's home when run as a service [default: %ProgramData%\ehr-host on
    /// Windows, /var/lib/ehr-host on Linux].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The ehr-host binary the service runs [default: this one].
    #[arg(long)]
    pub exe: Option<PathBuf>,
    /// Linux: write the unit file into this folder (e.g. /etc/systemd/system) instead of
    /// printing it.
    #[arg(long)]
    pub unit_dir: Option<PathBuf>,
    /// Linux: the system user the unit runs the agent as [default: root].
    #[arg(long)]
    pub user: Option<String>,
}

/// Arguments of `service uninstall`.
#[derive(clap::Args, Debug)]
pub struct UninstallArgs {
    /// Linux: remove the unit file from this folder.
    #[arg(long)]
    pub unit_dir: Option<PathBuf>,
}

/// The rotating log file the service writes (under `<home>/logs`), for `service
/// dispatch` only: every other command logs to stderr.
pub fn log_file(cli: &super::Cli) -> Option<RotatingLog> {
    if !matches!(
        cli.command,
        super::Command::Service(ServiceCommand::Dispatch)
    ) {
        return None;
    }
    let home = cli.home.clone().unwrap_or_else(service::default_home);
    RotatingLog::open(
        &service::log_dir(&home),
        "agent.log",
        service::logfile::MAX_BYTES,
        service::logfile::KEEP,
    )
    .ok()
}

/// Runs a `service` verb.
pub async fn run(home: &Home, c: ServiceCommand) -> Result<i32> {
    match c {
        ServiceCommand::Install(a) => {
            let exe = match a.exe {
                Some(exe) => exe,
                None => std::env::current_exe()?,
            };
            let data_dir = a.data_dir.unwrap_or_else(service::default_home);
            install(&exe, &data_dir, a.unit_dir, a.user.as_deref())
        }
        ServiceCommand::Uninstall(a) => uninstall(a.unit_dir),
        ServiceCommand::Start => verb("start"),
        ServiceCommand::Stop => verb("stop"),
        ServiceCommand::Status => verb("status"),
        ServiceCommand::Dispatch => dispatch(home),
    }
}

#[cfg(windows)]
fn install(
    exe: &std::path::Path,
    data_dir: &std::path::Path,
    _unit_dir: Option<PathBuf>,
    _user: Option<&str>,
) -> Result<i32> {
    service::windows::install(exe, data_dir)?;
    println!(
        "installed the ehr-host service: starts automatically at boot, home {home}, log {log}\\agent.log\n\
         pair it:  \"{exe}\" --home \"{home}\" pair --hub HUB_URL PAIRING_CODE\n\
         start it: \"{exe}\" service start\n\
         check it: \"{exe}\" --home \"{home}\" status",
        home = data_dir.display(),
        log = service::log_dir(data_dir).display(),
        exe = exe.display(),
    );
    Ok(exit::OK)
}

#[cfg(not(windows))]
fn install(
    exe: &std::path::Path,
    data_dir: &std::path::Path,
    unit_dir: Option<PathBuf>,
    user: Option<&str>,
) -> Result<i32> {
    use anyhow::Context as _;
    let unit = service::systemd::unit(exe, data_dir, user);
    match unit_dir {
        Some(dir) => {
            let path = dir.join(service::systemd::file_name());
            crate::fsutil::write_atomic(&path, unit.as_bytes())
                .with_context(|| format!("cannot write the unit file {}", path.display()))?;
            println!("wrote {}", path.display());
            println!("then run: {}", service::systemd::command("install"));
        }
        None => {
            print!("{unit}");
            eprintln!(
                "save this as /etc/systemd/system/{} (or use --unit-dir), then run: {}",
                service::systemd::file_name(),
                service::systemd::command("install")
            );
        }
    }
    Ok(exit::OK)
}

#[cfg(windows)]
fn uninstall(_unit_dir: Option<PathBuf>) -> Result<i32> {
    service::windows::uninstall()?;
    println!("removed the ehr-host service (its home and logs are kept)");
    Ok(exit::OK)
}

#[cfg(not(windows))]
fn uninstall(unit_dir: Option<PathBuf>) -> Result<i32> {
    println!("run: {}", service::systemd::command("uninstall"));
    if let Some(dir) = unit_dir {
        let path = dir.join(service::systemd::file_name());
        match std::fs::remove_file(&path) {
            Ok(()) => println!("removed {}", path.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                println!("{} was not there", path.display())
            }
            Err(e) => return Err(anyhow::anyhow!("cannot remove {}: {e}", path.display())),
        }
    }
    Ok(exit::OK)
}

#[cfg(windows)]
fn verb(verb: &str) -> Result<i32> {
    match verb {
        "start" => {
            service::windows::start()?;
            println!("ehr-host service starting (`ehr-host status` shows when it is green)");
        }
        "stop" => {
            eprintln!("stopping the ehr-host service: the job in hand is finished first...");
            service::windows::stop()?;
            println!("ehr-host service stopped");
        }
        _ => println!("ehr-host service: {}", service::windows::state()?),
    }
    Ok(exit::OK)
}

#[cfg(not(windows))]
fn verb(verb: &str) -> Result<i32> {
    println!("run: {}", service::systemd::command(verb));
    Ok(exit::OK)
}

#[cfg(windows)]
fn dispatch(home: &Home) -> Result<i32> {
    let home = home.root().to_path_buf();
    tokio::task::block_in_place(|| service::windows::dispatch(home))?;
    Ok(exit::OK)
}

#[cfg(not(windows))]
fn dispatch(_home: &Home) -> Result<i32> {
    anyhow::bail!(
        "`service dispatch` is for the Windows service manager; on Linux run the agent with systemd (`ehr-host service install`)"
    )
}
