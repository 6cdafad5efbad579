//! The device key: an ed25519 key pair the agent makes when it first pairs. The secret
//! half stays in `<home>/device.key` (owner-only), is never sent, and signs the requests
//! that get session tokens; the hub holds only the public half.

use crate::package::{PublicKey, SecretKey};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// The device key's file in `home`.
pub fn path(home: &crate::home::Home) -> PathBuf {
    home.root().join("device.key")
}

/// The device key in `path`, made (owner-only) when there is none.
pub fn load_or_create(path: &Path) -> Result<SecretKey> {
    crate::fsutil::read_or_create_secret(path, || {
        Ok(format!("{}\n", SecretKey::generate()?.to_hex()).into_bytes())
    })
    .with_context(|| format!("cannot read or make the device key {}", path.display()))?;
    SecretKey::from_file(path)
}

/// The public half, for pairing.
pub fn public(key: &SecretKey) -> PublicKey {
    key.public()
}

#[cfg(test)]
mod tests {
    // Made once with owner-only permissions, then read back the same.
    #[test]
    fn made_once_private() {
        let dir = std::env::temp_dir().join(format!("ehr-device-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let p = dir.join("device.key");
        let a = super::load_or_create(&p).unwrap();
        let b = super::load_or_create(&p).unwrap();
        assert_eq!(a.public(), b.public());
        assert_eq!(crate::platform::private::exposure(&p).unwrap(), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
