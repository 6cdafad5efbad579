//! Operator settings for this adapter, from the host's configuration file. Secrets are
//! never here: the host injects credentials into requests itself.

use crate::AdapterError;

/// One setting, or `None` when the operator did not set it.
pub fn get(key: &str) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::ehr::adapter::config::get(key);
    #[cfg(not(target_arch = "wasm32"))]
    return crate::testing::stub_config_get(key);
}

/// One setting the adapter cannot work without: a `misconfigured` error naming it when
/// it is absent, so the operator knows exactly what to add.
pub fn require(key: &str) -> Result<String, AdapterError> {
    get(key).ok_or_else(|| {
        AdapterError::Misconfigured(format!(
            "setting `{key}` is not set: add it under [adapters.<id>.settings] in the host config"
        ))
    })
}

/// The EHR's API address from setting `key`, without a trailing slash; a misconfigured
/// error showing `example` unless it is an http(s) address.
pub fn base_url(key: &str, example: &str) -> Result<String, AdapterError> {
    let raw = require(key)?;
    let base = raw.trim();
    let base = base.strip_suffix('/').unwrap_or(base);
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        return Err(AdapterError::Misconfigured(format!(
            "setting `{key}` must be an http(s) address like {example}, got `{raw}`"
        )));
    }
    Ok(base.to_string())
}

/// Setting `key` as a positive number of seconds, in milliseconds; `None` when unset.
pub fn timeout_ms(key: &str) -> Result<Option<u32>, AdapterError> {
    let Some(t) = get(key) else { return Ok(None) };
    let secs = t
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| *s > 0.0)
        .ok_or_else(|| {
            AdapterError::Misconfigured(format!(
                "setting `{key}` must be a positive number of seconds, got `{t}`"
            ))
        })?;
    Ok(Some((secs * 1000.0).min(u32::MAX as f64) as u32))
}

/// All settings, sorted by key.
pub fn all() -> Vec<(String, String)> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::ehr::adapter::config::all();
    #[cfg(not(target_arch = "wasm32"))]
    return crate::testing::stub_config_all();
}
