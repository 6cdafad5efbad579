//! Verification of a package before anything in it is compiled or run.

use super::format::{sha256_hex, Package, SignatureBlock};
use super::keys::PublicKey;
use super::manifest::Manifest;
use super::trust::{KeyStatus, TrustStore};
use crate::contract;

/// Why a package was refused. Each message names the reason and what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    /// The bytes are not a well-formed package.
    #[error("refused: {0}")]
    Malformed(String),
    /// The manifest is missing fields or has bad values.
    #[error("refused: {0}")]
    BadManifest(String),
    /// No signature at all.
    #[error("refused: package `{0}` is unsigned; ask the publisher for a signed package (`ehr-host sign`)")]
    Unsigned(String),
    /// The signature does not match the contents.
    #[error("refused: the signature does not match the package contents: the package was tampered with or corrupted; download it again from the publisher")]
    Tampered,
    /// Signed by a key the trust store does not hold.
    #[error("refused: package is signed by {0}, which is not a trusted publisher key; if you trust this publisher, run `ehr-host trust add <key>`")]
    Untrusted(String),
    /// Signed by a revoked key.
    #[error("refused: package is signed by {key}, which was revoked ({reason})")]
    Revoked {
        /// The key, short form.
        key: String,
        /// The revocation reason.
        reason: String,
    },
    /// Built for a contract this host cannot run.
    #[error("refused: this adapter needs host contract {needs}; update the agent (this host supports {supports})")]
    IncompatibleContract {
        /// The contract the package needs.
        needs: String,
        /// What this host supports.
        supports: String,
    },
}

/// A package that passed every check.
#[derive(Debug, Clone)]
pub struct VerifiedPackage {
    /// The parsed manifest.
    pub manifest: Manifest,
    /// The component bytes, safe to compile.
    pub component: Vec<u8>,
    /// The publisher key that signed it.
    pub publisher: PublicKey,
    /// The name the trust store gives that key.
    pub publisher_name: String,
    /// SHA-256 of the whole package file, hex.
    pub hash: String,
    /// The package file bytes.
    pub bytes: Vec<u8>,
}

/// Checks, in order: container, manifest, signature present, signature valid, key
/// trusted and not revoked, contract supported. Nothing is compiled.
pub fn verify(bytes: &[u8], trust: &TrustStore) -> Result<VerifiedPackage, Refusal> {
    let package = Package::parse(bytes).map_err(Refusal::Malformed)?;
    let manifest = Manifest::parse(&package.manifest).map_err(Refusal::BadManifest)?;
    if package.signature.is_empty() {
        return Err(Refusal::Unsigned(manifest.id));
    }
    let block: SignatureBlock = serde_json::from_slice(&package.signature)
        .map_err(|e| Refusal::Malformed(format!("signature block is not valid: {e}")))?;
    let publisher = PublicKey::from_hex(&block.key)
        .map_err(|e| Refusal::Malformed(format!("signature block: {e}")))?;
    if !publisher.verify(&package.signed_message(), &block.signature) {
        return Err(Refusal::Tampered);
    }
    // The signature covers the manifest and the component, not its own envelope: without
    // this, re-formatting the signature JSON would make a second file (another hash)
    // that verifies as the same package. One package has one hash.
    if package.signature != block.canonical_bytes() {
        return Err(Refusal::Malformed(
            "the signature block is not in the form `ehr-host sign` writes (it was re-formatted or re-packed after signing); use the publisher's original package file".into(),
        ));
    }
    let publisher_name = match trust.status(&publisher) {
        KeyStatus::Trusted(name) => name,
        KeyStatus::Revoked(reason) => {
            return Err(Refusal::Revoked {
                key: publisher.short(),
                reason,
            })
        }
        KeyStatus::Unknown => return Err(Refusal::Untrusted(publisher.short())),
    };
    if !contract::supports(&manifest.contract) {
        return Err(Refusal::IncompatibleContract {
            needs: manifest.contract.to_string(),
            supports: contract::supported_description(),
        });
    }
    Ok(VerifiedPackage {
        manifest,
        component: package.component,
        publisher,
        publisher_name,
        hash: sha256_hex(bytes),
        bytes: bytes.to_vec(),
    })
}

/// Builds a signed package from a manifest and component.
pub fn build_signed(
    manifest: &Manifest,
    component: Vec<u8>,
    key: &super::keys::SecretKey,
) -> Vec<u8> {
    let manifest = serde_json::to_vec_pretty(manifest).expect("manifest serialises");
    let mut package = Package {
        manifest,
        signature: Vec::new(),
        component,
    };
    let block = SignatureBlock {
        key: key.public().to_hex(),
        signature: key.sign(&package.signed_message()),
    };
    package.signature = block.canonical_bytes();
    package.to_bytes()
}

#[cfg(test)]
mod tests;
