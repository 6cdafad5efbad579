//! The handle tests hold: starts the server, steers it, and stops it when dropped.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::config::SandboxConfig;
use crate::faults::Fault;
use crate::shared::Shared;
use crate::state::State;

/// A running sandbox server (RevolutionEHR- or Eyefinity-style). Dropping it stops the server and closes
/// every open connection.
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Sandbox {
    /// Starts a sandbox on `127.0.0.1` with a free port chosen by the OS, serving on the
    /// current tokio runtime.
    pub async fn start(cfg: SandboxConfig) -> std::io::Result<Sandbox> {
        Sandbox::start_on(cfg, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Starts a sandbox on `addr` (port 0 lets the OS choose), serving on the current
    /// tokio runtime.
    pub async fn start_on(cfg: SandboxConfig, addr: SocketAddr) -> std::io::Result<Sandbox> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(cfg.clone()));
        let app = match cfg.ehr {
            crate::config::Ehr::Revolution => crate::revolution::router(shared.clone()),
            crate::config::Ehr::Eyefinity => crate::eyefinity::router(shared.clone()),
        };
        let task = tokio::spawn(crate::server::serve(listener, app));
        Ok(Sandbox { addr, shared, task })
    }

    /// Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Makes `fault` the active fault, replacing any other.
    pub fn set_fault(&self, fault: Fault) {
        self.shared.faults.set(fault);
    }

    /// Removes the active fault, if any.
    pub fn clear_fault(&self) {
        self.shared.faults.clear();
    }

    /// Every token issued so far, and every static token, answers 401 `session_expired`
    /// from now on. Tokens issued afterwards are valid.
    pub fn expire_tokens(&self) {
        self.shared.tokens.expire_all();
    }

    /// Restores the seed data, clears the fault, the idempotency store and the request
    /// log, and makes expired tokens valid again.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Signs (RevolutionEHR) or locks (Eyefinity) encounter `id`, as a provider closing
    /// the chart does: later writes to it are refused, keyed replays still answer. `false`
    /// when the seed has no such encounter.
    pub fn sign_encounter(&self, id: &str) -> bool {
        self.shared.sign_encounter(id)
    }

    /// A snapshot of stored data, the request log and the active fault.
    pub fn state(&self) -> State {
        self.shared.state()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}
