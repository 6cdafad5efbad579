//! Snapshots at rest: a job's payload is stored encrypted with the host's key
//! (XChaCha20-Poly1305), bound to its job id, so the queue file or database alone does
//! not give away patient data and a payload cannot be moved to another job. Hosts that
//! share a PostgreSQL queue share the key file.

use anyhow::{bail, Context, Result};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::path::Path;

const MAGIC: &[u8; 8] = b"EHRSEAL1";
const NONCE: usize = 24;

/// Encrypts and decrypts job payloads with one host key.
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    /// A sealer for a 32-byte key.
    pub fn new(key: &[u8; 32]) -> Sealer {
        Sealer {
            cipher: XChaCha20Poly1305::new_from_slice(key).expect("a 32-byte key"),
        }
    }

    /// The key in `path` (64 hex characters), created with a random key (readable by
    /// the owner only) when the file does not exist.
    pub fn load_or_create(path: &Path) -> Result<Sealer> {
        let text = crate::fsutil::read_or_create_secret(path, || {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key)
                .map_err(|e| anyhow::anyhow!("no randomness available: {e}"))?;
            Ok(format!("{}\n", hex::encode(key)).into_bytes())
        })
        .with_context(|| format!("cannot read the job key {}", path.display()))?;
        let key: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .with_context(|| {
                format!(
                    "{} is not a job key (expected 64 hex characters)",
                    path.display()
                )
            })?;
        Ok(Sealer::new(&key))
    }

    /// Encrypts `plain` for job `job_id`.
    pub fn seal(&self, job_id: &str, plain: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE];
        getrandom::fill(&mut nonce).map_err(|e| anyhow::anyhow!("no randomness available: {e}"))?;
        let sealed = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: job_id.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("encrypting the payload of job {job_id} failed"))?;
        Ok([MAGIC.as_slice(), &nonce, &sealed].concat())
    }

    /// Decrypts the payload of job `job_id`; fails if it was altered, sealed for another
    /// job or with another key.
    pub fn open(&self, job_id: &str, sealed: &[u8]) -> Result<Vec<u8>> {
        let Some(rest) = sealed.strip_prefix(MAGIC) else {
            bail!("the stored payload of job {job_id} is not sealed by ehr-host");
        };
        if rest.len() < NONCE {
            bail!("the stored payload of job {job_id} is truncated");
        }
        let (nonce, body) = rest.split_at(NONCE);
        let nonce: [u8; NONCE] = nonce.try_into().expect("24 bytes");
        self.cipher
            .decrypt(&XNonce::from(nonce), Payload { msg: body, aad: job_id.as_bytes() })
            .map_err(|_| anyhow::anyhow!(
                "the stored payload of job {job_id} cannot be decrypted: it was altered, belongs to another job, or this host has a different job key"
            ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A payload round-trips, is not stored in the clear, and fails to open when altered,
    // under another job id, or with another key.
    #[test]
    fn seal_and_open() {
        let s = Sealer::new(&[7; 32]);
        let sealed = s.seal("J1", b"patient: Okafor").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"Okafor"));
        assert_eq!(s.open("J1", &sealed).unwrap(), b"patient: Okafor");
        assert!(s.open("J2", &sealed).is_err());
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(s.open("J1", &altered).is_err());
        assert!(Sealer::new(&[8; 32]).open("J1", &sealed).is_err());
        assert!(s
            .open("J1", b"{\"plain\":true}")
            .unwrap_err()
            .to_string()
            .contains("not sealed"));
    }
}
