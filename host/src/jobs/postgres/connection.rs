//! One PostgreSQL connection that comes back: when the server goes away (restarted,
//! network cut) the broken client is dropped and the next operation connects again.
//! Operations in between fail fast with [`QueueError::Storage`]; the job loop backs off
//! and says once that the store is unavailable and once that it is back.

use crate::jobs::queue::QueueError;
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};
use tokio_postgres::{Client, NoTls};

/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection string and the client made from it, if it is up.
pub struct Connection {
    config: String,
    client: Mutex<Option<Client>>,
}

/// An open client, held for one operation.
pub type Held<'a> = MutexGuard<'a, Option<Client>>;

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
            client: Mutex::new(Some(client)),
        })
    }

    /// The client for one operation, connecting again first if the last one broke.
    pub async fn hold(&self) -> Result<Held<'_>, QueueError> {
        let mut held = self.client.lock().await;
        if held.as_ref().is_none_or(Client::is_closed) {
            *held = None;
            *held = Some(connect(&self.config).await?);
        }
        Ok(held)
    }

    /// After an operation on `held` ended with `result`: a failure on a closed client
    /// drops it, so the next operation reconnects.
    pub fn settle<T>(held: &mut Held<'_>, result: &Result<T, QueueError>) {
        let closed = held.as_ref().is_none_or(Client::is_closed);
        if matches!(result, Err(QueueError::Storage(_))) && closed {
            **held = None;
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
