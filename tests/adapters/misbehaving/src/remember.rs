//! The `remember` mode: tries to see anything a previous call left behind. A call counts
//! itself in a static (the data segment), scans all of linear memory for a 64-byte mark
//! that only an earlier call could have written, then writes the mark across 256 KiB of
//! heap it never frees and scans again to prove the scan finds what is there.
//!
//! A host that reuses memory between calls without resetting it shows a non-zero count or
//! a mark found before writing; a correct host shows `calls before: 0, marks before: 0`
//! on every call.

use std::sync::atomic::{AtomicU64, Ordering};

/// Calls this instance has seen (starts at 0 in every fresh instance).
static CALLS: AtomicU64 = AtomicU64::new(0);

const MARK_LEN: usize = 64;

/// Byte `i` of the mark. Computed, never stored as a constant, so the mark is not in the
/// component's data segment and only exists in memory where a call wrote it.
fn mark(i: usize) -> u8 {
    (i as u8)
        .wrapping_mul(std::hint::black_box(167))
        .wrapping_add(1)
        ^ 0x3c
}

/// Places where the whole mark sits in linear memory.
fn marks_in_memory() -> usize {
    #[cfg(target_arch = "wasm32")]
    {
        let size = core::arch::wasm32::memory_size(0) * 65536;
        let mut found = 0;
        // From 1: address 0 is the null pointer.
        for at in 1..size - MARK_LEN {
            // SAFETY: every address below the memory size is mapped linear memory.
            let byte = |i: usize| unsafe { core::ptr::read_volatile((at + i) as *const u8) };
            if byte(0) == mark(0) && (1..MARK_LEN).all(|i| byte(i) == mark(i)) {
                found += 1;
            }
        }
        found
    }
    #[cfg(not(target_arch = "wasm32"))]
    0
}

/// The report line: what this call found before it wrote, and after.
pub fn report() -> String {
    let calls_before = CALLS.fetch_add(1, Ordering::SeqCst);
    let marks_before = marks_in_memory();
    let heap: Vec<u8> = (0..256 * 1024).map(|i| mark(i % MARK_LEN)).collect();
    std::mem::forget(std::hint::black_box(heap));
    let marks_after = marks_in_memory();
    format!(
        "calls before: {calls_before}, marks before: {marks_before}, marks after: {marks_after}"
    )
}
