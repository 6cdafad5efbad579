//! The signed envelope every registry document travels in.
//!
//! ```json
//! {"payload": "<base64 of the document's JSON bytes>",
//!  "signatures": [{"key": "<ed25519 public key, hex>", "sig": "<signature, hex>"}]}
//! ```
//!
//! Signatures cover a domain tag, the document's role (`root`, `index`) and the payload
//! bytes exactly as stored, so no JSON canonicalisation is needed and a signature for one
//! role can never be replayed as another.

use super::RegistryRefusal;
use crate::package::{PublicKey, SecretKey};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

const DOMAIN: &[u8] = b"ehr-host registry v1\0";

/// A signed document: payload bytes plus signatures over them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The document's JSON bytes, base64.
    pub payload: String,
    /// One signature per signing key.
    pub signatures: Vec<KeySignature>,
}

/// One key's signature over an envelope's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySignature {
    /// The signer's public key, hex.
    pub key: String,
    /// The ed25519 signature, hex.
    pub sig: String,
}

fn message(role: &str, payload: &[u8]) -> Vec<u8> {
    let mut m = DOMAIN.to_vec();
    m.extend_from_slice(role.as_bytes());
    m.push(0);
    m.extend_from_slice(payload);
    m
}

impl Envelope {
    /// Signs `payload` for `role` with every key in `keys`.
    pub fn sign(role: &str, payload: &[u8], keys: &[&SecretKey]) -> Envelope {
        let msg = message(role, payload);
        Envelope {
            payload: base64::engine::general_purpose::STANDARD.encode(payload),
            signatures: keys
                .iter()
                .map(|k| KeySignature {
                    key: k.public().to_hex(),
                    sig: k.sign(&msg),
                })
                .collect(),
        }
    }

    /// Parses an envelope from bytes.
    pub fn parse(bytes: &[u8], what: &str) -> Result<Envelope, RegistryRefusal> {
        serde_json::from_slice(bytes).map_err(|e| {
            RegistryRefusal::Malformed(format!("{what} is not a signed document: {e}"))
        })
    }

    /// The payload bytes, without checking any signature.
    pub fn payload_unverified(&self) -> Result<Vec<u8>, RegistryRefusal> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.payload)
            .map_err(|e| RegistryRefusal::Malformed(format!("payload is not base64: {e}")))
    }

    /// How many distinct keys of `allowed` signed the payload for `role` validly.
    /// Signatures by other keys, duplicates and invalid signatures count for nothing.
    pub fn valid_signers(
        &self,
        role: &str,
        allowed: &[PublicKey],
    ) -> Result<usize, RegistryRefusal> {
        let payload = self.payload_unverified()?;
        let msg = message(role, &payload);
        let allowed: BTreeSet<String> = allowed.iter().map(|k| k.to_hex()).collect();
        let mut good = BTreeSet::new();
        for s in &self.signatures {
            if !allowed.contains(&s.key) || good.contains(&s.key) {
                continue;
            }
            if let Ok(key) = PublicKey::from_hex(&s.key) {
                if key.verify(&msg, &s.sig) {
                    good.insert(s.key.clone());
                }
            }
        }
        Ok(good.len())
    }

    /// The payload, if at least `threshold` distinct keys of `allowed` signed it for `role`.
    pub fn open(
        &self,
        role: &str,
        allowed: &[PublicKey],
        threshold: usize,
        what: &str,
    ) -> Result<Vec<u8>, RegistryRefusal> {
        let have = self.valid_signers(role, allowed)?;
        if have < threshold.max(1) {
            return Err(RegistryRefusal::BadSignatures {
                what: what.to_string(),
                have,
                need: threshold.max(1),
            });
        }
        self.payload_unverified()
    }

    /// The envelope as pretty JSON bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("envelopes serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Two of two keys sign: the payload opens at threshold 2; the same signature counted
    // twice, an outside key, or a signature for another role does not reach it.
    #[test]
    fn threshold_counts_distinct_allowed_valid_signers() {
        let (a, b, c) = (
            SecretKey::generate().unwrap(),
            SecretKey::generate().unwrap(),
            SecretKey::generate().unwrap(),
        );
        let allowed = [a.public(), b.public()];
        let env = Envelope::sign("index", b"{}", &[&a, &b]);
        assert_eq!(env.open("index", &allowed, 2, "index").unwrap(), b"{}");
        let mut dup = Envelope::sign("index", b"{}", &[&a]);
        dup.signatures.push(dup.signatures[0].clone());
        assert!(matches!(
            dup.open("index", &allowed, 2, "index"),
            Err(RegistryRefusal::BadSignatures {
                have: 1,
                need: 2,
                ..
            })
        ));
        let outsider = Envelope::sign("index", b"{}", &[&a, &c]);
        assert_eq!(outsider.valid_signers("index", &allowed).unwrap(), 1);
        let other_role = Envelope::sign("root", b"{}", &[&a, &b]);
        assert_eq!(other_role.valid_signers("index", &allowed).unwrap(), 0);
    }

    // Changing the payload after signing invalidates every signature.
    #[test]
    fn tampered_payload_has_no_valid_signers() {
        let a = SecretKey::generate().unwrap();
        let mut env = Envelope::sign("index", b"{\"version\":1}", &[&a]);
        env.payload = base64::engine::general_purpose::STANDARD.encode(b"{\"version\":2}");
        assert_eq!(env.valid_signers("index", &[a.public()]).unwrap(), 0);
    }
}
