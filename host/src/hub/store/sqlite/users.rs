//! Console users and sessions in the SQLite hub store.

use super::{storage, SqliteHubStore};
use crate::hub::store::users::{role_columns, role_of, ConsoleSession, UserRecord, UserStore};
use crate::hub::store::StoreError;
use rusqlite::{params, OptionalExtension};

/// The tables (created with the others when the file is opened).
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS hub_users (name TEXT PRIMARY KEY, role TEXT NOT NULL,
    practice_id TEXT, password_hash TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS hub_console_sessions (token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL, csrf TEXT NOT NULL, expires_ms INTEGER NOT NULL);
";

type UserRow = (String, String, Option<String>, String, i64);

fn user(
    (name, kind, practice, hash, created): UserRow,
) -> Result<(UserRecord, String), StoreError> {
    let role = role_of(&name, &kind, practice)?;
    Ok((
        UserRecord {
            name,
            role,
            created_ms: created as u64,
        },
        hash,
    ))
}

impl UserStore for SqliteHubStore {
    async fn create_user(&self, u: &UserRecord, password_hash: &str) -> Result<(), StoreError> {
        let (kind, practice) = role_columns(&u.role);
        self.tx(|tx| {
            if let Some(p) = practice {
                let found: Option<i64> = tx
                    .query_row("SELECT 1 FROM hub_practices WHERE id = ?1", [p], |r| {
                        r.get(0)
                    })
                    .optional()
                    .map_err(storage)?;
                if found.is_none() {
                    return Err(StoreError::NotFound {
                        what: "practice",
                        id: p.to_string(),
                    });
                }
            }
            let n = tx
                .execute(
                    "INSERT INTO hub_users (name, role, practice_id, password_hash, created_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO NOTHING",
                    params![u.name, kind, practice, password_hash, u.created_ms as i64],
                )
                .map_err(storage)?;
            if n == 0 {
                return Err(StoreError::Duplicate {
                    what: "console user",
                    id: u.name.clone(),
                });
            }
            Ok(())
        })
    }

    async fn user(&self, name: &str) -> Result<(UserRecord, String), StoreError> {
        let row = self.tx(|tx| {
            tx.query_row(
                "SELECT name, role, practice_id, password_hash, created_ms FROM hub_users
                 WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(storage)
        })?;
        match row {
            Some(row) => user(row),
            None => Err(StoreError::NotFound {
                what: "console user",
                id: name.to_string(),
            }),
        }
    }

    async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let rows: Vec<UserRow> = self.tx(|tx| {
            let mut st = tx
                .prepare(
                    "SELECT name, role, practice_id, password_hash, created_ms FROM hub_users
                     ORDER BY name",
                )
                .map_err(storage)?;
            let rows = st
                .query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .map_err(storage)?;
            rows.collect::<Result<_, _>>().map_err(storage)
        })?;
        rows.into_iter().map(|r| user(r).map(|(u, _)| u)).collect()
    }

    async fn create_console_session(
        &self,
        token_hash: &str,
        s: &ConsoleSession,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        self.tx(|tx| {
            tx.execute(
                "DELETE FROM hub_console_sessions WHERE expires_ms <= ?1",
                [now_ms as i64],
            )
            .map_err(storage)?;
            tx.execute(
                "INSERT INTO hub_console_sessions (token_hash, user_name, csrf, expires_ms)
                 VALUES (?1, ?2, ?3, ?4)",
                params![token_hash, s.user, s.csrf, s.expires_ms as i64],
            )
            .map_err(storage)?;
            Ok(())
        })
    }

    async fn console_session(
        &self,
        token_hash: &str,
        now_ms: u64,
    ) -> Result<Option<ConsoleSession>, StoreError> {
        self.tx(|tx| {
            tx.query_row(
                "SELECT user_name, csrf, expires_ms FROM hub_console_sessions
                 WHERE token_hash = ?1 AND expires_ms > ?2",
                params![token_hash, now_ms as i64],
                |r| {
                    Ok(ConsoleSession {
                        user: r.get(0)?,
                        csrf: r.get(1)?,
                        expires_ms: r.get::<_, i64>(2)? as u64,
                    })
                },
            )
            .optional()
            .map_err(storage)
        })
    }

    async fn end_console_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.tx(|tx| {
            tx.execute(
                "DELETE FROM hub_console_sessions WHERE token_hash = ?1",
                [token_hash],
            )
            .map_err(storage)?;
            Ok(())
        })
    }
}
