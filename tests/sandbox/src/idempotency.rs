//! `Idempotency-Key` support: a keyed write is applied once; repeats get the stored answer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::shared::{lock, Shared};

/// Header a client sends to make a write safe to retry.
pub(crate) const KEY_HEADER: &str = "idempotency-key";
/// Header on an answer that was replayed rather than applied.
pub(crate) const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Stored answers are keyed by key, method and path together, so one key reused on a
/// different endpoint is a different request.
type Key = (String, Method, String);

#[derive(Debug, Clone)]
struct Stored {
    status: StatusCode,
    content_type: Option<HeaderValue>,
    body: Bytes,
}

#[derive(Debug)]
enum Entry {
    /// A request with this key is being applied right now.
    InFlight,
    Done(Stored),
}

#[derive(Debug, Default)]
struct Inner {
    /// Bumped by `clear`, so a request that was in flight across a reset does not store
    /// its answer into the fresh store.
    generation: u64,
    entries: HashMap<Key, Entry>,
}

/// The answers of successful keyed writes.
#[derive(Debug, Default)]
pub(crate) struct IdempotencyStore {
    inner: Mutex<Inner>,
}

enum Begin {
    Replay(Stored),
    Busy,
    Proceed(u64),
}

impl IdempotencyStore {
    pub fn clear(&self) {
        let mut inner = lock(&self.inner);
        inner.generation += 1;
        inner.entries.clear();
    }

    fn begin(&self, key: &Key) -> Begin {
        let mut inner = lock(&self.inner);
        match inner.entries.get(key) {
            Some(Entry::Done(stored)) => Begin::Replay(stored.clone()),
            Some(Entry::InFlight) => Begin::Busy,
            None => {
                inner.entries.insert(key.clone(), Entry::InFlight);
                Begin::Proceed(inner.generation)
            }
        }
    }

    /// Ends an in-flight request: stores its answer, or forgets the key so it can be retried.
    fn finish(&self, key: &Key, generation: u64, answer: Option<Stored>) {
        let mut inner = lock(&self.inner);
        if inner.generation != generation {
            return;
        }
        match answer {
            Some(stored) => inner.entries.insert(key.clone(), Entry::Done(stored)),
            None => inner.entries.remove(key),
        };
    }
}

/// Forgets an in-flight key if the request never finishes (its future dropped when the
/// server stops, or a handler panic), so the key does not stay busy forever.
struct InFlightGuard<'a> {
    store: &'a IdempotencyStore,
    key: Key,
    generation: u64,
    done: bool,
}

impl InFlightGuard<'_> {
    fn finish(mut self, answer: Option<Stored>) {
        self.done = true;
        self.store.finish(&self.key, self.generation, answer);
    }
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.store.finish(&self.key, self.generation, None);
        }
    }
}

/// Middleware for `/api/`, inside authentication: replays or records keyed `PUT`/`POST`s.
pub(crate) async fn layer(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    if req.method() != Method::PUT && req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(raw) = req.headers().get(KEY_HEADER) else {
        return next.run(req).await;
    };
    let key_text = match raw.to_str() {
        Ok(k) if !k.is_empty() && k.len() <= 255 => k.to_string(),
        _ => {
            return ApiError::bad_request(
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
            .into_response()
        }
    };
    let key: Key = (key_text, req.method().clone(), req.uri().path().to_string());
    let store = &shared.idempotency;
    let generation = match store.begin(&key) {
        Begin::Replay(stored) => return replay(stored),
        Begin::Busy => {
            return ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_conflict",
                "A request with this Idempotency-Key is still being processed",
            )
            .into_response()
        }
        Begin::Proceed(generation) => generation,
    };
    let guard = InFlightGuard {
        store,
        key,
        generation,
        done: false,
    };

    let response = next.run(req).await;
    if !response.status().is_success() {
        // Only successes are kept: a failed attempt must stay retryable under the same key.
        guard.finish(None);
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(_) => {
            guard.finish(None);
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    guard.finish(Some(Stored {
        status: parts.status,
        content_type: parts.headers.get(header::CONTENT_TYPE).cloned(),
        body: body.clone(),
    }));
    Response::from_parts(parts, Body::from(body))
}

fn replay(stored: Stored) -> Response {
    let mut response = Response::new(Body::from(stored.body));
    *response.status_mut() = stored.status;
    if let Some(ct) = stored.content_type {
        response.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    response
        .headers_mut()
        .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Key {
        (
            k.to_string(),
            Method::POST,
            "/api/v1/encounters/E5001/notes".to_string(),
        )
    }

    fn stored() -> Stored {
        Stored {
            status: StatusCode::CREATED,
            content_type: None,
            body: Bytes::from_static(b"{}"),
        }
    }

    // A finished key replays; a concurrent duplicate is refused while the first is in flight.
    #[test]
    fn replays_after_success_and_refuses_concurrent_duplicates() {
        let store = IdempotencyStore::default();
        let Begin::Proceed(generation) = store.begin(&key("a")) else {
            panic!("first use")
        };
        assert!(matches!(store.begin(&key("a")), Begin::Busy));
        store.finish(&key("a"), generation, Some(stored()));
        assert!(
            matches!(store.begin(&key("a")), Begin::Replay(s) if s.status == StatusCode::CREATED)
        );
    }

    // A failed or abandoned attempt leaves the key free for a retry.
    #[test]
    fn failures_and_abandoned_attempts_free_the_key() {
        let store = IdempotencyStore::default();
        let Begin::Proceed(generation) = store.begin(&key("b")) else {
            panic!("first use")
        };
        store.finish(&key("b"), generation, None);
        let Begin::Proceed(generation) = store.begin(&key("b")) else {
            panic!("retry")
        };
        drop(InFlightGuard {
            store: &store,
            key: key("b"),
            generation,
            done: false,
        });
        assert!(matches!(store.begin(&key("b")), Begin::Proceed(_)));
    }

    // An answer finishing after a reset is not stored into the fresh store.
    #[test]
    fn reset_discards_late_answers() {
        let store = IdempotencyStore::default();
        let Begin::Proceed(generation) = store.begin(&key("c")) else {
            panic!("first use")
        };
        store.clear();
        store.finish(&key("c"), generation, Some(stored()));
        assert!(matches!(store.begin(&key("c")), Begin::Proceed(_)));
    }
}
