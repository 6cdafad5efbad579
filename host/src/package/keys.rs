//! Publisher keys: ed25519, stored as hex text files (`NAME.key` secret, `NAME.pub` public).

use anyhow::{bail, Context, Result};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use std::path::Path;

/// A publisher's public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub VerifyingKey);

/// A publisher's secret signing key.
pub struct SecretKey(SigningKey);

impl PublicKey {
    /// Parses 64 hex characters.
    pub fn from_hex(text: &str) -> Result<PublicKey> {
        let text = text.trim();
        let bytes: [u8; 32] = hex::decode(text)
            .ok()
            .and_then(|b| b.try_into().ok())
            .with_context(|| {
                format!("`{text}` is not a public key (expected 64 hex characters)")
            })?;
        let key = VerifyingKey::from_bytes(&bytes)
            .with_context(|| format!("`{text}` is not a valid ed25519 public key"))?;
        Ok(PublicKey(key))
    }

    /// Reads a `.pub` file, or takes the argument itself as hex when no such file exists.
    pub fn from_file_or_hex(arg: &str) -> Result<PublicKey> {
        let path = Path::new(arg);
        if path.is_file() {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read public key file {}", path.display()))?;
            return Self::from_hex(&text)
                .with_context(|| format!("in public key file {}", path.display()));
        }
        Self::from_hex(arg)
    }

    /// The key as 64 hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }

    /// A short form for tables: `ed25519:` and the first 16 hex characters.
    pub fn short(&self) -> String {
        format!("ed25519:{}", &self.to_hex()[..16])
    }

    /// Checks `signature` (64 bytes, hex) over `message`, strictly: the non-canonical
    /// and weak-key forms some verifiers accept are refused, so no one can derive a
    /// second valid signature from a published one.
    pub fn verify(&self, message: &[u8], signature_hex: &str) -> bool {
        let Some(bytes) = hex::decode(signature_hex.trim())
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
        else {
            return false;
        };
        let sig = ed25519_dalek::Signature::from_bytes(&bytes);
        self.0.verify_strict(message, &sig).is_ok()
    }
}

impl SecretKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> Result<SecretKey> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness available: {e}"))?;
        Ok(SecretKey(SigningKey::from_bytes(&seed)))
    }

    /// Reads a `.key` file (64 hex characters).
    pub fn from_file(path: &Path) -> Result<SecretKey> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read secret key file {}", path.display()))?;
        let bytes: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .with_context(|| {
                format!(
                    "{} is not a secret key file (expected 64 hex characters, as written by `ehr-host keygen`)",
                    path.display()
                )
            })?;
        Ok(SecretKey(SigningKey::from_bytes(&bytes)))
    }

    /// The key as 64 hex characters, for the `.key` file.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs `message`; the signature as hex.
    pub fn sign(&self, message: &[u8]) -> String {
        hex::encode(self.0.sign(message).to_bytes())
    }

    /// Writes `<stem>.key` (readable by the owner only) and `<stem>.pub`; refuses to
    /// overwrite an existing key.
    pub fn write_pair(&self, stem: &Path) -> Result<(std::path::PathBuf, std::path::PathBuf)> {
        let secret = stem.with_extension("key");
        let public = stem.with_extension("pub");
        for p in [&secret, &public] {
            if p.exists() {
                bail!(
                    "{} already exists; refusing to overwrite a key",
                    p.display()
                );
            }
        }
        // Created owner-only from the first byte, never readable by others even briefly.
        crate::fsutil::write_atomic_private(&secret, format!("{}\n", self.to_hex()).as_bytes())?;
        crate::fsutil::write_atomic(&public, format!("{}\n", self.public().to_hex()).as_bytes())?;
        Ok((secret, public))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A signature verifies with the matching key, and fails for another message or key.
    #[test]
    fn sign_and_verify() {
        let k = SecretKey::generate().unwrap();
        let sig = k.sign(b"hello");
        assert!(k.public().verify(b"hello", &sig));
        assert!(!k.public().verify(b"hellO", &sig));
        assert!(!SecretKey::generate()
            .unwrap()
            .public()
            .verify(b"hello", &sig));
        assert!(!k.public().verify(b"hello", "zz"));
    }

    // Public keys round-trip through hex; junk is refused with the offending text.
    #[test]
    fn public_key_hex() {
        let k = SecretKey::generate().unwrap().public();
        assert_eq!(PublicKey::from_hex(&k.to_hex()).unwrap(), k);
        let err = PublicKey::from_hex("abc").unwrap_err().to_string();
        assert!(err.contains("`abc` is not a public key"), "{err}");
    }
}
