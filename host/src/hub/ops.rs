//! What the operator does, in one place for the CLI (`ehr-host hub ...`, on the store
//! directly) and the admin API: practices, API keys, pairing codes, revoking devices,
//! settings.

use super::secrets;
use super::store::{ApiKeyRecord, HubStore, PairCode, Practice, PracticeSettings, StoreError};
use anyhow::{bail, Result};
use serde::Serialize;
use std::time::Duration;

/// How long a pairing code lasts unless the operator says otherwise.
pub const CODE_TTL: Duration = Duration::from_secs(15 * 60);

/// A practice id: 1–64 lowercase letters, digits and dashes, starting with a letter or
/// digit (it appears in URLs, logs and job scopes).
pub fn valid_practice_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
}

/// Adds a practice.
pub async fn create_practice<S: HubStore>(
    store: &S,
    id: &str,
    name: &str,
    now_ms: u64,
) -> Result<Practice> {
    if !valid_practice_id(id) {
        bail!("`{}` is not a practice id: use lowercase letters, digits and dashes (like `eastside-eye`)", crate::untrusted::clean(id, 80));
    }
    let p = Practice {
        id: id.to_string(),
        name: crate::untrusted::clean(name, 120),
        created_ms: now_ms,
        settings: PracticeSettings::default(),
    };
    store.create_practice(&p).await?;
    Ok(p)
}

/// A new API key for a practice: the record, and the key itself (shown once).
#[derive(Debug, Serialize)]
pub struct NewApiKey {
    /// What is stored.
    pub record: ApiKeyRecord,
    /// The key; not stored, shown this once.
    pub key: String,
}

/// Makes an API key for `practice`.
pub async fn create_api_key<S: HubStore>(
    store: &S,
    practice: &str,
    label: &str,
    now_ms: u64,
) -> Result<NewApiKey> {
    store.practice(practice).await?;
    let (id, key) = secrets::new_api_key()?;
    let record = ApiKeyRecord {
        id,
        practice_id: practice.to_string(),
        label: crate::untrusted::clean(label, 120),
        created_ms: now_ms,
        revoked_ms: None,
    };
    store.create_api_key(&record, &secrets::hash(&key)).await?;
    Ok(NewApiKey { record, key })
}

/// A new pairing code.
#[derive(Debug, Serialize)]
pub struct NewPairCode {
    /// The practice an agent pairing with it joins.
    pub practice_id: String,
    /// The code as people read it (`BCDF-GHJK`); not stored, shown this once.
    pub code: String,
    /// Unusable from (ms).
    pub expires_ms: u64,
}

/// Makes a single-use pairing code for `practice`, valid for `ttl`.
pub async fn create_pair_code<S: HubStore>(
    store: &S,
    practice: &str,
    ttl: Duration,
    now_ms: u64,
) -> Result<NewPairCode> {
    store.practice(practice).await?;
    let code = secrets::new_pair_code()?;
    let expires_ms = now_ms + ttl.as_millis() as u64;
    store
        .create_pair_code(&PairCode {
            hash: secrets::hash(&code),
            practice_id: practice.to_string(),
            created_ms: now_ms,
            expires_ms,
        })
        .await?;
    Ok(NewPairCode {
        practice_id: practice.to_string(),
        code: secrets::show_code(&code),
        expires_ms,
    })
}

/// Whether an error is the store being down (rather than a refusal).
pub fn is_outage(e: &anyhow::Error) -> bool {
    matches!(e.downcast_ref::<StoreError>(), Some(StoreError::Storage(_)))
}
