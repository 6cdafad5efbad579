//! Console users' passwords: argon2id hashes (PHC strings with their own salt), never
//! the password; and adding a user, for `ehr-host hub user add`.

use crate::hub::store::{HubStore, UserRecord, UserRole};
use anyhow::{anyhow, bail, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// The shortest password accepted (a console reaches every practice's jobs).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The longest password hashed (so a huge one cannot tie up the hub).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The argon2id hash of `password`, with a fresh random salt.
pub fn hash(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow!("no randomness available: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow!("cannot encode a salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow!("cannot hash the password: {e}"))
}

/// Whether `password` matches the stored `hash` (false for an unreadable hash).
pub fn verify(password: &str, hash: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A login name: 1–64 lowercase letters, digits, dots, dashes and underscores.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        })
}

/// Adds console user `name` with `role` and `password` (checked, then hashed).
pub async fn add_user<S: HubStore>(
    store: &S,
    name: &str,
    role: UserRole,
    password: &str,
    now_ms: u64,
) -> Result<UserRecord> {
    if !valid_name(name) {
        bail!(
            "`{}` is not a user name: use lowercase letters, digits, dots, dashes and underscores (like `olga` or `front.desk`)",
            crate::untrusted::clean(name, 80)
        );
    }
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        bail!("the password is too short ({chars} characters): use at least {MIN_PASSWORD_CHARS}");
    }
    if password.len() > MAX_PASSWORD_BYTES {
        bail!("the password is too long: use at most {MAX_PASSWORD_BYTES} bytes");
    }
    let user = UserRecord {
        name: name.to_string(),
        role,
        created_ms: now_ms,
    };
    store.create_user(&user, &hash(password)?).await?;
    Ok(user)
}
