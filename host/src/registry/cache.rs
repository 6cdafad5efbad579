//! Downloaded packages, kept by SHA-256 so an agent can install from a registry it cannot
//! reach right now (the last verified index still says which hash to use).

use crate::fsutil::write_atomic;
use crate::package::format::sha256_hex;
use anyhow::Result;
use std::path::PathBuf;

/// The package cache under `<home>/packages`.
#[derive(Debug, Clone)]
pub struct PackageCache {
    dir: PathBuf,
}

impl PackageCache {
    /// The cache in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> PackageCache {
        PackageCache { dir: dir.into() }
    }

    fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(format!("{sha256}.ehrpkg"))
    }

    /// The cached package with this hash; a file whose content no longer matches its
    /// name (disk corruption, tampering) is deleted and reported missing.
    pub fn get(&self, sha256: &str) -> Option<Vec<u8>> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let bytes = std::fs::read(self.path(sha256)).ok()?;
        if sha256_hex(&bytes) == sha256 {
            Some(bytes)
        } else {
            let _ = std::fs::remove_file(self.path(sha256));
            None
        }
    }

    /// Stores verified package bytes under their hash.
    pub fn put(&self, bytes: &[u8]) -> Result<String> {
        let hash = sha256_hex(bytes);
        write_atomic(&self.path(&hash), bytes)?;
        Ok(hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A stored package comes back by hash; a corrupted cache file is dropped, not used.
    #[test]
    fn by_hash_and_corruption() {
        let dir = std::env::temp_dir().join(format!("ehr-cache-{}", std::process::id()));
        let cache = PackageCache::new(&dir);
        let hash = cache.put(b"package").unwrap();
        assert_eq!(cache.get(&hash).unwrap(), b"package");
        std::fs::write(dir.join(format!("{hash}.ehrpkg")), b"evil").unwrap();
        assert!(cache.get(&hash).is_none());
        assert!(cache.get("../x").is_none());
        let _ = std::fs::remove_dir_all(dir);
    }
}
