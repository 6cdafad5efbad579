//! One PostgreSQL connection that comes back: when the server goes away (restarted,
//! network cut) the broken client is dropped and the next operation connects again.
//! Operations in between fail fast with [`QueueError::Storage`]; the job loop backs off
//! and says once that the store is unavailable and once that it is back.
//!
//! The statements of the hot path (claim, renew, record) are prepared once per
//! connection ([`Statements`]): a query given as text is parsed by the server on every
//! call, one more round trip each time.

use crate::jobs::queue::QueueError;
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};
use tokio_postgres::{Client, GenericClient, NoTls, Statement};

/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection string and the session made from it, if it is up.
pub struct Connection {
    config: String,
    client: Mutex<Option<Session>>,
}

/// An open client and the statements prepared on it, held for one operation.
pub type Held<'a> = MutexGuard<'a, Option<Session>>;

/// An open client and the statements prepared on it (they live as long as it does).
pub struct Session {
    /// The client.
    pub client: Client,
    /// The statements prepared on it.
    pub statements: Statements,
}

impl Deref for Session {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl DerefMut for Session {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

/// The statements prepared on one connection, by their text.
#[derive(Default)]
pub struct Statements(HashMap<String, Statement>);

impl Statements {
    /// `sql` prepared on this connection (through `on`, the client or a transaction on
    /// it), preparing it the first time.
    pub async fn get(
        &mut self,
        on: &impl GenericClient,
        sql: &str,
    ) -> Result<Statement, QueueError> {
        if let Some(s) = self.0.get(sql) {
            return Ok(s.clone());
        }
        let prepared = on.prepare(sql).await.map_err(storage)?;
        self.0.insert(sql.to_string(), prepared.clone());
        Ok(prepared)
    }
}

/// A PostgreSQL error as a queue error, with the server's own message when it sent one.
pub fn storage(e: tokio_postgres::Error) -> QueueError {
    QueueError::Storage(match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    })
}

impl Connection {
    /// Connects now (so a wrong connection string fails at start) and runs `setup`.
    pub async fn open(config: &str, setup: &'static str) -> Result<Connection, QueueError> {
        let client = connect(config).await?;
        client.batch_execute(setup).await.map_err(storage)?;
        Ok(Connection {
            config: config.to_string(),
            client: Mutex::new(Some(Session::new(client))),
        })
    }

    /// The client for one operation, connecting again first if the last one broke.
    pub async fn hold(&self) -> Result<Held<'_>, QueueError> {
        let mut held = self.client.lock().await;
        if held.as_ref().is_none_or(|s| s.client.is_closed()) {
            *held = None;
            *held = Some(Session::new(connect(&self.config).await?));
        }
        Ok(held)
    }

    /// After an operation on `held` ended with `result`: a failure on a closed client
    /// drops it, so the next operation reconnects.
    pub fn settle<T>(held: &mut Held<'_>, result: &Result<T, QueueError>) {
        let closed = held.as_ref().is_none_or(|s| s.client.is_closed());
        if matches!(result, Err(QueueError::Storage(_))) && closed {
            **held = None;
        }
    }
}

impl Session {
    fn new(client: Client) -> Session {
        Session {
            client,
            statements: Statements::default(),
        }
    }
}

async fn connect(config: &str) -> Result<Client, QueueError> {
    let unreachable =
        |e: String| QueueError::Storage(format!("cannot connect to the PostgreSQL job store: {e}"));
    let (client, connection) =
        tokio::time::timeout(CONNECT_TIMEOUT, tokio_postgres::connect(config, NoTls))
            .await
            .map_err(|_| unreachable(format!("no answer within {}s", CONNECT_TIMEOUT.as_secs())))?
            .map_err(|e| unreachable(e.to_string()))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!("PostgreSQL job store connection ended: {e}");
        }
    });
    Ok(client)
}
