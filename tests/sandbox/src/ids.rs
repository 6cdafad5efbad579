//! Unpredictable-enough identifiers for tokens and request ids.
//!
//! The sandbox's tokens guard nothing of value, so the standard library's randomly keyed
//! hasher is a sufficient source and spares a dependency on a random-number crate.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    // The counter keeps two calls within one clock tick apart.
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    hasher.write_u128(nanos);
    hasher.finish()
}

/// 32 lowercase hex digits.
pub(crate) fn hex128() -> String {
    format!("{:016x}{:016x}", random_u64(), random_u64())
}

/// A UUID-shaped string (`8-4-4-4-12` hex digits), as EHRs put in error bodies for support.
pub(crate) fn uuid_like() -> String {
    let h = hex128();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    // Ids are well-formed and do not repeat.
    #[test]
    fn ids_are_shaped_and_distinct() {
        let a = super::uuid_like();
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
        assert_ne!(super::hex128(), super::hex128());
    }
}
