//! Preparing a version for the swap: verify its package again (trust and revocation),
//! compile (or take the cached code), pre-instantiate, and self-check: `describe` must
//! match the manifest and `check` must succeed. Only a version that passes all of it is
//! ever swapped in.

use crate::host::Host;
use crate::runtime::LoadedAdapter;
use anyhow::{bail, Context, Result};
use std::sync::Arc;

/// Loads the store's current version of `id` and self-checks it. Without `require_check`
/// (an adapter with no version serving yet, so nothing to fall back to) a failed `check`
/// is returned beside the adapter instead of refusing it: the EHR may simply be down.
pub async fn prepare(
    host: &Host,
    id: &str,
    require_check: bool,
) -> Result<(Arc<LoadedAdapter>, Option<String>)> {
    // Compiling is CPU work of up to seconds: keep it off the async worker threads so
    // calls in flight on the other adapters (and on this one) are not held up.
    let adapter = match tokio::runtime::Handle::current().runtime_flavor() {
        tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| host.load(id))?
        }
        _ => host.load(id)?,
    };
    let m = &adapter.manifest;
    let info = adapter
        .describe()
        .await
        .with_context(|| format!("self-check of {} {}: `describe` failed", m.id, m.version))?;
    if info.id != m.id || info.version != m.version.to_string() {
        bail!(
            "self-check of {} {}: the component describes itself as {} {}",
            m.id,
            m.version,
            info.id,
            info.version
        );
    }
    let checked = adapter
        .check()
        .await
        .with_context(|| format!("self-check of {} {}: `check` failed", m.id, m.version));
    match checked {
        Ok(_) => Ok((Arc::new(adapter), None)),
        Err(e) if !require_check => Ok((Arc::new(adapter), Some(format!("{e:#}")))),
        Err(e) => Err(e),
    }
}
