//! The hub's secrets: pairing codes, API keys and session tokens are random, shown once,
//! and stored only as their SHA-256; comparisons take the same time whatever matches.

use crate::link::protocol::{CODE_ALPHABET, CODE_LEN};
use anyhow::{anyhow, Result};
use sha2::Digest;

/// The prefix of every API key, so a key found in a log or a repository is recognised.
pub const API_KEY_PREFIX: &str = "ehk_";

/// SHA-256 of `text`, hex.
pub fn hash(text: &str) -> String {
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// Equal, in time that does not depend on where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| anyhow!("no randomness available: {e}"))?;
    Ok(b)
}

/// A new pairing code in canonical form (`BCDFGHJK`). 28^8 ≈ 3.8·10^11 codes; each is
/// single use and expires in minutes, and wrong guesses are rate limited.
pub fn new_pair_code() -> Result<String> {
    let alphabet = CODE_ALPHABET.as_bytes();
    let mut code = String::with_capacity(CODE_LEN);
    // Rejection sampling keeps every character equally likely.
    let limit = 256 - (256 % alphabet.len());
    while code.len() < CODE_LEN {
        for b in random_bytes::<16>()? {
            if (b as usize) < limit && code.len() < CODE_LEN {
                code.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    Ok(code)
}

/// A canonical code shown as people read it: `BCDF-GHJK`.
pub fn show_code(code: &str) -> String {
    let (a, b) = code.split_at(code.len() / 2);
    format!("{a}-{b}")
}

/// A new API key: its public id and the whole key (`ehk_<id>_<secret>`).
pub fn new_api_key() -> Result<(String, String)> {
    let id = hex::encode(random_bytes::<6>()?);
    let secret = hex::encode(random_bytes::<20>()?);
    Ok((id.clone(), format!("{API_KEY_PREFIX}{id}_{secret}")))
}

/// The public id of an API key, when it has the shape of one.
pub fn api_key_id(key: &str) -> Option<&str> {
    let rest = key.strip_prefix(API_KEY_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    (id.len() == 12 && secret.len() == 40).then_some(id)
}

/// A new random token (32 bytes, hex): session tokens, the admin token.
pub fn new_token() -> Result<String> {
    Ok(hex::encode(random_bytes::<32>()?))
}

/// A new agent id (`agt_` and 16 hex characters).
pub fn new_agent_id() -> Result<String> {
    Ok(format!("agt_{}", hex::encode(random_bytes::<8>()?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::protocol::normalize_code;

    // Codes use the unambiguous alphabet only, read back as they are shown, and differ.
    #[test]
    fn pair_codes() {
        let a = new_pair_code().unwrap();
        assert_eq!(a.len(), 8);
        assert!(a.chars().all(|c| CODE_ALPHABET.contains(c)), "{a}");
        assert_eq!(normalize_code(&show_code(&a)).unwrap(), a);
        assert_ne!(a, new_pair_code().unwrap());
    }

    // API keys carry their id; anything else has none.
    #[test]
    fn api_keys() {
        let (id, key) = new_api_key().unwrap();
        assert_eq!(api_key_id(&key), Some(id.as_str()));
        assert_eq!(api_key_id("ehk_short_x"), None);
        assert_eq!(api_key_id("Bearer x"), None);
        assert!(same(&hash(&key), &hash(&key)));
        assert!(!same(&hash(&key), &hash("other")));
    }
}
