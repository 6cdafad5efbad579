//! Console users and sessions in the PostgreSQL hub store.

use super::PostgresHubStore;
use crate::hub::store::pg_connection::storage;
use crate::hub::store::users::{role_columns, role_of, ConsoleSession, UserRecord, UserStore};
use crate::hub::store::StoreError;
use tokio_postgres::Row;

/// The tables (created with the others on connecting).
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS hub_users (name TEXT PRIMARY KEY, role TEXT NOT NULL,
    practice_id TEXT, password_hash TEXT NOT NULL, created_ms BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS hub_console_sessions (token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL, csrf TEXT NOT NULL, expires_ms BIGINT NOT NULL);
";

const USER_COLUMNS: &str = "name, role, practice_id, password_hash, created_ms";

fn user(r: &Row) -> Result<(UserRecord, String), StoreError> {
    let name: String = r.get(0);
    let role = role_of(&name, r.get(1), r.get(2))?;
    Ok((
        UserRecord {
            role,
            created_ms: r.get::<_, i64>(4) as u64,
            name,
        },
        r.get(3),
    ))
}

impl UserStore for PostgresHubStore {
    async fn create_user(&self, u: &UserRecord, password_hash: &str) -> Result<(), StoreError> {
        let (kind, practice) = role_columns(&u.role);
        let created = u.created_ms as i64;
        let n = self
            .conn
            .run(async |c| {
                let tx = c.transaction().await.map_err(storage)?;
                if let Some(p) = practice {
                    let found = tx
                        .query_opt("SELECT 1 FROM hub_practices WHERE id = $1", &[&p])
                        .await
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
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING",
                        &[&u.name, &kind, &practice, &password_hash, &created],
                    )
                    .await
                    .map_err(storage)?;
                tx.commit().await.map_err(storage)?;
                Ok(n)
            })
            .await?;
        if n == 0 {
            return Err(StoreError::Duplicate {
                what: "console user",
                id: u.name.clone(),
            });
        }
        Ok(())
    }

    async fn user(&self, name: &str) -> Result<(UserRecord, String), StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM hub_users WHERE name = $1");
        let row = self
            .conn
            .run(async |c| c.query_opt(&sql, &[&name]).await.map_err(storage))
            .await?;
        match row {
            Some(r) => user(&r),
            None => Err(StoreError::NotFound {
                what: "console user",
                id: name.to_string(),
            }),
        }
    }

    async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM hub_users ORDER BY name");
        let rows = self
            .conn
            .run(async |c| c.query(&sql, &[]).await.map_err(storage))
            .await?;
        rows.iter().map(|r| user(r).map(|(u, _)| u)).collect()
    }

    async fn create_console_session(
        &self,
        token_hash: &str,
        s: &ConsoleSession,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let (now, expires) = (now_ms as i64, s.expires_ms as i64);
        self.conn
            .run(async |c| {
                c.execute(
                    "DELETE FROM hub_console_sessions WHERE expires_ms <= $1",
                    &[&now],
                )
                .await
                .map_err(storage)?;
                c.execute(
                    "INSERT INTO hub_console_sessions (token_hash, user_name, csrf, expires_ms)
                     VALUES ($1, $2, $3, $4)",
                    &[&token_hash, &s.user, &s.csrf, &expires],
                )
                .await
                .map_err(storage)
            })
            .await?;
        Ok(())
    }

    async fn console_session(
        &self,
        token_hash: &str,
        now_ms: u64,
    ) -> Result<Option<ConsoleSession>, StoreError> {
        let now = now_ms as i64;
        let row = self
            .conn
            .run(async |c| {
                c.query_opt(
                    "SELECT user_name, csrf, expires_ms FROM hub_console_sessions
                     WHERE token_hash = $1 AND expires_ms > $2",
                    &[&token_hash, &now],
                )
                .await
                .map_err(storage)
            })
            .await?;
        Ok(row.map(|r| ConsoleSession {
            user: r.get(0),
            csrf: r.get(1),
            expires_ms: r.get::<_, i64>(2) as u64,
        }))
    }

    async fn end_console_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.conn
            .run(async |c| {
                c.execute(
                    "DELETE FROM hub_console_sessions WHERE token_hash = $1",
                    &[&token_hash],
                )
                .await
                .map_err(storage)
            })
            .await?;
        Ok(())
    }
}
