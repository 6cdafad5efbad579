//! The hub store on PostgreSQL, for several hub instances sharing one database (with
//! the job queue's tables beside these). Each operation is one statement or one
//! transaction; pairing locks the code's row, so two agents racing with one code cannot
//! both pair.

use super::codec::{decode_heartbeat, decode_hub_settings, decode_settings};
use super::pg_connection::{storage, Connection};
use super::types::pairing_expiry;
use super::{
    AgentRecord, ApiKeyRecord, CodeProblem, HubSettings, HubStore, NewAgent, PairCode, Practice,
    PracticeSettings, StoreError,
};
use crate::link::protocol::Heartbeat;
use tokio_postgres::Row;

mod users;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS hub_practices (id TEXT PRIMARY KEY, name TEXT NOT NULL,
    created_ms BIGINT NOT NULL, settings TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hub_api_keys (id TEXT PRIMARY KEY, practice_id TEXT NOT NULL,
    label TEXT NOT NULL, hash TEXT NOT NULL, created_ms BIGINT NOT NULL, revoked_ms BIGINT);
CREATE TABLE IF NOT EXISTS hub_pair_codes (hash TEXT PRIMARY KEY, practice_id TEXT NOT NULL,
    created_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL, used_ms BIGINT, used_by TEXT);
CREATE TABLE IF NOT EXISTS hub_agents (id TEXT PRIMARY KEY, practice_id TEXT NOT NULL,
    name TEXT NOT NULL, public_key TEXT NOT NULL, paired_ms BIGINT NOT NULL, expires_ms BIGINT,
    revoked_ms BIGINT, version TEXT NOT NULL, last_heartbeat_ms BIGINT, heartbeat TEXT);
CREATE TABLE IF NOT EXISTS hub_nonces (agent_id TEXT NOT NULL, nonce TEXT NOT NULL,
    expires_ms BIGINT NOT NULL, PRIMARY KEY (agent_id, nonce));
CREATE TABLE IF NOT EXISTS hub_sessions (token_hash TEXT PRIMARY KEY, agent_id TEXT NOT NULL,
    expires_ms BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS hub_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hub_retries (job_id TEXT PRIMARY KEY);
";

const AGENT_COLUMNS: &str =
    "id, practice_id, name, public_key, paired_ms, expires_ms, revoked_ms, \
    version, last_heartbeat_ms, heartbeat";

/// The hub store in a PostgreSQL database.
pub struct PostgresHubStore {
    conn: Connection,
}

fn ms(v: Option<i64>) -> Option<u64> {
    v.map(|v| v as u64)
}

fn practice(r: &Row) -> Result<Practice, StoreError> {
    let id: String = r.get(0);
    let settings = decode_settings(&id, r.get(3))?;
    Ok(Practice {
        name: r.get(1),
        created_ms: r.get::<_, i64>(2) as u64,
        settings,
        id,
    })
}

fn api_key(r: &Row) -> (ApiKeyRecord, String) {
    (
        ApiKeyRecord {
            id: r.get(0),
            practice_id: r.get(1),
            label: r.get(2),
            created_ms: r.get::<_, i64>(4) as u64,
            revoked_ms: ms(r.get(5)),
        },
        r.get(3),
    )
}

fn agent(r: &Row) -> Result<AgentRecord, StoreError> {
    let id: String = r.get(0);
    let heartbeat = decode_heartbeat(&id, r.get(9))?;
    Ok(AgentRecord {
        practice_id: r.get(1),
        name: r.get(2),
        public_key: r.get(3),
        paired_ms: r.get::<_, i64>(4) as u64,
        expires_ms: ms(r.get(5)),
        revoked_ms: ms(r.get(6)),
        version: r.get(7),
        last_heartbeat_ms: ms(r.get(8)),
        heartbeat,
        id,
    })
}

fn not_found(what: &'static str, id: &str) -> StoreError {
    StoreError::NotFound {
        what,
        id: id.to_string(),
    }
}

impl PostgresHubStore {
    /// Connects with a libpq-style connection string and creates the tables if needed.
    pub async fn connect(config: &str) -> Result<PostgresHubStore, StoreError> {
        Ok(PostgresHubStore {
            conn: Connection::open(
                config,
                &format!("{SCHEMA}{}{}", super::schedule::SCHEMA, users::SCHEMA),
            )
            .await?,
        })
    }

    /// Runs one statement that must change a row of `what` `id`.
    async fn change(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        what: &'static str,
        id: &str,
    ) -> Result<(), StoreError> {
        let n = self
            .conn
            .run(async |c| c.execute(sql, params).await.map_err(storage))
            .await?;
        if n == 0 {
            return Err(not_found(what, id));
        }
        Ok(())
    }
}

impl HubStore for PostgresHubStore {
    async fn create_practice(&self, p: &Practice) -> Result<(), StoreError> {
        let settings = serde_json::to_string(&p.settings).expect("settings serialise");
        let created = p.created_ms as i64;
        let n = self
            .conn
            .run(async |c| {
                c.execute(
                    "INSERT INTO hub_practices (id, name, created_ms, settings) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (id) DO NOTHING",
                    &[&p.id, &p.name, &created, &settings],
                )
                .await
                .map_err(storage)
            })
            .await?;
        if n == 0 {
            return Err(StoreError::Duplicate {
                what: "practice",
                id: p.id.clone(),
            });
        }
        Ok(())
    }

    async fn practice(&self, id: &str) -> Result<Practice, StoreError> {
        let row = self
            .conn
            .run(async |c| {
                c.query_opt(
                    "SELECT id, name, created_ms, settings FROM hub_practices WHERE id = $1",
                    &[&id],
                )
                .await
                .map_err(storage)
            })
            .await?;
        practice(&row.ok_or_else(|| not_found("practice", id))?)
    }

    async fn practices(&self) -> Result<Vec<Practice>, StoreError> {
        let rows = self
            .conn
            .run(async |c| {
                c.query(
                    "SELECT id, name, created_ms, settings FROM hub_practices ORDER BY id",
                    &[],
                )
                .await
                .map_err(storage)
            })
            .await?;
        rows.iter().map(practice).collect()
    }

    async fn set_practice_settings(
        &self,
        id: &str,
        settings: &PracticeSettings,
    ) -> Result<(), StoreError> {
        let text = serde_json::to_string(settings).expect("settings serialise");
        self.change(
            "UPDATE hub_practices SET settings = $2 WHERE id = $1",
            &[&id, &text],
            "practice",
            id,
        )
        .await
    }

    async fn create_api_key(&self, key: &ApiKeyRecord, hash: &str) -> Result<(), StoreError> {
        let created = key.created_ms as i64;
        self.conn
            .run(async |c| {
                c.execute(
                    "INSERT INTO hub_api_keys (id, practice_id, label, hash, created_ms) VALUES ($1, $2, $3, $4, $5)",
                    &[&key.id, &key.practice_id, &key.label, &hash, &created],
                )
                .await
                .map_err(storage)
            })
            .await?;
        Ok(())
    }

    async fn api_key(&self, id: &str) -> Result<(ApiKeyRecord, String), StoreError> {
        let row = self
            .conn
            .run(async |c| {
                c.query_opt(
                    "SELECT id, practice_id, label, hash, created_ms, revoked_ms FROM hub_api_keys WHERE id = $1",
                    &[&id],
                )
                .await
                .map_err(storage)
            })
            .await?;
        Ok(api_key(&row.ok_or_else(|| not_found("API key", id))?))
    }

    async fn api_keys(&self, practice: Option<&str>) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let rows = self
            .conn
            .run(async |c| {
                c.query(
                    "SELECT id, practice_id, label, hash, created_ms, revoked_ms FROM hub_api_keys
                     WHERE ($1::text IS NULL OR practice_id = $1) ORDER BY practice_id, created_ms, id",
                    &[&practice],
                )
                .await
                .map_err(storage)
            })
            .await?;
        Ok(rows.iter().map(|r| api_key(r).0).collect())
    }

    async fn revoke_api_key(&self, id: &str, now_ms: u64) -> Result<(), StoreError> {
        let now = now_ms as i64;
        self.change(
            "UPDATE hub_api_keys SET revoked_ms = COALESCE(revoked_ms, $2) WHERE id = $1",
            &[&id, &now],
            "API key",
            id,
        )
        .await
    }

    async fn create_pair_code(&self, code: &PairCode) -> Result<(), StoreError> {
        let (created, expires) = (code.created_ms as i64, code.expires_ms as i64);
        self.conn
            .run(async |c| {
                c.execute(
                    "INSERT INTO hub_pair_codes (hash, practice_id, created_ms, expires_ms) VALUES ($1, $2, $3, $4)",
                    &[&code.hash, &code.practice_id, &created, &expires],
                )
                .await
                .map_err(storage)
            })
            .await?;
        Ok(())
    }

    async fn redeem_pair_code(
        &self,
        hash: &str,
        new: NewAgent,
        now_ms: u64,
    ) -> Result<AgentRecord, StoreError> {
        let now = now_ms as i64;
        self.conn
            .run(async |c| {
                let tx = c.transaction().await.map_err(storage)?;
                let code = tx
                    .query_opt(
                        "SELECT practice_id, expires_ms, used_ms FROM hub_pair_codes WHERE hash = $1 FOR UPDATE",
                        &[&hash],
                    )
                    .await
                    .map_err(storage)?
                    .ok_or(StoreError::BadCode(CodeProblem::Unknown))?;
                let practice_id: String = code.get(0);
                if code.get::<_, Option<i64>>(2).is_some() {
                    return Err(StoreError::BadCode(CodeProblem::Used));
                }
                if code.get::<_, i64>(1) <= now {
                    return Err(StoreError::BadCode(CodeProblem::Expired));
                }
                tx.execute(
                    "UPDATE hub_pair_codes SET used_ms = $2, used_by = $3 WHERE hash = $1",
                    &[&hash, &now, &new.id],
                )
                .await
                .map_err(storage)?;
                let row = tx
                    .query_one("SELECT settings FROM hub_practices WHERE id = $1", &[&practice_id])
                    .await
                    .map_err(storage)?;
                let settings = decode_settings(&practice_id, row.get(0))?;
                let seconds = settings.pairing_seconds.or(new.default_pairing_seconds);
                let expires = pairing_expiry(now_ms, seconds).map(|e| e as i64);
                let row = tx
                    .query_one(
                        &format!(
                            "INSERT INTO hub_agents (id, practice_id, name, public_key, paired_ms, expires_ms, version)
                             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {AGENT_COLUMNS}"
                        ),
                        &[&new.id, &practice_id, &new.name, &new.public_key, &now, &expires, &new.version],
                    )
                    .await
                    .map_err(storage)?;
                let stored = agent(&row)?;
                tx.commit().await.map_err(storage)?;
                Ok(stored)
            })
            .await
    }

    async fn agent(&self, id: &str) -> Result<AgentRecord, StoreError> {
        let row = self
            .conn
            .run(async |c| {
                c.query_opt(
                    &format!("SELECT {AGENT_COLUMNS} FROM hub_agents WHERE id = $1"),
                    &[&id],
                )
                .await
                .map_err(storage)
            })
            .await?;
        agent(&row.ok_or_else(|| not_found("agent", id))?)
    }

    async fn agents(&self, practice: Option<&str>) -> Result<Vec<AgentRecord>, StoreError> {
        let rows = self
            .conn
            .run(async |c| {
                c.query(
                    &format!(
                        "SELECT {AGENT_COLUMNS} FROM hub_agents WHERE ($1::text IS NULL OR practice_id = $1)
                         ORDER BY practice_id, paired_ms, id"
                    ),
                    &[&practice],
                )
                .await
                .map_err(storage)
            })
            .await?;
        rows.iter().map(agent).collect()
    }

    async fn revoke_agent(&self, id: &str, now_ms: u64) -> Result<(), StoreError> {
        let now = now_ms as i64;
        self.conn
            .run(async |c| {
                let tx = c.transaction().await.map_err(storage)?;
                let n = tx
                    .execute(
                        "UPDATE hub_agents SET revoked_ms = COALESCE(revoked_ms, $2) WHERE id = $1",
                        &[&id, &now],
                    )
                    .await
                    .map_err(storage)?;
                if n == 0 {
                    return Err(not_found("agent", id));
                }
                tx.execute("DELETE FROM hub_sessions WHERE agent_id = $1", &[&id])
                    .await
                    .map_err(storage)?;
                tx.commit().await.map_err(storage)
            })
            .await
    }

    async fn record_heartbeat(
        &self,
        agent_id: &str,
        heartbeat: &Heartbeat,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let text = serde_json::to_string(heartbeat).expect("a heartbeat serialises");
        let now = now_ms as i64;
        self.change(
            "UPDATE hub_agents SET heartbeat = $2, version = $3, last_heartbeat_ms = $4 WHERE id = $1",
            &[&agent_id, &text, &heartbeat.version, &now],
            "agent",
            agent_id,
        )
        .await
    }

    async fn use_nonce(
        &self,
        agent_id: &str,
        nonce: &str,
        expires_ms: u64,
    ) -> Result<bool, StoreError> {
        let expires = expires_ms as i64;
        let n = self
            .conn
            .run(async |c| {
                c.execute(
                    "INSERT INTO hub_nonces (agent_id, nonce, expires_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    &[&agent_id, &nonce, &expires],
                )
                .await
                .map_err(storage)
            })
            .await?;
        Ok(n == 1)
    }

    async fn create_session(
        &self,
        token_hash: &str,
        agent_id: &str,
        expires_ms: u64,
    ) -> Result<(), StoreError> {
        let expires = expires_ms as i64;
        self.conn
            .run(async |c| {
                c.execute(
                    "INSERT INTO hub_sessions (token_hash, agent_id, expires_ms) VALUES ($1, $2, $3)",
                    &[&token_hash, &agent_id, &expires],
                )
                .await
                .map_err(storage)
            })
            .await?;
        Ok(())
    }

    async fn session_agent(
        &self,
        token_hash: &str,
        now_ms: u64,
    ) -> Result<Option<String>, StoreError> {
        let now = now_ms as i64;
        let row = self
            .conn
            .run(async |c| {
                c.query_opt(
                    "SELECT agent_id FROM hub_sessions WHERE token_hash = $1 AND expires_ms > $2",
                    &[&token_hash, &now],
                )
                .await
                .map_err(storage)
            })
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn prune(&self, now_ms: u64) -> Result<(), StoreError> {
        let now = now_ms as i64;
        self.conn
            .run(async |c| {
                c.execute("DELETE FROM hub_nonces WHERE expires_ms < $1", &[&now])
                    .await
                    .map_err(storage)?;
                c.execute("DELETE FROM hub_sessions WHERE expires_ms < $1", &[&now])
                    .await
                    .map_err(storage)
            })
            .await?;
        Ok(())
    }

    async fn settings(&self) -> Result<HubSettings, StoreError> {
        let row = self
            .conn
            .run(async |c| {
                c.query_opt(
                    "SELECT value FROM hub_settings WHERE name = 'settings'",
                    &[],
                )
                .await
                .map_err(storage)
            })
            .await?;
        decode_hub_settings(row.as_ref().map(|r| r.get(0)))
    }

    async fn save_settings(&self, settings: &HubSettings) -> Result<(), StoreError> {
        let text = serde_json::to_string(settings).expect("settings serialise");
        self.conn
            .run(async |c| {
                c.execute(
                    "INSERT INTO hub_settings (name, value) VALUES ('settings', $1)
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    &[&text],
                )
                .await
                .map_err(storage)
            })
            .await?;
        Ok(())
    }

    async fn mark_retry(&self, job_id: &str) -> Result<(), StoreError> {
        self.conn
            .run(async |c| {
                c.execute(
                    "INSERT INTO hub_retries (job_id) VALUES ($1) ON CONFLICT DO NOTHING",
                    &[&job_id],
                )
                .await
                .map_err(storage)
            })
            .await?;
        Ok(())
    }

    async fn take_retry(&self, job_id: &str) -> Result<bool, StoreError> {
        let n = self
            .conn
            .run(async |c| {
                c.execute("DELETE FROM hub_retries WHERE job_id = $1", &[&job_id])
                    .await
                    .map_err(storage)
            })
            .await?;
        Ok(n == 1)
    }

    async fn apply_schedule(
        &self,
        practice: &str,
        source: &str,
        batch: &crate::link::protocol::ScheduleBatch,
        now_ms: u64,
    ) -> Result<super::ScheduleReceipt, StoreError> {
        self.conn
            .run(async |c| super::schedule_pg::apply(c, practice, source, batch, now_ms).await)
            .await
    }

    async fn schedule(&self, practice: &str) -> Result<super::PracticeSchedule, StoreError> {
        self.conn
            .run(async |c| super::schedule_pg::read(c, practice).await)
            .await
    }
}
