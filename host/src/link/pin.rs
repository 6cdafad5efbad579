//! Pinning the hub's certificate. A development hub makes its own self-signed
//! certificate; the operator gives the agent its SHA-256 fingerprint at pairing, and the
//! agent then accepts that certificate and no other (names and dates are not checked: the
//! pin is the whole trust decision, as with an SSH host key). Without a pin, the hub's
//! certificate must be valid under the system's roots.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::sync::Arc;

/// The SHA-256 of a certificate (DER), shown as `sha256:` and 64 hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The fingerprint of a DER certificate.
    pub fn of(der: &[u8]) -> Fingerprint {
        Fingerprint(sha2::Sha256::digest(der).into())
    }
}

impl std::str::FromStr for Fingerprint {
    type Err = String;

    /// `sha256:` followed by 64 hex characters; colons between bytes and case are allowed.
    fn from_str(s: &str) -> Result<Fingerprint, String> {
        let hexpart = s.trim().strip_prefix("sha256:").unwrap_or(s.trim());
        let clean: String = hexpart.chars().filter(|c| *c != ':').collect();
        hex::decode(&clean)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .map(Fingerprint)
            .ok_or_else(|| {
                format!("`{}` is not a certificate fingerprint (expected sha256: and 64 hex characters, as `hub serve` prints)",
                    crate::untrusted::clean(s, 100))
            })
    }
}

impl TryFrom<String> for Fingerprint {
    type Error = String;
    fn try_from(s: String) -> Result<Fingerprint, String> {
        s.parse()
    }
}

impl From<Fingerprint> for String {
    fn from(f: Fingerprint) -> String {
        f.to_string()
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sha256:{}", hex::encode(self.0))
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

/// The crypto provider used for the link on both sides.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A TLS client configuration that accepts exactly the certificate with fingerprint
/// `pin` (its signatures still checked, so the server must hold the key).
pub fn pinned_client_config(pin: Fingerprint) -> rustls::ClientConfig {
    let provider = provider();
    let verifier = Arc::new(PinnedVerifier {
        pin,
        provider: provider.clone(),
    });
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("the provider supports the default TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth()
}

#[derive(Debug)]
struct PinnedVerifier {
    pin: Fingerprint,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen = Fingerprint::of(end_entity);
        if seen == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "the hub's certificate is not the one pinned at pairing (expected {}, got {seen}): \
                 someone may be intercepting the connection, or the hub's certificate was replaced; \
                 ask the operator for the new fingerprint and pair again",
                self.pin
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Fingerprints read as printed, with or without colons, and name what is wrong.
    #[test]
    fn fingerprints_parse() {
        let f = Fingerprint::of(b"cert");
        assert_eq!(f.to_string().parse::<Fingerprint>().unwrap(), f);
        let colons = f.to_string().as_bytes()["sha256:".len()..]
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap().to_uppercase())
            .collect::<Vec<_>>()
            .join(":");
        assert_eq!(colons.parse::<Fingerprint>().unwrap(), f);
        assert!("sha256:abc"
            .parse::<Fingerprint>()
            .unwrap_err()
            .contains("not a certificate fingerprint"));
    }
}
