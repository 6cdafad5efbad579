//! The console's people and their sessions: operators (every practice) and practice
//! users (one practice), each with a password kept as an argon2 hash, never the
//! password; and the console's browser sessions, kept as the SHA-256 of their cookie,
//! each with the CSRF token its forms carry. Separate from the agents' link sessions.

use super::StoreError;
use serde::{Deserialize, Serialize};
use std::future::Future;

/// What a console user may see and do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum UserRole {
    /// The hub's operator: every practice.
    Operator,
    /// Someone at one practice: that practice's agents and jobs only.
    Practice {
        /// The practice.
        practice_id: String,
    },
}

impl UserRole {
    /// Whether this role may see `practice`'s agents and jobs.
    pub fn may_see(&self, practice: &str) -> bool {
        match self {
            UserRole::Operator => true,
            UserRole::Practice { practice_id } => practice_id == practice,
        }
    }
}

/// A console user as stored (without the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The login name.
    pub name: String,
    /// What the user may see.
    pub role: UserRole,
    /// Created at (ms).
    pub created_ms: u64,
}

/// A console session that has not expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// The user it belongs to.
    pub user: String,
    /// The synchronizer token every POST form of this session carries.
    pub csrf: String,
    /// It ends at (ms).
    pub expires_ms: u64,
}

/// Console users and sessions. Every method is atomic.
pub trait UserStore: Send + Sync + 'static {
    /// Adds a user with its password hash (PHC string); a taken name is
    /// [`StoreError::Duplicate`]; a practice user's practice must exist.
    fn create_user(
        &self,
        user: &UserRecord,
        password_hash: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A user and its password hash.
    fn user(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<(UserRecord, String), StoreError>> + Send;

    /// Every user, by name.
    fn users(&self) -> impl Future<Output = Result<Vec<UserRecord>, StoreError>> + Send;

    /// Stores a console session (its token's hash) for `user`, and drops the sessions
    /// that expired before `now_ms`.
    fn create_console_session(
        &self,
        token_hash: &str,
        session: &ConsoleSession,
        now_ms: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The session with `token_hash`, unless it expired at `now_ms` or was ended.
    fn console_session(
        &self,
        token_hash: &str,
        now_ms: u64,
    ) -> impl Future<Output = Result<Option<ConsoleSession>, StoreError>> + Send;

    /// Ends a session (logout); ending an unknown one is not an error.
    fn end_console_session(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The role's columns: (`operator` | `practice`, practice id).
pub(super) fn role_columns(role: &UserRole) -> (&'static str, Option<&str>) {
    match role {
        UserRole::Operator => ("operator", None),
        UserRole::Practice { practice_id } => ("practice", Some(practice_id)),
    }
}

/// The role from its columns; anything else is a damaged row.
pub(super) fn role_of(
    name: &str,
    kind: &str,
    practice: Option<String>,
) -> Result<UserRole, StoreError> {
    match (kind, practice) {
        ("operator", _) => Ok(UserRole::Operator),
        ("practice", Some(practice_id)) => Ok(UserRole::Practice { practice_id }),
        _ => Err(StoreError::Storage(format!(
            "the stored role of console user `{name}` is not readable"
        ))),
    }
}
