//! Bindings for contract `ehr:adapter@0.2.0` (`wit/v0.2.0`), the newest: the rest of the
//! host speaks its types. The host side of its imports delegates to the version-
//! independent capabilities in `capabilities` (and the job's control for `job`).

use crate::capabilities::http::{HttpFailure, OutboundRequest};
use crate::capabilities::log::Level as LogLevel;
use crate::capabilities::sql::{SqlFailure, SqlValue};
use crate::runtime::state::CallState;
use std::time::Duration;

wasmtime::component::bindgen!({
    path: "../wit/v0.2.0",
    world: "ehr-adapter",
    imports: { default: async },
    exports: { default: async },
    additional_derives: [serde::Serialize],
});

pub use ehr::adapter::types::*;
pub use exports::ehr::adapter::adapter::Guest;

pub use ehr::adapter::{config, http, job, log, sql};

impl ehr::adapter::types::Host for CallState {}

impl http::Host for CallState {
    async fn send(&mut self, req: http::Request) -> Result<http::Response, http::HttpError> {
        self.before_io().map_err(http::HttpError::InvalidRequest)?;
        let method = match req.method {
            http::Method::Get => reqwest::Method::GET,
            http::Method::Post => reqwest::Method::POST,
            http::Method::Put => reqwest::Method::PUT,
            http::Method::Patch => reqwest::Method::PATCH,
            http::Method::Delete => reqwest::Method::DELETE,
            http::Method::Head => reqwest::Method::HEAD,
        };
        let outbound = OutboundRequest {
            method,
            url: req.url,
            headers: req.headers,
            body: req.body,
            timeout: req.timeout_ms.map(|ms| Duration::from_millis(ms.into())),
        };
        match self.http.send(outbound).await {
            Ok(r) => Ok(http::Response {
                status: r.status,
                headers: r.headers,
                body: r.body,
            }),
            Err(f) => Err(match f {
                HttpFailure::Denied(m) => http::HttpError::Denied(m),
                HttpFailure::Unreachable(m) => http::HttpError::Unreachable(m),
                HttpFailure::Timeout(m) => http::HttpError::Timeout(m),
                HttpFailure::InvalidRequest(m) => http::HttpError::InvalidRequest(m),
                HttpFailure::Credentials(m) => http::HttpError::Credentials(m),
                HttpFailure::TooLarge(m) => http::HttpError::TooLarge(m),
            }),
        }
    }
}

impl sql::Host for CallState {
    async fn query(
        &mut self,
        database: String,
        statement: String,
        params: Vec<sql::Value>,
    ) -> Result<sql::Rows, sql::SqlError> {
        self.before_io().map_err(sql::SqlError::Denied)?;
        let params: Vec<SqlValue> = params.into_iter().map(from_wit).collect();
        let rows = self
            .sql
            .query(&database, &statement, &params)
            .await
            .map_err(to_wit_error)?;
        Ok(sql::Rows {
            columns: rows.columns,
            rows: rows
                .rows
                .into_iter()
                .map(|r| r.into_iter().map(to_wit).collect())
                .collect(),
        })
    }

    async fn execute(
        &mut self,
        database: String,
        statement: String,
        params: Vec<sql::Value>,
    ) -> Result<u64, sql::SqlError> {
        self.before_io().map_err(sql::SqlError::Denied)?;
        let params: Vec<SqlValue> = params.into_iter().map(from_wit).collect();
        self.sql
            .execute(&database, &statement, &params)
            .await
            .map_err(to_wit_error)
    }

    async fn begin(&mut self, database: String) -> Result<(), sql::SqlError> {
        self.before_io().map_err(sql::SqlError::Denied)?;
        self.sql.begin(&database).await.map_err(to_wit_error)
    }

    async fn commit(&mut self, database: String) -> Result<(), sql::SqlError> {
        // A cancel refuses the commit: the open transaction is rolled back when the call
        // ends, so nothing of this attempt reaches the local EHR.
        self.before_io().map_err(sql::SqlError::Denied)?;
        self.sql.commit(&database).await.map_err(to_wit_error)
    }

    async fn rollback(&mut self, database: String) -> Result<(), sql::SqlError> {
        self.sql.rollback(&database).await.map_err(to_wit_error)
    }
}

fn from_wit(v: sql::Value) -> SqlValue {
    match v {
        sql::Value::Null => SqlValue::Null,
        sql::Value::Int(i) => SqlValue::Int(i),
        sql::Value::Decimal(s) => SqlValue::Decimal(s),
        sql::Value::Float(f) => SqlValue::Float(f),
        sql::Value::Text(s) => SqlValue::Text(s),
        sql::Value::Bytes(b) => SqlValue::Bytes(b),
        sql::Value::Boolean(b) => SqlValue::Boolean(b),
        sql::Value::Date(s) => SqlValue::Date(s),
        sql::Value::Datetime(s) => SqlValue::Datetime(s),
    }
}

fn to_wit(v: SqlValue) -> sql::Value {
    match v {
        SqlValue::Null => sql::Value::Null,
        SqlValue::Int(i) => sql::Value::Int(i),
        SqlValue::Decimal(s) => sql::Value::Decimal(s),
        SqlValue::Float(f) => sql::Value::Float(f),
        SqlValue::Text(s) => sql::Value::Text(s),
        SqlValue::Bytes(b) => sql::Value::Bytes(b),
        SqlValue::Boolean(b) => sql::Value::Boolean(b),
        SqlValue::Date(s) => sql::Value::Date(s),
        SqlValue::Datetime(s) => sql::Value::Datetime(s),
    }
}

fn to_wit_error(f: SqlFailure) -> sql::SqlError {
    match f {
        SqlFailure::Denied(m) => sql::SqlError::Denied(m),
        SqlFailure::Unreachable(m) => sql::SqlError::Unreachable(m),
        SqlFailure::Timeout(m) => sql::SqlError::Timeout(m),
        SqlFailure::Constraint(m) => sql::SqlError::Constraint(m),
        SqlFailure::Failed(m) => sql::SqlError::Failed(m),
    }
}

impl log::Host for CallState {
    async fn log(&mut self, level: log::Level, message: String) {
        let level = match level {
            log::Level::Trace => LogLevel::Trace,
            log::Level::Debug => LogLevel::Debug,
            log::Level::Info => LogLevel::Info,
            log::Level::Warn => LogLevel::Warn,
            log::Level::Error => LogLevel::Error,
        };
        self.log.log(level, &message);
    }
}

impl job::Host for CallState {
    async fn progress(&mut self, step: String, landed: Vec<FieldResult>) -> bool {
        match &self.job {
            Some(job) => {
                job.set_step(crate::untrusted::clean(&step, crate::untrusted::LABEL));
                job.landed(landed);
                !job.cancel_requested()
            }
            None => true,
        }
    }

    async fn cancelled(&mut self) -> bool {
        self.job.as_ref().is_some_and(|j| j.cancel_requested())
    }

    async fn transaction_id(&mut self) -> String {
        self.job
            .as_ref()
            .map(|j| j.transaction_id().to_string())
            .unwrap_or_default()
    }
}

impl config::Host for CallState {
    async fn get(&mut self, key: String) -> Option<String> {
        self.settings.get(&key).cloned()
    }

    async fn all(&mut self) -> Vec<(String, String)> {
        self.settings
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// Adds this contract version's imports to `linker`.
pub fn add_to_linker(linker: &mut wasmtime::component::Linker<CallState>) -> wasmtime::Result<()> {
    EhrAdapter::add_to_linker::<CallState, wasmtime::component::HasSelf<CallState>>(linker, |s| s)
}
