//! One PostgreSQL connection for the hub store that comes back after an outage: a broken
//! client is dropped and the next operation connects again.

use super::StoreError;
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};
use tokio_postgres::{Client, NoTls};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection string and the client made from it, if it is up.
pub struct Connection {
    config: String,
    client: Mutex<Option<Client>>,
}

/// A PostgreSQL error as a store error, with the server's own message when it sent one.
pub fn storage(e: tokio_postgres::Error) -> StoreError {
    StoreError::Storage(match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    })
}

impl Connection {
    /// Connects now (so a wrong connection string fails at start) and runs `setup`.
    pub async fn open(config: &str, setup: &str) -> Result<Connection, StoreError> {
        let client = connect(config).await?;
        client.batch_execute(setup).await.map_err(storage)?;
        Ok(Connection {
            config: config.to_string(),
            client: Mutex::new(Some(client)),
        })
    }

    /// Runs `op` on the client, connecting again first if the last one broke; a failure
    /// on a client that closed drops it.
    pub async fn run<T>(
        &self,
        op: impl AsyncFnOnce(&mut Client) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut held: MutexGuard<'_, Option<Client>> = self.client.lock().await;
        if held.as_ref().is_none_or(Client::is_closed) {
            *held = None;
            *held = Some(connect(&self.config).await?);
        }
        let result = op(held.as_mut().expect("connected above")).await;
        if matches!(result, Err(StoreError::Storage(_)))
            && held.as_ref().is_none_or(Client::is_closed)
        {
            *held = None;
        }
        result
    }
}

async fn connect(config: &str) -> Result<Client, StoreError> {
    let unreachable =
        |e: String| StoreError::Storage(format!("cannot connect to the PostgreSQL hub store: {e}"));
    let (client, connection) =
        tokio::time::timeout(CONNECT_TIMEOUT, tokio_postgres::connect(config, NoTls))
            .await
            .map_err(|_| unreachable(format!("no answer within {}s", CONNECT_TIMEOUT.as_secs())))?
            .map_err(|e| unreachable(e.to_string()))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!("PostgreSQL hub store connection ended: {e}");
        }
    });
    Ok(client)
}
