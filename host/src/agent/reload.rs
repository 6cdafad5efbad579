//! Preparing a version for the swap: verify its package again (trust and revocation),
//! compile (or take the cached code), pre-instantiate, and self-check: `describe` must
//! match the manifest ([`crate::host::describe_matches`], the same check as install) and
//! `check` must succeed. Only a version that passes all of it is swapped in.
//!
//! A failed self-check is classified: when the adapter is at fault (it traps, reports an
//! adapter bug, describes itself wrongly, does not compile or verify) the version is
//! blocked; when the EHR is (unreachable, slow, session expired, a setting missing) the
//! check is tried again later and the version is not held against its publisher.

use super::slot::is_adapter_fault;
use crate::host::Host;
use crate::runtime::LoadedAdapter;
use semver::Version;
use std::sync::Arc;

/// What preparing a version found.
pub enum Prepared {
    /// Passed every check: ready to serve.
    Ready(Arc<LoadedAdapter>),
    /// Loaded and described itself correctly, but `check` failed for a reason that is not
    /// the adapter's fault: try again later. The adapter is returned for a first version,
    /// which serves anyway (there is nothing to fall back to).
    Retry(Arc<LoadedAdapter>, String),
    /// Broken: never serve it. Why, in words.
    Blocked(String),
}

/// Loads `id` at `version` from the store and self-checks it.
pub async fn prepare(host: &Host, id: &str, version: &Version) -> Prepared {
    // Compiling is CPU work of up to seconds: keep it off the async worker threads so
    // calls in flight on the other adapters (and on this one) are not held up.
    let loaded = match tokio::runtime::Handle::current().runtime_flavor() {
        tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| host.load_version(id, version))
        }
        _ => host.load_version(id, version),
    };
    let adapter = match loaded {
        Ok(a) => Arc::new(a),
        Err(e) => return Prepared::Blocked(format!("{e:#}")),
    };
    if let Err(e) = crate::host::describe_matches(&adapter).await {
        return Prepared::Blocked(format!("{e:#}"));
    }
    match adapter.check().await {
        Ok(_) => Prepared::Ready(adapter),
        Err(e) => {
            let why = format!(
                "self-check of {id} {version}: `check` failed: {}",
                crate::untrusted::clean(&e.to_string(), crate::untrusted::MESSAGE)
            );
            if is_adapter_fault(&e) {
                Prepared::Blocked(why)
            } else {
                Prepared::Retry(adapter, why)
            }
        }
    }
}
