//! The agent as a Windows service: registered to start at boot as LocalSystem, with its
//! home under ProgramData (created private to SYSTEM and Administrators), restarted by
//! the service manager when it fails, and stopped cleanly: the manager's stop or
//! shutdown becomes the same stop request as Ctrl+C ([`crate::platform::stop`]), the
//! service reports "stop pending" while the job in hand is finished and recorded, then
//! "stopped".

use super::NAME;
use anyhow::{Context, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;
use windows_service::service::{
    ServiceAccess, ServiceAction, ServiceActionType, ServiceControl, ServiceControlAccept,
    ServiceErrorControl, ServiceExitCode, ServiceFailureActions, ServiceFailureResetPeriod,
    ServiceInfo, ServiceStartType, ServiceState, ServiceStatus, ServiceType,
};
use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};
use windows_service::{define_windows_service, service_dispatcher};

/// How long the service manager is told a stop may take: the job in hand finishing.
const STOP_WAIT: Duration = Duration::from_secs(120);

/// The home the service manager started the service with (`--home` on its command line).
static HOME: OnceLock<PathBuf> = OnceLock::new();

define_windows_service!(ffi_service_main, service_main);

/// Registers the service: `exe --home HOME service dispatch`, started automatically at
/// boot as LocalSystem, restarted after a failure. Needs an Administrator.
pub fn install(exe: &Path, home: &Path) -> Result<()> {
    crate::platform::private::create_dir(home)
        .with_context(|| format!("cannot create the service's home {}", home.display()))?;
    let manager = manager(ServiceManagerAccess::CONNECT | ServiceManagerAccess::CREATE_SERVICE)?;
    let info = ServiceInfo {
        name: NAME.into(),
        display_name: "ehr-host agent".into(),
        service_type: ServiceType::OWN_PROCESS,
        start_type: ServiceStartType::AutoStart,
        error_control: ServiceErrorControl::Normal,
        executable_path: exe.to_path_buf(),
        launch_arguments: vec![
            "--home".into(),
            home.as_os_str().to_owned(),
            "service".into(),
            "dispatch".into(),
        ],
        dependencies: vec![],
        account_name: None,
        account_password: None,
    };
    let service = manager
        .create_service(&info, ServiceAccess::CHANGE_CONFIG | ServiceAccess::START)
        .context("cannot register the ehr-host service (is it already installed? `ehr-host service uninstall` removes it)")?;
    service.set_description(
        "Writes AI-scribe encounter data into this practice's EHR. `ehr-host status` shows its state.",
    )?;
    let restart = ServiceAction {
        action_type: ServiceActionType::Restart,
        delay: Duration::from_secs(10),
    };
    service.update_failure_actions(ServiceFailureActions {
        reset_period: ServiceFailureResetPeriod::After(Duration::from_secs(86_400)),
        reboot_msg: None,
        command: None,
        actions: Some(vec![restart.clone(), restart.clone(), restart]),
    })?;
    Ok(())
}

/// Stops the service (waiting for the job in hand, see [`stop`]) and removes it; its home
/// and logs are kept.
pub fn uninstall() -> Result<()> {
    let service = open(ServiceAccess::STOP | ServiceAccess::QUERY_STATUS | ServiceAccess::DELETE)?;
    stop_and_wait(&service)?;
    service
        .delete()
        .context("cannot remove the ehr-host service")?;
    Ok(())
}

/// Asks the service manager to start the service.
pub fn start() -> Result<()> {
    let service = open(ServiceAccess::START)?;
    service
        .start::<&str>(&[])
        .context("the service manager did not start ehr-host (see the log under ProgramData\\ehr-host\\logs)")?;
    Ok(())
}

/// Asks the service manager to stop the service and waits until it has stopped: the
/// agent finishes and records the job in hand first, so the program can be replaced or
/// removed as soon as this returns.
pub fn stop() -> Result<()> {
    stop_and_wait(&open(ServiceAccess::STOP | ServiceAccess::QUERY_STATUS)?)
}

/// How often a stop in progress is looked at, and how often a person is told it still is.
const STOP_POLL: Duration = Duration::from_millis(250);
const STOP_SAY: Duration = Duration::from_secs(10);

fn stop_and_wait(service: &windows_service::service::Service) -> Result<()> {
    if service.query_status()?.current_state == ServiceState::Stopped {
        return Ok(());
    }
    service.stop().context("cannot stop the ehr-host service")?;
    let started = std::time::Instant::now();
    let mut said = started;
    while service.query_status()?.current_state != ServiceState::Stopped {
        if started.elapsed() > STOP_WAIT {
            anyhow::bail!(
                "the ehr-host service did not stop within {} s: it may still be finishing a write. \
                 Look at the log under ProgramData\\ehr-host\\logs, then try again",
                STOP_WAIT.as_secs()
            );
        }
        if said.elapsed() >= STOP_SAY {
            eprintln!("still stopping: the agent is finishing the exam it is writing...");
            said = std::time::Instant::now();
        }
        std::thread::sleep(STOP_POLL);
    }
    Ok(())
}

/// The service's state in words ("running", "stopped", …).
pub fn state() -> Result<&'static str> {
    Ok(
        match open(ServiceAccess::QUERY_STATUS)?
            .query_status()?
            .current_state
        {
            ServiceState::Stopped => "stopped",
            ServiceState::StartPending => "starting",
            ServiceState::StopPending => "stopping (finishing the job in hand)",
            ServiceState::Running => "running",
            ServiceState::ContinuePending => "resuming",
            ServiceState::PausePending => "pausing",
            ServiceState::Paused => "paused",
        },
    )
}

fn manager(access: ServiceManagerAccess) -> Result<ServiceManager> {
    ServiceManager::local_computer(None::<&str>, access).context(
        "cannot reach the Windows service manager (run this from an Administrator command prompt)",
    )
}

fn open(access: ServiceAccess) -> Result<windows_service::service::Service> {
    manager(ServiceManagerAccess::CONNECT)?
        .open_service(NAME, access)
        .context("the ehr-host service is not installed, or this account may not manage it: run `ehr-host service install` as Administrator")
}

/// Hands this process to the service manager, which runs the agent on `home` until the
/// service is stopped. Only the service manager starts processes this way.
pub fn dispatch(home: PathBuf) -> Result<()> {
    let _ = HOME.set(home);
    // A service has no console: a panic's message would go nowhere, so it goes to the log.
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        tracing::error!("the ehr-host service failed: {info}");
        default(info);
    }));
    service_dispatcher::start(NAME, ffi_service_main).context(
        "`service dispatch` is run by the Windows service manager; use `ehr-host service start`",
    )?;
    Ok(())
}

fn service_main(_arguments: Vec<OsString>) {
    if let Err(e) = run_service() {
        tracing::error!("the ehr-host service stopped with an error: {e:#}");
    }
}

fn status(state: ServiceState, exit: u32, wait: Duration) -> ServiceStatus {
    ServiceStatus {
        service_type: ServiceType::OWN_PROCESS,
        current_state: state,
        controls_accepted: if state == ServiceState::Running {
            ServiceControlAccept::STOP | ServiceControlAccept::SHUTDOWN
        } else {
            ServiceControlAccept::empty()
        },
        exit_code: ServiceExitCode::Win32(exit),
        checkpoint: u32::from(state == ServiceState::StopPending),
        wait_hint: wait,
        process_id: None,
    }
}

/// Runs the agent until the service manager stops it, reporting each state.
fn run_service() -> Result<()> {
    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
    let handle = service_control_handler::register(NAME, move |control| match control {
        ServiceControl::Stop | ServiceControl::Shutdown | ServiceControl::Preshutdown => {
            let _ = stop_tx.send(());
            ServiceControlHandlerResult::NoError
        }
        ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
        _ => ServiceControlHandlerResult::NotImplemented,
    })?;
    let home = HOME.get().cloned().unwrap_or_else(super::default_home);
    let cli = <crate::cli::Cli as clap::Parser>::try_parse_from([
        OsString::from("ehr-host"),
        "--home".into(),
        home.into_os_string(),
        "run".into(),
    ])?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let agent = runtime.spawn(crate::cli::run(cli));
    handle.set_service_status(status(ServiceState::Running, 0, Duration::ZERO))?;
    tracing::info!("ehr-host service running");
    while !agent.is_finished() {
        match stop_rx.recv_timeout(Duration::from_millis(500)) {
            Ok(()) => {
                tracing::info!("stop requested by the service manager: finishing the job in hand");
                handle.set_service_status(status(ServiceState::StopPending, 0, STOP_WAIT))?;
                crate::platform::stop::request();
                break;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let code = runtime.block_on(agent).unwrap_or(1);
    tracing::info!("ehr-host service stopped (exit code {code})");
    handle.set_service_status(status(ServiceState::Stopped, code as u32, Duration::ZERO))?;
    Ok(())
}
