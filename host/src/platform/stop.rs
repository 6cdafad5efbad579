//! The request to stop a long-running command (the agent, the hub, a registry server):
//! SIGINT or SIGTERM on Unix (Ctrl+C, `systemctl stop`); on Windows Ctrl+C, Ctrl+Break,
//! closing the console window, shutdown, or the service manager's stop, which the
//! service code passes on with [`request`].

use std::sync::OnceLock;
use tokio::sync::Notify;

/// The stop asked for from inside the process (the Windows service's stop control).
fn requested_here() -> &'static Notify {
    static STOP: OnceLock<Notify> = OnceLock::new();
    STOP.get_or_init(Notify::new)
}

/// Asks the process to stop as if it had received a stop signal; kept until someone
/// waits, so a request made before [`requested`] is first awaited is not lost.
pub fn request() {
    requested_here().notify_one();
}

/// Waits until the process is asked to stop.
pub async fn requested() {
    tokio::select! {
        _ = requested_here().notified() => {}
        _ = os_signal() => {}
    }
}

/// Waits for SIGINT or SIGTERM.
#[cfg(unix)]
async fn os_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(e) => {
            tracing::warn!("cannot listen for SIGTERM ({e}); only Ctrl+C stops this process");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Waits for Ctrl+C, Ctrl+Break, the console closing or the system shutting down.
#[cfg(windows)]
async fn os_signal() {
    use tokio::signal::windows::{ctrl_break, ctrl_close, ctrl_shutdown};
    // Without a console (a service), only some of these can be listened for.
    let mut brk = ctrl_break().ok();
    let mut close = ctrl_close().ok();
    let mut shutdown = ctrl_shutdown().ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        Some(_) = async { brk.as_mut()?.recv().await } => {}
        Some(_) = async { close.as_mut()?.recv().await } => {}
        Some(_) = async { shutdown.as_mut()?.recv().await } => {}
    }
}

#[cfg(test)]
mod tests {
    // A stop requested before anyone waits is still seen by the first waiter.
    #[tokio::test]
    async fn request_before_wait_is_kept() {
        super::request();
        tokio::time::timeout(std::time::Duration::from_secs(30), super::requested())
            .await
            .expect("the stop request was lost");
    }
}
