//! A test harness that runs adapter code natively (`cargo test`) against stubbed HTTP and
//! SQL replies, so an adapter author can test mapping and error handling in a few lines:
//!
//! ```
//! use ehr_adapter_sdk::testing::Harness;
//! use ehr_adapter_sdk::http::{Method, Request};
//!
//! let harness = Harness::new().setting("base_url", "http://ehr.test");
//! harness.http(Method::Get, "http://ehr.test/ping").reply_json(200, r#"{"status":"ok"}"#);
//! let response = Request::get("http://ehr.test/ping").send().unwrap();
//! assert_eq!(response.status, 200);
//! assert_eq!(harness.requests().len(), 1);
//! ```
//!
//! Stubs match in the order added; the first whose method matches and whose URL starts
//! with the stub's prefix answers. A request nothing matches fails with `denied`, naming
//! the request, so a missing stub is loud. The harness is per thread and is removed when
//! dropped. On `wasm32` the capability wrappers call the real host instead.

mod snapshot;

pub use snapshot::SnapshotBuilder;

use crate::http::{HttpError, Method, Request, Response};
use crate::log::Level;
use crate::sql::{Rows, SqlError, Value};
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Default)]
struct State {
    settings: Vec<(String, String)>,
    http_stubs: Vec<HttpStubState>,
    sql_stubs: Vec<SqlStubState>,
    requests: Vec<Request>,
    statements: Vec<(String, String, Vec<Value>)>,
    logs: Vec<(Level, String)>,
    progress: Vec<(String, Vec<String>)>,
    cancel_after: Option<usize>,
}

struct HttpStubState {
    method: Method,
    prefix: String,
    reply: Result<Response, HttpError>,
    remaining: Option<u32>,
}

struct SqlStubState {
    contains: String,
    reply: Result<(Rows, u64), SqlError>,
    remaining: Option<u32>,
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<RefCell<State>>>> = const { RefCell::new(None) };
}

fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> R {
    CURRENT.with(|c| {
        let cur = c.borrow();
        let state = cur.as_ref().expect(
            "no ehr_adapter_sdk::testing::Harness on this thread: create one before calling \
             host capabilities natively",
        );
        let mut s = state.borrow_mut();
        f(&mut s)
    })
}

/// Stubbed host capabilities for one test. Create it first; drop it at the end.
pub struct Harness {
    state: Rc<RefCell<State>>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    /// Installs an empty harness on this thread (replacing any earlier one).
    pub fn new() -> Self {
        let state = Rc::new(RefCell::new(State::default()));
        CURRENT.with(|c| *c.borrow_mut() = Some(state.clone()));
        Harness { state }
    }

    /// Adds an operator setting that `config::get` returns.
    pub fn setting(self, key: &str, value: &str) -> Self {
        self.state
            .borrow_mut()
            .settings
            .push((key.to_string(), value.to_string()));
        self
    }

    /// Stubs HTTP requests with `method` whose URL starts with `url_prefix`.
    pub fn http(&self, method: Method, url_prefix: &str) -> HttpStub<'_> {
        HttpStub {
            harness: self,
            method,
            prefix: url_prefix.to_string(),
            times: None,
        }
    }

    /// Stubs SQL statements containing `text` (also matches `BEGIN`, `COMMIT`, `ROLLBACK`).
    pub fn sql(&self, text: &str) -> SqlStub<'_> {
        SqlStub {
            harness: self,
            contains: text.to_string(),
            times: None,
        }
    }

    /// Every HTTP request the adapter sent, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.state.borrow().requests.clone()
    }

    /// Every SQL statement the adapter ran: (database, statement, params).
    pub fn statements(&self) -> Vec<(String, String, Vec<Value>)> {
        self.state.borrow().statements.clone()
    }

    /// Every log line the adapter wrote.
    pub fn logs(&self) -> Vec<(Level, String)> {
        self.state.borrow().logs.clone()
    }

    /// Every progress report (`job::progress`): the step, and the ids of the fields
    /// reported landed with it.
    pub fn progress(&self) -> Vec<(String, Vec<String>)> {
        self.state.borrow().progress.clone()
    }

    /// A person cancels the job once the adapter has reported progress `n` times: from
    /// then on `job::cancelled` is true and `job::progress` answers false.
    pub fn cancel_after(self, n: usize) -> Self {
        self.state.borrow_mut().cancel_after = Some(n);
        self
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        CURRENT.with(|c| {
            let mut cur = c.borrow_mut();
            if cur.as_ref().is_some_and(|s| Rc::ptr_eq(s, &self.state)) {
                *cur = None;
            }
        });
    }
}

/// A pending HTTP stub; finish it with a `reply*` or `fail` call.
pub struct HttpStub<'a> {
    harness: &'a Harness,
    method: Method,
    prefix: String,
    times: Option<u32>,
}

impl HttpStub<'_> {
    /// Answers only the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Answers with a status, headers and body.
    pub fn reply_with(self, status: u16, headers: &[(&str, &str)], body: &str) {
        let response = Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        };
        self.finish(Ok(response));
    }

    /// Answers with a status and a JSON body.
    pub fn reply_json(self, status: u16, body: &str) {
        self.reply_with(status, &[("content-type", "application/json")], body)
    }

    /// Fails the request the way the host would (unreachable, timeout, ...).
    pub fn fail(self, error: HttpError) {
        self.finish(Err(error));
    }

    fn finish(self, reply: Result<Response, HttpError>) {
        self.harness
            .state
            .borrow_mut()
            .http_stubs
            .push(HttpStubState {
                method: self.method,
                prefix: self.prefix,
                reply,
                remaining: self.times,
            });
    }
}

/// A pending SQL stub; finish it with `rows`, `affected` or `fail`.
pub struct SqlStub<'a> {
    harness: &'a Harness,
    contains: String,
    times: Option<u32>,
}

impl SqlStub<'_> {
    /// Answers only the next `n` matching statements.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Answers a query with these columns and rows.
    pub fn rows(self, columns: &[&str], rows: Vec<Vec<Value>>) {
        let rows = Rows {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows,
        };
        self.finish(Ok((rows, 0)));
    }

    /// Answers a statement with a rows-affected count.
    pub fn affected(self, n: u64) {
        let rows = Rows {
            columns: Vec::new(),
            rows: Vec::new(),
        };
        self.finish(Ok((rows, n)));
    }

    /// Fails the statement.
    pub fn fail(self, error: SqlError) {
        self.finish(Err(error));
    }

    fn finish(self, reply: Result<(Rows, u64), SqlError>) {
        self.harness
            .state
            .borrow_mut()
            .sql_stubs
            .push(SqlStubState {
                contains: self.contains,
                reply,
                remaining: self.times,
            });
    }
}

fn take<T: Clone>(remaining: &mut Option<u32>, reply: &T) -> T {
    if let Some(n) = remaining {
        *n -= 1;
    }
    reply.clone()
}

pub(crate) fn stub_http_send(request: &Request) -> Result<Response, HttpError> {
    with_state(|s| {
        s.requests.push(request.clone());
        let stub = s.http_stubs.iter_mut().find(|st| {
            st.method == request.method
                && request.url.starts_with(&st.prefix)
                && st.remaining != Some(0)
        });
        match stub {
            Some(st) => take(&mut st.remaining, &st.reply),
            None => Err(HttpError::Denied(format!(
                "no stub for {:?} {} in the test harness",
                request.method, request.url
            ))),
        }
    })
}

pub(crate) fn stub_sql(
    database: &str,
    statement: &str,
    params: &[Value],
) -> Result<(Rows, u64), SqlError> {
    with_state(|s| {
        s.statements
            .push((database.to_string(), statement.to_string(), params.to_vec()));
        let stub = s
            .sql_stubs
            .iter_mut()
            .find(|st| statement.contains(&st.contains) && st.remaining != Some(0));
        match stub {
            Some(st) => take(&mut st.remaining, &st.reply),
            None if matches!(statement, "BEGIN" | "COMMIT" | "ROLLBACK") => Ok((
                Rows {
                    columns: Vec::new(),
                    rows: Vec::new(),
                },
                0,
            )),
            None => Err(SqlError::Denied(format!(
                "no stub for statement `{statement}` on `{database}` in the test harness"
            ))),
        }
    })
}

pub(crate) fn stub_config_get(key: &str) -> Option<String> {
    with_state(|s| {
        s.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    })
}

pub(crate) fn stub_config_all() -> Vec<(String, String)> {
    with_state(|s| {
        let mut all = s.settings.clone();
        all.sort();
        all
    })
}

pub(crate) fn stub_log(level: Level, message: &str) {
    with_state(|s| s.logs.push((level, message.to_string())));
}

/// Progress reported with no harness on the thread goes nowhere (and is never cancelled):
/// adapter code that reports progress runs in plain unit tests too.
pub(crate) fn stub_progress(step: &str, landed: &[crate::FieldResult]) -> bool {
    CURRENT.with(|c| match c.borrow().as_ref() {
        Some(state) => {
            let mut s = state.borrow_mut();
            s.progress.push((
                step.to_string(),
                landed.iter().map(|f| f.field.clone()).collect(),
            ));
            s.cancel_after.is_none_or(|n| s.progress.len() < n)
        }
        None => true,
    })
}

pub(crate) fn stub_cancelled() -> bool {
    CURRENT.with(|c| {
        c.borrow().as_ref().is_some_and(|state| {
            state
                .borrow()
                .cancel_after
                .is_some_and(|n| state.borrow().progress.len() >= n)
        })
    })
}

/// A fixed transaction id for native tests.
pub(crate) fn stub_transaction_id() -> String {
    "test-transaction".to_string()
}
