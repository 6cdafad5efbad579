//! The instance allocator: the pooling allocator's settings, and which allocator the
//! engine ended up with (the pool needs a large address-space reservation that some
//! machines refuse).

use std::sync::atomic::{AtomicU8, Ordering};

/// Bytes of each linear memory reset with `memset` (only its resident pages, where the
/// kernel can say which: `PAGEMAP_SCAN`, Linux 6.7+) instead of handed back to the kernel
/// with `madvise` when a call's store is dropped. A call of a typical adapter touches
/// well under this much, so the next call in the slot takes no page faults. The memory is
/// still reset to the component's initial image: nothing of one call reaches the next.
pub const MEMORY_KEEP_RESIDENT: usize = 2 << 20;

/// The same for tables (function references: a few KiB per adapter).
pub const TABLE_KEEP_RESIDENT: usize = 64 << 10;

/// Slots kept warm (resident, as above) while unused: bounds what the kept pages can add
/// to the process's resident memory to this many × [`MEMORY_KEEP_RESIDENT`].
pub const WARM_SLOTS: u32 = 16;

/// Which instance allocator the engine runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Allocator {
    /// Memory slots reserved up front and reused from call to call (the fast path).
    Pooling,
    /// Every call maps and unmaps its own memory: slower instantiation. Used when the
    /// machine refused the pool's address-space reservation or `EHR_HOST_POOLING=0`.
    OnDemand,
}

impl std::fmt::Display for Allocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Allocator::Pooling => "pooling",
            Allocator::OnDemand => "on-demand",
        })
    }
}

/// The pooling allocator's settings.
pub fn pooling_config() -> wasmtime::PoolingAllocationConfig {
    let mut p = wasmtime::PoolingAllocationConfig::default();
    p.total_component_instances(512)
        .total_core_instances(4096)
        .total_memories(1024)
        .total_tables(2048)
        .max_memory_size(1 << 30)
        .linear_memory_keep_resident(MEMORY_KEEP_RESIDENT)
        .table_keep_resident(TABLE_KEEP_RESIDENT)
        .max_unused_warm_slots(WARM_SLOTS)
        .pagemap_scan(wasmtime::Enabled::Auto);
    p
}

/// The fallback to on-demand allocation, said once per process however many runtimes
/// are built (tests build many): a `warn`, because every call is slower from then on.
pub fn warn_fallback_once(error: &wasmtime::Error) {
    static SAID: AtomicU8 = AtomicU8::new(0);
    if SAID.swap(1, Ordering::Relaxed) == 0 {
        tracing::warn!(
            "the pooling allocator is unavailable (this machine refused its address-space \
             reservation: {error:#}); using on-demand allocation, so every adapter call \
             instantiates more slowly. Raise the virtual memory limit (`ulimit -v`) to get \
             it back."
        );
    }
}
