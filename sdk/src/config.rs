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

/// The practice's `non_ascii_marker` setting: what an ASCII-only EHR gets in place of a
/// character with no faithful ASCII form (`[?]`, say), or `None` (the default) to skip
/// such a field with the reason instead. The marker itself must be 1 to 8 visible ASCII
/// characters; anything else is `misconfigured`.
pub fn non_ascii_marker() -> Result<Option<String>, AdapterError> {
    const KEY: &str = "non_ascii_marker";
    let Some(marker) = get(KEY) else {
        return Ok(None);
    };
    let visible = |c: char| c.is_ascii_graphic() || c == ' ';
    if marker.is_empty() || marker.len() > 8 || !marker.chars().all(visible) {
        return Err(AdapterError::Misconfigured(format!(
            "setting `{KEY}` must be 1 to 8 visible ASCII characters, such as [?]"
        )));
    }
    Ok(Some(marker))
}

/// The settings every adapter writing into ASCII-only fields offers, for `describe`.
pub fn non_ascii_setting() -> (String, String) {
    (
        "non_ascii_marker".to_string(),
        "optional: written in place of characters with no ASCII form (such as [?]); \
         unset, such a field is skipped with the reason"
            .to_string(),
    )
}

/// All settings, sorted by key.
pub fn all() -> Vec<(String, String)> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::ehr::adapter::config::all();
    #[cfg(not(target_arch = "wasm32"))]
    return crate::testing::stub_config_all();
}
