//! The registry's root document: which keys may sign the index, how many must, and how
//! keys rotate.
//!
//! An agent trusts one root when it adds the registry (pinned by `--root-key`, or trusted
//! on first use). A new root (version N+1, kept at `roots/<N+1>.json`) is accepted only
//! when signed by a threshold of the *old* root's keys and a threshold of its *own* keys,
//! so a registry can rotate or add keys, and a thief holding fewer than a threshold of
//! keys cannot.

use super::signed::Envelope;
use super::{check_not_expired, RegistryRefusal};
use crate::package::PublicKey;
use serde::{Deserialize, Serialize};

/// The envelope role of root documents.
pub const ROLE: &str = "root";

/// The root document (the envelope payload).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Root {
    /// Always `root`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Starts at 1; each rotation adds one.
    pub version: u64,
    /// How many of `keys` must sign the index (and the next root).
    pub threshold: usize,
    /// The registry keys, hex ed25519 public keys.
    pub keys: Vec<String>,
    /// After this instant (RFC 3339) the root is no longer trusted.
    pub expires: String,
}

impl Root {
    /// The keys, parsed.
    pub fn public_keys(&self) -> Result<Vec<PublicKey>, RegistryRefusal> {
        self.keys
            .iter()
            .map(|k| {
                PublicKey::from_hex(k)
                    .map_err(|e| RegistryRefusal::Malformed(format!("root lists a bad key: {e}")))
            })
            .collect()
    }

    fn parse_payload(payload: &[u8]) -> Result<Root, RegistryRefusal> {
        let root: Root = serde_json::from_slice(payload)
            .map_err(|e| RegistryRefusal::Malformed(format!("root document is not valid: {e}")))?;
        if root.kind != "root" {
            return Err(RegistryRefusal::Malformed(format!(
                "a `{}` document was served where the root belongs",
                root.kind
            )));
        }
        if root.threshold == 0 || root.threshold > root.keys.len() {
            return Err(RegistryRefusal::Malformed(format!(
                "root version {} asks for {} signatures from {} keys",
                root.version,
                root.threshold,
                root.keys.len()
            )));
        }
        Ok(root)
    }

    /// Verifies a root trusted for the first time: signed by a threshold of its own keys
    /// and, when `pinned` is not empty, listing every pinned key.
    pub fn verify_initial(bytes: &[u8], pinned: &[PublicKey]) -> Result<Root, RegistryRefusal> {
        let env = Envelope::parse(bytes, "root.json")?;
        let root = Self::parse_payload(&env.payload_unverified()?)?;
        env.open(
            ROLE,
            &root.public_keys()?,
            root.threshold,
            "the registry root",
        )?;
        for k in pinned {
            if !root.keys.contains(&k.to_hex()) {
                return Err(RegistryRefusal::RootKeyMismatch(k.short()));
            }
        }
        Ok(root)
    }

    /// Verifies `bytes` as the successor of this root: version one higher, signed by a
    /// threshold of this root's keys and a threshold of its own.
    pub fn verify_next(&self, bytes: &[u8]) -> Result<Root, RegistryRefusal> {
        let env = Envelope::parse(bytes, "the next root")?;
        let next = Self::parse_payload(&env.payload_unverified()?)?;
        if next.version != self.version + 1 {
            return Err(RegistryRefusal::Malformed(format!(
                "roots/{}.json holds root version {}",
                self.version + 1,
                next.version
            )));
        }
        let what = format!("root version {} (rotation)", next.version);
        env.open(ROLE, &self.public_keys()?, self.threshold, &what)?;
        env.open(ROLE, &next.public_keys()?, next.threshold, &what)?;
        Ok(next)
    }

    /// Refuses an expired root.
    pub fn check_expiry(&self, registry: &str) -> Result<(), RegistryRefusal> {
        check_not_expired(&self.expires).map_err(|expired| RegistryRefusal::Expired {
            registry: registry.to_string(),
            what: format!("root version {}", self.version),
            expired,
        })
    }

    /// Parses the payload of a root envelope that was verified before (from local state).
    pub fn from_trusted(bytes: &[u8]) -> Result<Root, RegistryRefusal> {
        Self::parse_payload(&Envelope::parse(bytes, "root.json")?.payload_unverified()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::SecretKey;

    fn root(version: u64, keys: &[&SecretKey], threshold: usize) -> Root {
        Root {
            kind: "root".into(),
            version,
            threshold,
            keys: keys.iter().map(|k| k.public().to_hex()).collect(),
            expires: super::super::expires_in(std::time::Duration::from_secs(3600)),
        }
    }

    fn signed(r: &Root, signers: &[&SecretKey]) -> Vec<u8> {
        Envelope::sign(ROLE, &serde_json::to_vec(r).unwrap(), signers).to_bytes()
    }

    // A self-signed root verifies; one that lacks a pinned key is refused.
    #[test]
    fn initial_root_and_pinning() {
        let (a, b) = (
            SecretKey::generate().unwrap(),
            SecretKey::generate().unwrap(),
        );
        let r = root(1, &[&a], 1);
        let bytes = signed(&r, &[&a]);
        assert_eq!(Root::verify_initial(&bytes, &[a.public()]).unwrap(), r);
        assert!(matches!(
            Root::verify_initial(&bytes, &[b.public()]),
            Err(RegistryRefusal::RootKeyMismatch(_))
        ));
    }

    // Rotation from key A to key B is accepted when both sign; a new root signed only by
    // the new key (an attacker's own root) or skipping a version is refused.
    #[test]
    fn rotation_needs_old_and_new_threshold() {
        let (a, b) = (
            SecretKey::generate().unwrap(),
            SecretKey::generate().unwrap(),
        );
        let r1 = root(1, &[&a], 1);
        let r2 = root(2, &[&b], 1);
        assert_eq!(r1.verify_next(&signed(&r2, &[&a, &b])).unwrap(), r2);
        let err = r1.verify_next(&signed(&r2, &[&b])).unwrap_err();
        assert!(
            matches!(
                err,
                RegistryRefusal::BadSignatures {
                    have: 0,
                    need: 1,
                    ..
                }
            ),
            "{err}"
        );
        let r3 = root(3, &[&b], 1);
        assert!(r1.verify_next(&signed(&r3, &[&a, &b])).is_err());
    }

    // With a threshold of 2 of 3 keys, one stolen key cannot rotate the root.
    #[test]
    fn one_key_of_a_threshold_cannot_rotate() {
        let keys: Vec<SecretKey> = (0..3).map(|_| SecretKey::generate().unwrap()).collect();
        let r1 = root(1, &[&keys[0], &keys[1], &keys[2]], 2);
        let thief = SecretKey::generate().unwrap();
        let evil = root(2, &[&thief], 1);
        assert!(r1.verify_next(&signed(&evil, &[&keys[0], &thief])).is_err());
        assert!(r1
            .verify_next(&signed(&evil, &[&keys[0], &keys[1], &thief]))
            .is_ok());
    }
}
