//! The data of one call's `Store`: a WASI context that grants nothing, the memory
//! limiter, and the capabilities lent to the adapter for this call. Built fresh for every
//! call and dropped after it, so nothing of one patient's data outlives its call.

use super::job::JobControl;
use super::limits::MemoryLimiter;
use crate::capabilities::http::HttpCapability;
use crate::capabilities::log::CallLog;
use crate::capabilities::sql::SqlCapability;
use crate::capabilities::waiting::EhrWait;
use std::collections::BTreeMap;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// How much of an adapter's stderr (panic messages) is kept for error reports.
const STDERR_CAPACITY: usize = 16 * 1024;

/// Per-call store data.
pub struct CallState {
    /// Built on the adapter's first WASI call: most calls make none (a `describe`, an
    /// instantiation), and building it (two random generators, clocks, streams) is a
    /// measurable part of a call's fixed cost.
    wasi: Option<WasiCtx>,
    table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) http: HttpCapability,
    pub(crate) sql: SqlCapability,
    pub(crate) settings: Arc<BTreeMap<String, String>>,
    pub(crate) log: CallLog,
    pub(crate) stderr: MemoryOutputPipe,
    /// The write job this call works on, when it is one: its cancel and progress.
    pub(crate) job: Option<Arc<JobControl>>,
    /// Whether a host call (HTTP, SQL) is in flight and when the last one ended: how a
    /// call that ran out of time is classified.
    pub(crate) wait: EhrWait,
}

impl CallState {
    /// A call's state. The WASI context has no preopened directories, no environment,
    /// no arguments, no stdin and no network: the only way out is through the
    /// capabilities. Clocks and randomness are real; stderr is captured for bug reports.
    /// `wait` must be the record `http` and `sql` report their calls to.
    pub fn new(
        memory_limit: usize,
        http: HttpCapability,
        sql: SqlCapability,
        settings: Arc<BTreeMap<String, String>>,
        log: CallLog,
        wait: EhrWait,
    ) -> CallState {
        CallState {
            wasi: None,
            table: ResourceTable::new(),
            limiter: MemoryLimiter::new(memory_limit),
            http,
            sql,
            settings,
            log,
            stderr: MemoryOutputPipe::new(STDERR_CAPACITY),
            job: None,
            wait,
        }
    }

    /// `Err` with the words for the adapter when its job was cancelled: the host's
    /// capabilities call this before every request and statement.
    pub fn before_io(&self) -> Result<(), String> {
        match &self.job {
            Some(job) => job.before_io(),
            None => Ok(()),
        }
    }

    /// The last lines the adapter wrote to stderr (a Rust panic message lands here).
    pub fn stderr_tail(&self) -> String {
        let bytes = self.stderr.contents();
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim();
        let start = text
            .char_indices()
            .rev()
            .nth(1500)
            .map(|(i, _)| i)
            .unwrap_or(0);
        text[start..].to_string()
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let stderr = &self.stderr;
        WasiCtxView {
            ctx: self.wasi.get_or_insert_with(|| wasi_ctx(stderr)),
            table: &mut self.table,
        }
    }
}

/// The WASI context of a call: no preopened directories, no environment, no arguments,
/// no stdin and no network; real clocks and randomness; stderr into `stderr`.
fn wasi_ctx(stderr: &MemoryOutputPipe) -> WasiCtx {
    WasiCtxBuilder::new()
        .stderr(stderr.clone())
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }))
        .build()
}
