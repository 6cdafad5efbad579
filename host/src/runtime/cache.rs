//! Compiled code on disk, keyed by package hash and engine compatibility, so a restart
//! loads native code instead of compiling again.

use anyhow::{Context, Result};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::component::Component;
use wasmtime::Engine;

/// The cache directory for one engine configuration.
pub struct CodeCache {
    dir: PathBuf,
    engine_key: String,
}

impl CodeCache {
    /// A cache under `dir` for `engine`.
    pub fn new(dir: &Path, engine: &Engine) -> CodeCache {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        env!("CARGO_PKG_VERSION").hash(&mut h);
        CodeCache {
            dir: dir.to_path_buf(),
            engine_key: format!("{:016x}", h.finish()),
        }
    }

    fn path(&self, package_hash: &str) -> PathBuf {
        self.dir
            .join(format!("{package_hash}-{}.cwasm", self.engine_key))
    }

    /// True when compiled code for this package is on disk.
    pub fn contains(&self, package_hash: &str) -> bool {
        self.path(package_hash).is_file()
    }

    /// The component for `package_hash`: from disk when cached, else compiled from
    /// `wasm` (which must already be verified) and stored.
    pub fn load(&self, engine: &Engine, package_hash: &str, wasm: &[u8]) -> Result<Component> {
        let path = self.path(package_hash);
        if path.is_file() {
            // SAFETY: the file was written by `precompile_component` in this cache, named
            // by the hash of a verified package and this engine's compatibility hash; the
            // cache directory belongs to the host's home, which only the operator writes.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(c) => return Ok(c),
                Err(e) => {
                    tracing::warn!(path = %path.display(), "compiled code cache entry unusable, recompiling: {e:#}")
                }
            }
        }
        let compiled = engine
            .precompile_component(wasm)
            .map_err(anyhow::Error::from)
            .context("the component does not compile")?;
        if let Err(e) = crate::fsutil::write_atomic(&path, &compiled) {
            tracing::warn!("could not store compiled code in the cache: {e:#}");
        }
        // SAFETY: `compiled` was produced just now by this engine.
        unsafe { Component::deserialize(engine, &compiled) }
            .map_err(anyhow::Error::from)
            .context("freshly compiled code could not be loaded")
    }
}
