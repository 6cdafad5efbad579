//! Who is looking: console sessions in a cookie that scripts cannot read (`HttpOnly`),
//! that is sent over HTTPS only (`Secure`) and never with a request started by another
//! site (`SameSite=Strict`); the store keeps only the cookie's SHA-256. Each session has
//! its own CSRF token (a synchronizer token) that every POST form carries and that is
//! checked before anything is done. Sessions end at logout or after [`LIFETIME`].

use crate::hub::secrets;
use crate::hub::state::Hub;
use crate::hub::store::{ConsoleSession, HubStore, StoreError, UserRecord};
use crate::jobs::Queue;
use axum::http::{header, HeaderMap};
use std::time::Duration;

/// The session cookie's name.
pub const COOKIE: &str = "ehr_console";

/// The cookie that ties the login form to the browser that loaded it (there is no
/// session yet to tie it to).
pub const LOGIN_COOKIE: &str = "ehr_console_login";

/// How long a session lasts after login.
pub const LIFETIME: Duration = Duration::from_secs(8 * 3600);

/// A signed-in user and the session they are using.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The user.
    pub user: UserRecord,
    /// The session (its CSRF token).
    pub session: ConsoleSession,
    /// The SHA-256 of the session cookie (for logout).
    pub token_hash: String,
}

impl Viewer {
    /// Whether this viewer may see `practice`'s agents and jobs.
    pub fn may_see(&self, practice: &str) -> bool {
        self.user.role.may_see(practice)
    }

    /// Whether `token`, from a submitted form, is this session's CSRF token.
    pub fn csrf_ok(&self, token: &str) -> bool {
        !token.is_empty() && secrets::same(token, &self.session.csrf)
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value for `name` with the console's attributes, lasting `max_age`.
pub fn set_cookie(name: &str, value: &str, max_age: Duration) -> String {
    format!(
        "{name}={value}; Path=/console; Max-Age={}; HttpOnly; Secure; SameSite=Strict",
        max_age.as_secs()
    )
}

/// A `Set-Cookie` value that removes cookie `name`.
pub fn clear_cookie(name: &str) -> String {
    set_cookie(name, "", Duration::ZERO)
}

/// The signed-in viewer of a request, if its session cookie names a live session of a
/// user that still exists. A store outage is an error (not a logged-out viewer).
pub async fn viewer<Q: Queue, S: HubStore>(
    hub: &Hub<Q, S>,
    headers: &HeaderMap,
) -> Result<Option<Viewer>, StoreError> {
    let Some(token) = cookie(headers, COOKIE).filter(|t| t.len() == 64) else {
        return Ok(None);
    };
    let token_hash = secrets::hash(token);
    let Some(session) = hub.store.console_session(&token_hash, hub.now()).await? else {
        return Ok(None);
    };
    match hub.store.user(&session.user).await {
        Ok((user, _)) => Ok(Some(Viewer {
            user,
            session,
            token_hash,
        })),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Starts a session for `user`: returns the cookie's token (to send once) and the
/// session.
pub async fn start<Q: Queue, S: HubStore>(
    hub: &Hub<Q, S>,
    user: &str,
) -> anyhow::Result<(String, ConsoleSession)> {
    let token = secrets::new_token()?;
    let now = hub.now();
    let session = ConsoleSession {
        user: user.to_string(),
        csrf: secrets::new_token()?,
        expires_ms: now + LIFETIME.as_millis() as u64,
    };
    hub.store
        .create_console_session(&secrets::hash(&token), &session, now)
        .await?;
    Ok((token, session))
}
