//! The hash chain: each entry's hash covers its content and the previous entry's hash,
//! so changing or removing any entry breaks every hash after it.

use super::entry::Entry;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of `e`: SHA-256 of its JSON with `hash` empty (the field order is the
/// struct's, so the bytes are the same wherever it is computed).
pub fn hash_of(e: &Entry) -> String {
    let mut unhashed = e.clone();
    unhashed.hash = String::new();
    let bytes = serde_json::to_vec(&unhashed).expect("an entry always serialises");
    hex::encode(Sha256::digest(&bytes))
}

/// `e` linked after `prev_hash` as entry number `seq`.
pub fn link(mut e: Entry, seq: u64, prev_hash: &str) -> Entry {
    e.seq = seq;
    e.prev_hash = prev_hash.to_string();
    e.hash = hash_of(&e);
    e
}
