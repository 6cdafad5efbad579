//! The package container.
//!
//! ```text
//! magic      8 bytes   "EHRPKG\0\x01"
//! manifest   u32 LE length + JSON bytes
//! signature  u32 LE length + JSON bytes (length 0 when unsigned)
//! component  u64 LE length + component bytes
//! ```
//!
//! The signature covers a domain-separation tag, the manifest's SHA-256 and the
//! component's SHA-256 (see [`signed_message`]), so neither can change without breaking it.

use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"EHRPKG\0\x01";
const SIGNATURE_DOMAIN: &[u8] = b"ehr-host adapter package v1\0";
/// Packages larger than this are refused before they are parsed further.
pub const MAX_PACKAGE_BYTES: usize = 64 << 20;

/// A parsed but not yet verified package.
#[derive(Debug, Clone)]
pub struct Package {
    /// The manifest JSON exactly as signed.
    pub manifest: Vec<u8>,
    /// The signature JSON, empty when unsigned.
    pub signature: Vec<u8>,
    /// The WebAssembly component.
    pub component: Vec<u8>,
}

/// The signature block stored in a package.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SignatureBlock {
    /// The publisher's public key, hex.
    pub key: String,
    /// The ed25519 signature over [`signed_message`], hex.
    pub signature: String,
}

impl SignatureBlock {
    /// The one byte form a signature block is stored in: compact JSON, `key` then
    /// `signature`, both lower-case hex, as `ehr-host sign` writes it.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let canonical = SignatureBlock {
            key: self.key.to_ascii_lowercase(),
            signature: self.signature.to_ascii_lowercase(),
        };
        serde_json::to_vec(&canonical).expect("a struct of two strings serialises")
    }
}

impl Package {
    /// Parses the container; errors say which part is malformed.
    pub fn parse(bytes: &[u8]) -> Result<Package, String> {
        if bytes.len() > MAX_PACKAGE_BYTES {
            return Err(format!(
                "package is {} bytes, more than the {} byte limit",
                bytes.len(),
                MAX_PACKAGE_BYTES
            ));
        }
        let rest = bytes
            .strip_prefix(MAGIC)
            .ok_or("not an ehr-host adapter package (wrong magic bytes)")?;
        let (manifest, rest) = take(rest, 4, "manifest")?;
        let (signature, rest) = take(rest, 4, "signature")?;
        let (component, rest) = take(rest, 8, "component")?;
        if !rest.is_empty() {
            return Err(format!(
                "{} unexpected bytes after the component",
                rest.len()
            ));
        }
        Ok(Package {
            manifest: manifest.to_vec(),
            signature: signature.to_vec(),
            component: component.to_vec(),
        })
    }

    /// Serialises the container.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + self.manifest.len() + self.component.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.manifest.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.manifest);
        out.extend_from_slice(&(self.signature.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.signature);
        out.extend_from_slice(&(self.component.len() as u64).to_le_bytes());
        out.extend_from_slice(&self.component);
        out
    }

    /// The bytes the publisher signs.
    pub fn signed_message(&self) -> Vec<u8> {
        signed_message(&self.manifest, &self.component)
    }
}

/// Domain tag ‖ SHA-256(manifest) ‖ SHA-256(component).
pub fn signed_message(manifest: &[u8], component: &[u8]) -> Vec<u8> {
    let mut m = SIGNATURE_DOMAIN.to_vec();
    m.extend_from_slice(&Sha256::digest(manifest));
    m.extend_from_slice(&Sha256::digest(component));
    m
}

/// Hex SHA-256 of `bytes`: how packages are identified in listings and caches.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn take<'a>(bytes: &'a [u8], width: usize, what: &str) -> Result<(&'a [u8], &'a [u8]), String> {
    if bytes.len() < width {
        return Err(format!("package is truncated in the {what} length"));
    }
    let (len, rest) = bytes.split_at(width);
    let mut buf = [0u8; 8];
    buf[..width].copy_from_slice(len);
    let len = u64::from_le_bytes(buf) as usize;
    if rest.len() < len {
        return Err(format!(
            "package is truncated in the {what} ({len} bytes announced, {} present)",
            rest.len()
        ));
    }
    Ok(rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Package {
        Package {
            manifest: b"{}".to_vec(),
            signature: b"sig".to_vec(),
            component: b"\0asm".to_vec(),
        }
    }

    // A package survives a round trip through bytes unchanged.
    #[test]
    fn round_trip() {
        let p = Package::parse(&sample().to_bytes()).unwrap();
        assert_eq!(p.manifest, b"{}");
        assert_eq!(p.signature, b"sig");
        assert_eq!(p.component, b"\0asm");
    }

    // Wrong magic, truncation and trailing bytes are each refused with a reason.
    #[test]
    fn malformed_is_refused() {
        let bytes = sample().to_bytes();
        assert!(Package::parse(b"PK\x03\x04....")
            .unwrap_err()
            .contains("magic"));
        let cut = &bytes[..bytes.len() - 1];
        assert!(Package::parse(cut)
            .unwrap_err()
            .contains("truncated in the component"));
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(Package::parse(&extra)
            .unwrap_err()
            .contains("unexpected bytes"));
    }
}
