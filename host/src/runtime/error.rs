//! How an adapter call can fail, as the host sees it.

use super::bindings::latest::AdapterError;
use crate::capabilities::secrets::returned::{self, TextFn};
use std::time::Duration;

/// The failure of one call into an adapter.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The adapter returned one of the contract's typed errors.
    #[error("{}", super::bindings::describe_error(.0))]
    Adapter(AdapterError),
    /// The call ran past its wall-clock limit while waiting on the EHR (or just after
    /// its answer came) and was stopped: the EHR was slow, a retry can succeed.
    #[error("the adapter did not finish within {}s and was stopped", .limit.as_secs_f32())]
    TimedOut {
        /// The limit.
        limit: Duration,
    },
    /// The call ran past its wall-clock limit computing, without waiting on the EHR: a
    /// guest that never yields (an endless loop), which no retry will cure.
    #[error("the adapter kept computing for {}s without waiting on the EHR and was stopped at its {}s limit: it never yields, which is a bug in the adapter", .computing.as_secs(), .limit.as_secs_f32())]
    Hung {
        /// The limit.
        limit: Duration,
        /// How long it had been computing without a host call when stopped.
        computing: Duration,
    },
    /// The adapter tried to use more memory than allowed.
    #[error("the adapter exceeded its memory limit of {} MiB and was stopped", .limit >> 20)]
    MemoryExceeded {
        /// The limit, bytes.
        limit: usize,
    },
    /// The adapter trapped (panicked, hit `unreachable`, overflowed its stack, ...): a bug
    /// in the adapter.
    #[error("the adapter crashed: {message}")]
    Trapped {
        /// What the trap and the adapter's last stderr output said.
        message: String,
    },
    /// The adapter returned a result larger than allowed.
    #[error("the adapter returned {size} bytes of results, more than the {limit} byte limit")]
    OutputTooLarge {
        /// Result size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The host could not run the adapter at all (instantiation failed).
    #[error("the host could not run the adapter: {0:#}")]
    Host(anyhow::Error),
}

impl CallError {
    /// The error with the adapter's own text (its typed error, its stderr in a trap)
    /// passed through `f`; the host's own words stay as they are.
    pub fn map_adapter_text(self, f: TextFn) -> CallError {
        match self {
            CallError::Adapter(e) => CallError::Adapter(returned::adapter_error(e, f)),
            CallError::Trapped { message } => CallError::Trapped {
                message: f(message),
            },
            other => other,
        }
    }
}

/// Where the shadow stack of a Rust (or C) guest lands when it overflows: it lives at the
/// bottom of linear memory and grows down, so running off its end wraps the stack pointer
/// to the top of the 32-bit address space. No real memory access goes that high (the
/// memory limit is far lower).
const WRAPPED_STACK: u64 = 0xFF00_0000;

/// The words for a trap: its kind, with a stack overflow named as such whether the
/// engine's own call stack ran out or the guest's stack in linear memory did (which the
/// engine can only see as an out-of-bounds access at a wrapped-around address).
pub(crate) fn trap_words(e: &wasmtime::Error) -> String {
    match e.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::StackOverflow) => {
            "stack overflow: the adapter recursed too deeply and ran out of stack (call stack exhausted)".to_string()
        }
        Some(wasmtime::Trap::MemoryOutOfBounds)
            if fault_address(e).is_some_and(|a| a >= WRAPPED_STACK) =>
        {
            format!(
                "stack overflow: the adapter ran out of stack (its stack pointer wrapped to wasm address {:#x})",
                fault_address(e).unwrap_or_default()
            )
        }
        Some(t) => t.to_string(),
        None => format!("{e:#}"),
    }
}

/// The wasm address of a memory fault, from the context the engine attaches to the
/// trap ("memory fault at wasm address 0x… in linear memory of size 0x…").
fn fault_address(e: &wasmtime::Error) -> Option<u64> {
    e.chain().find_map(|cause| {
        let text = cause.to_string();
        let rest = text.split("memory fault at wasm address 0x").nth(1)?;
        let hex: String = rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        u64::from_str_radix(&hex, 16).ok()
    })
}
