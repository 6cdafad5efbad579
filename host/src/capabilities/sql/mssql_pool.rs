//! A small connection pool for tiberius, which has none of its own: at most `size`
//! connections per database label, idle ones kept for reuse. A connection goes back to
//! the pool only when it is known to be clean (no transaction open, no statement cut off
//! half way); any other connection is closed, and closing ends whatever the server held
//! for it, so an abandoned transaction is rolled back by the server.

use std::sync::{Arc, Mutex};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::compat::Compat;

/// A tiberius client on a tokio TCP stream.
pub type Client = tiberius::Client<Compat<TcpStream>>;

/// The pool of one database label.
pub struct Pool {
    idle: Mutex<Vec<Client>>,
    slots: Arc<Semaphore>,
}

/// A connection checked out of the pool, with its place in the pool's limit.
pub struct Pooled {
    client: Option<Client>,
    clean: bool,
    pool: Arc<Pool>,
    _permit: OwnedSemaphorePermit,
}

impl Pool {
    /// A pool allowing `size` connections at once.
    pub fn new(size: usize) -> Arc<Pool> {
        Arc::new(Pool {
            idle: Mutex::new(Vec::new()),
            slots: Arc::new(Semaphore::new(size.max(1))),
        })
    }

    /// Waits for a place in the limit, then reuses an idle connection or opens one with
    /// `connect`. The caller bounds the wait with its connect timeout.
    pub async fn get<F, Fut, E>(self: &Arc<Pool>, connect: F) -> Result<Pooled, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Client, E>>,
    {
        let permit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("the pool's semaphore is never closed");
        let reused = self.idle.lock().expect("pool lock").pop();
        let client = match reused {
            Some(c) => c,
            None => connect().await?,
        };
        Ok(Pooled {
            client: Some(client),
            clean: false,
            pool: self.clone(),
            _permit: permit,
        })
    }

    /// Closes every idle connection (after the server went away, so that the next
    /// statement connects afresh instead of failing on a dead socket).
    pub fn clear(&self) {
        self.idle.lock().expect("pool lock").clear();
    }
}

impl Pooled {
    /// The connection.
    pub fn client(&mut self) -> &mut Client {
        self.client
            .as_mut()
            .expect("a pooled connection is present until drop")
    }

    /// Marks the connection clean: it returns to the pool when dropped. Anything not
    /// marked clean is closed instead.
    pub fn release_clean(mut self) {
        self.clean = true;
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            if self.clean {
                self.pool.idle.lock().expect("pool lock").push(client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The limit holds: with one slot taken, a second checkout waits until the first is
    // dropped (here it cannot connect at all, so only the waiting is observable).
    #[tokio::test]
    async fn limit_is_enforced() {
        let pool = Pool::new(1);
        let permit = pool.slots.clone().acquire_owned().await.unwrap();
        let waiting = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            pool.get(|| async { Err::<Client, &str>("no server") }),
        )
        .await;
        assert!(waiting.is_err(), "checkout did not wait for the slot");
        drop(permit);
        let got = pool
            .get(|| async { Err::<Client, &str>("no server") })
            .await;
        assert_eq!(got.err(), Some("no server"));
    }
}
