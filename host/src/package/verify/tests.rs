use super::*;
use crate::package::keys::SecretKey;
use crate::package::manifest::Requested;

fn manifest(contract: &str) -> Manifest {
    Manifest {
        id: "demo".into(),
        version: "1.0.0".parse().unwrap(),
        ehr: "Demo".into(),
        contract: contract.parse().unwrap(),
        description: String::new(),
        capabilities: Requested::default(),
    }
}

fn trusted(key: &SecretKey) -> TrustStore {
    let mut t = TrustStore::default();
    t.add(&key.public(), "tests").unwrap();
    t
}

// A correctly signed package from a trusted key for a supported contract verifies.
#[test]
fn good_package_verifies() {
    let key = SecretKey::generate().unwrap();
    let bytes = build_signed(&manifest("0.1.0"), b"component".to_vec(), &key);
    let v = verify(&bytes, &trusted(&key)).unwrap();
    assert_eq!(v.manifest.id, "demo");
    assert_eq!(v.publisher_name, "tests");
    assert_eq!(v.component, b"component");
}

// Flipping any single byte of the manifest or component is caught as tampering (or as a
// malformed container when it hits a length), never accepted.
#[test]
fn any_flipped_byte_is_refused() {
    let key = SecretKey::generate().unwrap();
    let bytes = build_signed(&manifest("0.1.0"), b"component-bytes".to_vec(), &key);
    let trust = trusted(&key);
    for i in 0..bytes.len() {
        let mut t = bytes.clone();
        t[i] ^= 0x01;
        assert!(
            verify(&t, &trust).is_err(),
            "flipping byte {i} was accepted"
        );
    }
    let mut t = bytes.clone();
    let last = t.len() - 1;
    t[last] ^= 0x01;
    assert_eq!(verify(&t, &trust).unwrap_err(), Refusal::Tampered);
}

// Unsigned, untrusted and revoked packages are refused with their own reasons.
#[test]
fn signer_problems_are_named() {
    let key = SecretKey::generate().unwrap();
    let unsigned = Package {
        manifest: serde_json::to_vec(&manifest("0.1.0")).unwrap(),
        signature: Vec::new(),
        component: b"c".to_vec(),
    }
    .to_bytes();
    assert_eq!(
        verify(&unsigned, &trusted(&key)).unwrap_err(),
        Refusal::Unsigned("demo".into())
    );

    let bytes = build_signed(&manifest("0.1.0"), b"c".to_vec(), &key);
    let err = verify(&bytes, &TrustStore::default()).unwrap_err();
    assert_eq!(err, Refusal::Untrusted(key.public().short()));
    assert!(err.to_string().contains("ehr-host trust add"));

    let mut trust = trusted(&key);
    trust.revoke(&key.public(), "laptop stolen").unwrap();
    let err = verify(&bytes, &trust).unwrap_err();
    assert!(matches!(err, Refusal::Revoked { ref reason, .. } if reason == "laptop stolen"));
}

// A package for a newer contract is refused before compilation, saying which contract
// it needs and that the agent must be updated.
#[test]
fn newer_contract_is_refused() {
    let key = SecretKey::generate().unwrap();
    let bytes = build_signed(&manifest("0.3.0"), b"c".to_vec(), &key);
    let err = verify(&bytes, &trusted(&key)).unwrap_err();
    assert!(
        err.to_string()
            .contains("needs host contract 0.3.0; update the agent"),
        "{err}"
    );
}
