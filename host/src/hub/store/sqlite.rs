//! The hub store in one SQLite file (`<hub home>/hub.sqlite`): no setup, for a hub run as
//! one instance. Every operation is one immediate transaction. WAL with `synchronous =
//! NORMAL`: a killed hub loses nothing committed; a power cut may lose the last
//! heartbeats, never a half-made change. (The jobs themselves live in the job queue's
//! own file, synced fully.)

use super::types::pairing_expiry;
use super::{
    AgentRecord, ApiKeyRecord, CodeProblem, HubSettings, HubStore, NewAgent, PairCode, Practice,
    PracticeSettings, StoreError,
};
use crate::link::protocol::Heartbeat;
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

mod users;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS hub_practices (id TEXT PRIMARY KEY, name TEXT NOT NULL,
    created_ms INTEGER NOT NULL, settings TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hub_api_keys (id TEXT PRIMARY KEY, practice_id TEXT NOT NULL,
    label TEXT NOT NULL, hash TEXT NOT NULL, created_ms INTEGER NOT NULL, revoked_ms INTEGER);
CREATE TABLE IF NOT EXISTS hub_pair_codes (hash TEXT PRIMARY KEY, practice_id TEXT NOT NULL,
    created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, used_ms INTEGER, used_by TEXT);
CREATE TABLE IF NOT EXISTS hub_agents (id TEXT PRIMARY KEY, practice_id TEXT NOT NULL,
    name TEXT NOT NULL, public_key TEXT NOT NULL, paired_ms INTEGER NOT NULL, expires_ms INTEGER,
    revoked_ms INTEGER, version TEXT NOT NULL, last_heartbeat_ms INTEGER, heartbeat TEXT);
CREATE TABLE IF NOT EXISTS hub_nonces (agent_id TEXT NOT NULL, nonce TEXT NOT NULL,
    expires_ms INTEGER NOT NULL, PRIMARY KEY (agent_id, nonce));
CREATE TABLE IF NOT EXISTS hub_sessions (token_hash TEXT PRIMARY KEY, agent_id TEXT NOT NULL,
    expires_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS hub_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hub_retries (job_id TEXT PRIMARY KEY);
";

const AGENT_COLUMNS: &str =
    "id, practice_id, name, public_key, paired_ms, expires_ms, revoked_ms, \
    version, last_heartbeat_ms, heartbeat";

/// The hub store in a SQLite file.
pub struct SqliteHubStore {
    path: PathBuf,
    conn: Mutex<Option<Connection>>,
}

type Tx<'a> = rusqlite::Transaction<'a>;

fn storage(e: rusqlite::Error) -> StoreError {
    StoreError::Storage(e.to_string())
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)
        .map_err(|e| StoreError::Storage(format!("cannot open {}: {e}", path.display())))?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
    )
    .map_err(storage)?;
    conn.execute_batch(SCHEMA).map_err(storage)?;
    conn.execute_batch(super::schedule::SCHEMA)
        .map_err(storage)?;
    conn.execute_batch(users::SCHEMA).map_err(storage)?;
    Ok(conn)
}

fn ms(v: Option<i64>) -> Option<u64> {
    v.map(|v| v as u64)
}

fn practice_row(r: &Row<'_>) -> rusqlite::Result<(String, String, i64, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn practice(row: (String, String, i64, String)) -> Result<Practice, StoreError> {
    let (id, name, created, settings) = row;
    let settings = super::codec::decode_settings(&id, &settings)?;
    Ok(Practice {
        id,
        name,
        created_ms: created as u64,
        settings,
    })
}

fn api_key(r: &Row<'_>) -> rusqlite::Result<(ApiKeyRecord, String)> {
    Ok((
        ApiKeyRecord {
            id: r.get(0)?,
            practice_id: r.get(1)?,
            label: r.get(2)?,
            created_ms: r.get::<_, i64>(4)? as u64,
            revoked_ms: ms(r.get(5)?),
        },
        r.get(3)?,
    ))
}

type AgentRow = (AgentRecord, Option<String>);

fn agent_row(r: &Row<'_>) -> rusqlite::Result<AgentRow> {
    Ok((
        AgentRecord {
            id: r.get(0)?,
            practice_id: r.get(1)?,
            name: r.get(2)?,
            public_key: r.get(3)?,
            paired_ms: r.get::<_, i64>(4)? as u64,
            expires_ms: ms(r.get(5)?),
            revoked_ms: ms(r.get(6)?),
            version: r.get(7)?,
            last_heartbeat_ms: ms(r.get(8)?),
            heartbeat: None,
        },
        r.get(9)?,
    ))
}

fn agent((mut a, hb): AgentRow) -> Result<AgentRecord, StoreError> {
    a.heartbeat = super::codec::decode_heartbeat(&a.id, hb.as_deref())?;
    Ok(a)
}

impl SqliteHubStore {
    /// Opens (creating if needed) the store in `path`.
    pub fn open(path: &Path) -> Result<SqliteHubStore, StoreError> {
        Ok(SqliteHubStore {
            conn: Mutex::new(Some(connect(path)?)),
            path: path.to_path_buf(),
        })
    }

    /// Runs `f` in an immediate transaction; a storage failure drops the connection so
    /// the next operation opens the file again.
    fn tx<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(connect(&self.path)?);
        }
        let conn = guard.as_mut().expect("connected above");
        let out = (|| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(storage)?;
            let out = f(&tx)?;
            tx.commit().map_err(storage)?;
            Ok(out)
        })();
        if matches!(out, Err(StoreError::Storage(_))) {
            *guard = None;
        }
        out
    }

    fn load_agent(tx: &Tx<'_>, id: &str) -> Result<AgentRecord, StoreError> {
        let row = tx
            .query_row(
                &format!("SELECT {AGENT_COLUMNS} FROM hub_agents WHERE id = ?1"),
                [id],
                agent_row,
            )
            .optional()
            .map_err(storage)?;
        agent(row.ok_or_else(|| StoreError::NotFound {
            what: "agent",
            id: id.to_string(),
        })?)
    }
}

impl HubStore for SqliteHubStore {
    async fn create_practice(&self, p: &Practice) -> Result<(), StoreError> {
        let settings = serde_json::to_string(&p.settings).expect("settings serialise");
        self.tx(|tx| {
            let n = tx
                .execute(
                    "INSERT OR IGNORE INTO hub_practices (id, name, created_ms, settings) VALUES (?1, ?2, ?3, ?4)",
                    params![p.id, p.name, p.created_ms as i64, settings],
                )
                .map_err(storage)?;
            if n == 0 {
                return Err(StoreError::Duplicate {
                    what: "practice",
                    id: p.id.clone(),
                });
            }
            Ok(())
        })
    }

    async fn practice(&self, id: &str) -> Result<Practice, StoreError> {
        self.tx(|tx| {
            let row = tx
                .query_row(
                    "SELECT id, name, created_ms, settings FROM hub_practices WHERE id = ?1",
                    [id],
                    practice_row,
                )
                .optional()
                .map_err(storage)?;
            practice(row.ok_or_else(|| StoreError::NotFound {
                what: "practice",
                id: id.to_string(),
            })?)
        })
    }

    async fn practices(&self) -> Result<Vec<Practice>, StoreError> {
        self.tx(|tx| {
            let mut stmt = tx
                .prepare("SELECT id, name, created_ms, settings FROM hub_practices ORDER BY id")
                .map_err(storage)?;
            let rows = stmt
                .query_map([], practice_row)
                .map_err(storage)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(storage)?;
            rows.into_iter().map(practice).collect()
        })
    }

    async fn set_practice_settings(
        &self,
        id: &str,
        settings: &PracticeSettings,
    ) -> Result<(), StoreError> {
        let text = serde_json::to_string(settings).expect("settings serialise");
        self.tx(|tx| {
            let n = tx
                .execute(
                    "UPDATE hub_practices SET settings = ?2 WHERE id = ?1",
                    params![id, text],
                )
                .map_err(storage)?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    what: "practice",
                    id: id.to_string(),
                });
            }
            Ok(())
        })
    }

    async fn create_api_key(&self, key: &ApiKeyRecord, hash: &str) -> Result<(), StoreError> {
        self.tx(|tx| {
            tx.execute(
                "INSERT INTO hub_api_keys (id, practice_id, label, hash, created_ms, revoked_ms) VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
                params![key.id, key.practice_id, key.label, hash, key.created_ms as i64],
            )
            .map_err(storage)?;
            Ok(())
        })
    }

    async fn api_key(&self, id: &str) -> Result<(ApiKeyRecord, String), StoreError> {
        self.tx(|tx| {
            tx.query_row(
                "SELECT id, practice_id, label, hash, created_ms, revoked_ms FROM hub_api_keys WHERE id = ?1",
                [id],
                api_key,
            )
            .optional()
            .map_err(storage)?
            .ok_or_else(|| StoreError::NotFound {
                what: "API key",
                id: id.to_string(),
            })
        })
    }

    async fn api_keys(&self, practice: Option<&str>) -> Result<Vec<ApiKeyRecord>, StoreError> {
        self.tx(|tx| {
            let mut stmt = tx
                .prepare(
                    "SELECT id, practice_id, label, hash, created_ms, revoked_ms FROM hub_api_keys
                     WHERE (?1 IS NULL OR practice_id = ?1) ORDER BY practice_id, created_ms, id",
                )
                .map_err(storage)?;
            let rows = stmt
                .query_map([practice], api_key)
                .map_err(storage)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(storage)?;
            Ok(rows.into_iter().map(|(k, _)| k).collect())
        })
    }

    async fn revoke_api_key(&self, id: &str, now_ms: u64) -> Result<(), StoreError> {
        self.tx(|tx| {
            let n = tx
                .execute(
                    "UPDATE hub_api_keys SET revoked_ms = COALESCE(revoked_ms, ?2) WHERE id = ?1",
                    params![id, now_ms as i64],
                )
                .map_err(storage)?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    what: "API key",
                    id: id.to_string(),
                });
            }
            Ok(())
        })
    }

    async fn create_pair_code(&self, code: &PairCode) -> Result<(), StoreError> {
        self.tx(|tx| {
            tx.execute(
                "INSERT INTO hub_pair_codes (hash, practice_id, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4)",
                params![code.hash, code.practice_id, code.created_ms as i64, code.expires_ms as i64],
            )
            .map_err(storage)?;
            Ok(())
        })
    }

    async fn redeem_pair_code(
        &self,
        hash: &str,
        new: NewAgent,
        now_ms: u64,
    ) -> Result<AgentRecord, StoreError> {
        self.tx(|tx| {
            let code: Option<(String, i64, Option<i64>)> = tx
                .query_row(
                    "SELECT practice_id, expires_ms, used_ms FROM hub_pair_codes WHERE hash = ?1",
                    [hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(storage)?;
            let (practice_id, expires, used) =
                code.ok_or(StoreError::BadCode(CodeProblem::Unknown))?;
            if used.is_some() {
                return Err(StoreError::BadCode(CodeProblem::Used));
            }
            if (expires as u64) <= now_ms {
                return Err(StoreError::BadCode(CodeProblem::Expired));
            }
            tx.execute(
                "UPDATE hub_pair_codes SET used_ms = ?2, used_by = ?3 WHERE hash = ?1",
                params![hash, now_ms as i64, new.id],
            )
            .map_err(storage)?;
            let settings: String = tx
                .query_row(
                    "SELECT settings FROM hub_practices WHERE id = ?1",
                    [&practice_id],
                    |r| r.get(0),
                )
                .map_err(storage)?;
            let settings = super::codec::decode_settings(&practice_id, &settings)?;
            let seconds = settings.pairing_seconds.or(new.default_pairing_seconds);
            let expires_ms = pairing_expiry(now_ms, seconds);
            tx.execute(
                "INSERT INTO hub_agents (id, practice_id, name, public_key, paired_ms, expires_ms, version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![new.id, practice_id, new.name, new.public_key, now_ms as i64,
                    expires_ms.map(|e| e as i64), new.version],
            )
            .map_err(storage)?;
            Self::load_agent(tx, &new.id)
        })
    }

    async fn agent(&self, id: &str) -> Result<AgentRecord, StoreError> {
        self.tx(|tx| Self::load_agent(tx, id))
    }

    async fn agents(&self, practice: Option<&str>) -> Result<Vec<AgentRecord>, StoreError> {
        self.tx(|tx| {
            let mut stmt = tx
                .prepare(&format!(
                    "SELECT {AGENT_COLUMNS} FROM hub_agents WHERE (?1 IS NULL OR practice_id = ?1)
                     ORDER BY practice_id, paired_ms, id"
                ))
                .map_err(storage)?;
            let rows = stmt
                .query_map([practice], agent_row)
                .map_err(storage)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(storage)?;
            rows.into_iter().map(agent).collect()
        })
    }

    async fn revoke_agent(&self, id: &str, now_ms: u64) -> Result<(), StoreError> {
        self.tx(|tx| {
            let n = tx
                .execute(
                    "UPDATE hub_agents SET revoked_ms = COALESCE(revoked_ms, ?2) WHERE id = ?1",
                    params![id, now_ms as i64],
                )
                .map_err(storage)?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    what: "agent",
                    id: id.to_string(),
                });
            }
            tx.execute("DELETE FROM hub_sessions WHERE agent_id = ?1", [id])
                .map_err(storage)?;
            Ok(())
        })
    }

    async fn record_heartbeat(
        &self,
        agent_id: &str,
        heartbeat: &Heartbeat,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let text = serde_json::to_string(heartbeat).expect("a heartbeat serialises");
        self.tx(|tx| {
            let n = tx
                .execute(
                    "UPDATE hub_agents SET heartbeat = ?2, version = ?3, last_heartbeat_ms = ?4 WHERE id = ?1",
                    params![agent_id, text, heartbeat.version, now_ms as i64],
                )
                .map_err(storage)?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    what: "agent",
                    id: agent_id.to_string(),
                });
            }
            Ok(())
        })
    }

    async fn use_nonce(
        &self,
        agent_id: &str,
        nonce: &str,
        expires_ms: u64,
    ) -> Result<bool, StoreError> {
        self.tx(|tx| {
            let n = tx
                .execute(
                    "INSERT OR IGNORE INTO hub_nonces (agent_id, nonce, expires_ms) VALUES (?1, ?2, ?3)",
                    params![agent_id, nonce, expires_ms as i64],
                )
                .map_err(storage)?;
            Ok(n == 1)
        })
    }

    async fn create_session(
        &self,
        token_hash: &str,
        agent_id: &str,
        expires_ms: u64,
    ) -> Result<(), StoreError> {
        self.tx(|tx| {
            tx.execute(
                "INSERT INTO hub_sessions (token_hash, agent_id, expires_ms) VALUES (?1, ?2, ?3)",
                params![token_hash, agent_id, expires_ms as i64],
            )
            .map_err(storage)?;
            Ok(())
        })
    }

    async fn session_agent(
        &self,
        token_hash: &str,
        now_ms: u64,
    ) -> Result<Option<String>, StoreError> {
        self.tx(|tx| {
            tx.query_row(
                "SELECT agent_id FROM hub_sessions WHERE token_hash = ?1 AND expires_ms > ?2",
                params![token_hash, now_ms as i64],
                |r| r.get(0),
            )
            .optional()
            .map_err(storage)
        })
    }

    async fn prune(&self, now_ms: u64) -> Result<(), StoreError> {
        self.tx(|tx| {
            tx.execute(
                "DELETE FROM hub_nonces WHERE expires_ms < ?1",
                [now_ms as i64],
            )
            .map_err(storage)?;
            tx.execute(
                "DELETE FROM hub_sessions WHERE expires_ms < ?1",
                [now_ms as i64],
            )
            .map_err(storage)?;
            Ok(())
        })
    }

    async fn settings(&self) -> Result<HubSettings, StoreError> {
        self.tx(|tx| {
            let text: Option<String> = tx
                .query_row(
                    "SELECT value FROM hub_settings WHERE name = 'settings'",
                    [],
                    |r| r.get(0),
                )
                .optional()
                .map_err(storage)?;
            super::codec::decode_hub_settings(text.as_deref())
        })
    }

    async fn save_settings(&self, settings: &HubSettings) -> Result<(), StoreError> {
        let text = serde_json::to_string(settings).expect("settings serialise");
        self.tx(|tx| {
            tx.execute(
                "INSERT INTO hub_settings (name, value) VALUES ('settings', ?1)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                [text],
            )
            .map_err(storage)?;
            Ok(())
        })
    }

    async fn mark_retry(&self, job_id: &str) -> Result<(), StoreError> {
        self.tx(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO hub_retries (job_id) VALUES (?1)",
                [job_id],
            )
            .map_err(storage)?;
            Ok(())
        })
    }

    async fn take_retry(&self, job_id: &str) -> Result<bool, StoreError> {
        self.tx(|tx| {
            let n = tx
                .execute("DELETE FROM hub_retries WHERE job_id = ?1", [job_id])
                .map_err(storage)?;
            Ok(n == 1)
        })
    }

    async fn apply_schedule(
        &self,
        practice: &str,
        source: &str,
        batch: &crate::link::protocol::ScheduleBatch,
        now_ms: u64,
    ) -> Result<super::ScheduleReceipt, StoreError> {
        self.tx(|tx| super::schedule_sqlite::apply(tx, practice, source, batch, now_ms))
    }

    async fn schedule(&self, practice: &str) -> Result<super::PracticeSchedule, StoreError> {
        self.tx(|tx| super::schedule_sqlite::read(tx, practice))
    }
}
