//! Adapter packages: one signed file per adapter version.
//!
//! A package holds the component, its manifest and the publisher's ed25519 signature.
//! [`verify::verify`] checks all of it, and the host's trust store, *before* any
//! WebAssembly is compiled: the container is parsed with a few lines of length-prefixed
//! reads rather than a wasm parser, so untrusted bytes meet as little code as possible.

pub mod format;
pub mod keys;
pub mod manifest;
pub mod trust;
pub mod verify;

pub use format::Package;
pub use keys::{PublicKey, SecretKey};
pub use manifest::Manifest;
pub use trust::TrustStore;
pub use verify::{verify, Refusal, VerifiedPackage};
