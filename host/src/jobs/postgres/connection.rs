//! A few PostgreSQL connections that come back: when the server goes away (restarted,
//! network cut) a broken client is dropped and the next operation on it connects again.
//! Operations in between fail fast with [`QueueError::Storage`]; the job loop backs off
//! and says once that the store is unavailable and once that it is back.
//!
//! The statements of the hot path (a claim, a success recorded) are prepared once per
//! connection ([`Statements`]): a query given as text is parsed by the server on every
//! call, one more round trip each time.

use crate::jobs::queue::QueueError;
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};
use tokio_postgres::{Client, GenericClient, NoTls, Statement};

/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections a queue opens at most: operations of jobs in flight side by side run on
/// several, so the server works on them at once (its backends are one process each).
const POOL: usize = 4;

/// A connection string and the sessions made from it, each while it is up (the first at
/// once, the others when operations overlap).
pub struct Connection {
    config: String,
    pool: Vec<Mutex<Option<Session>>>,
    next: AtomicUsize,
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
        let mut pool = vec![Mutex::new(Some(Session::new(client)))];
        pool.extend((1..POOL).map(|_| Mutex::new(None)));
        Ok(Connection {
            config: config.to_string(),
            pool,
            next: AtomicUsize::new(0),
        })
    }

    /// A session for one operation: a free one (the open ones first), else the next in
    /// turn once free; connecting (again) first if it is not up.
    pub async fn hold(&self) -> Result<Held<'_>, QueueError> {
        let mut spare = None;
        for slot in &self.pool {
            if let Ok(held) = slot.try_lock() {
                if held.is_some() {
                    return self.ready(held).await;
                }
                spare.get_or_insert(held);
            }
        }
        let held = match spare {
            Some(held) => held,
            None => {
                let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.pool.len();
                self.pool[turn].lock().await
            }
        };
        self.ready(held).await
    }

    /// `held`, connected (again) first if it is not up.
    async fn ready<'a>(&self, mut held: Held<'a>) -> Result<Held<'a>, QueueError> {
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

/// A transaction on a held session whose `BEGIN` goes out with its first statements and
/// whose `COMMIT` goes out with its last: two round trips fewer than
/// `Client::transaction`, which waits for each. Ended any other way (a failure, or the
/// operation cut off midway) it drops the session: the server rolls the transaction
/// back as the connection closes, and the next operation connects again.
pub struct Pipelined<'h, 'a> {
    held: &'h mut Held<'a>,
    committed: bool,
}

impl<'h, 'a> Pipelined<'h, 'a> {
    /// A transaction about to begin on `held` (connected by [`Connection::hold`]).
    pub fn new(held: &'h mut Held<'a>) -> Pipelined<'h, 'a> {
        Pipelined {
            held,
            committed: false,
        }
    }

    /// The session the transaction runs on.
    pub fn session(&mut self) -> &mut Session {
        self.held.as_mut().expect("hold connects")
    }

    /// The transaction's `COMMIT` was answered: the session stays.
    pub fn committed(mut self) {
        self.committed = true;
    }
}

impl Drop for Pipelined<'_, '_> {
    fn drop(&mut self) {
        if !self.committed {
            **self.held = None;
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
