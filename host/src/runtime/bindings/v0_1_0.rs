//! Bindings for contract `ehr:adapter@0.1.0` (`wit/v0.1.0`), kept so adapters built for
//! it keep working beside newer ones. Its imports delegate to the newest contract's
//! (`latest`), and its values convert to and from the newest types, so the rest of the
//! host never sees a 0.1.0 type. What 0.1.0 lacks is filled in plainly: no encounter
//! notices, no sync timing (the defaults), no insurance; an adapter on it cannot report
//! progress (the host then cannot say which fields landed before a failure) and cannot
//! read providers or staff.

use super::latest as new;
use crate::runtime::state::CallState;
use ehr::adapter::{config, http, log, sql, types as old};

wasmtime::component::bindgen!({
    path: "../wit/v0.1.0",
    world: "ehr-adapter",
    imports: { default: async },
    exports: { default: async },
});

pub use exports::ehr::adapter::adapter::Guest;

impl old::Host for CallState {}

impl http::Host for CallState {
    async fn send(&mut self, req: http::Request) -> Result<http::Response, http::HttpError> {
        let method = match req.method {
            http::Method::Get => new::http::Method::Get,
            http::Method::Post => new::http::Method::Post,
            http::Method::Put => new::http::Method::Put,
            http::Method::Patch => new::http::Method::Patch,
            http::Method::Delete => new::http::Method::Delete,
            http::Method::Head => new::http::Method::Head,
        };
        let req = new::http::Request {
            method,
            url: req.url,
            headers: req.headers,
            body: req.body,
            timeout_ms: req.timeout_ms,
        };
        match new::http::Host::send(self, req).await {
            Ok(r) => Ok(http::Response {
                status: r.status,
                headers: r.headers,
                body: r.body,
            }),
            Err(e) => Err(match e {
                new::http::HttpError::Denied(m) => http::HttpError::Denied(m),
                new::http::HttpError::Unreachable(m) => http::HttpError::Unreachable(m),
                new::http::HttpError::Timeout(m) => http::HttpError::Timeout(m),
                new::http::HttpError::InvalidRequest(m) => http::HttpError::InvalidRequest(m),
                new::http::HttpError::Credentials(m) => http::HttpError::Credentials(m),
                new::http::HttpError::TooLarge(m) => http::HttpError::TooLarge(m),
            }),
        }
    }
}

fn value_in(v: sql::Value) -> new::sql::Value {
    use new::sql::Value as N;
    match v {
        sql::Value::Null => N::Null,
        sql::Value::Int(i) => N::Int(i),
        sql::Value::Decimal(s) => N::Decimal(s),
        sql::Value::Float(f) => N::Float(f),
        sql::Value::Text(s) => N::Text(s),
        sql::Value::Bytes(b) => N::Bytes(b),
        sql::Value::Boolean(b) => N::Boolean(b),
        sql::Value::Date(s) => N::Date(s),
        sql::Value::Datetime(s) => N::Datetime(s),
    }
}

fn value_out(v: new::sql::Value) -> sql::Value {
    use new::sql::Value as N;
    match v {
        N::Null => sql::Value::Null,
        N::Int(i) => sql::Value::Int(i),
        N::Decimal(s) => sql::Value::Decimal(s),
        N::Float(f) => sql::Value::Float(f),
        N::Text(s) => sql::Value::Text(s),
        N::Bytes(b) => sql::Value::Bytes(b),
        N::Boolean(b) => sql::Value::Boolean(b),
        N::Date(s) => sql::Value::Date(s),
        N::Datetime(s) => sql::Value::Datetime(s),
    }
}

fn sql_error(e: new::sql::SqlError) -> sql::SqlError {
    use new::sql::SqlError as N;
    match e {
        N::Denied(m) => sql::SqlError::Denied(m),
        N::Unreachable(m) => sql::SqlError::Unreachable(m),
        N::Timeout(m) => sql::SqlError::Timeout(m),
        N::Constraint(m) => sql::SqlError::Constraint(m),
        N::Failed(m) => sql::SqlError::Failed(m),
    }
}

impl sql::Host for CallState {
    async fn query(
        &mut self,
        database: String,
        statement: String,
        params: Vec<sql::Value>,
    ) -> Result<sql::Rows, sql::SqlError> {
        let params = params.into_iter().map(value_in).collect();
        let rows = new::sql::Host::query(self, database, statement, params)
            .await
            .map_err(sql_error)?;
        Ok(sql::Rows {
            columns: rows.columns,
            rows: rows
                .rows
                .into_iter()
                .map(|r| r.into_iter().map(value_out).collect())
                .collect(),
        })
    }

    async fn execute(
        &mut self,
        database: String,
        statement: String,
        params: Vec<sql::Value>,
    ) -> Result<u64, sql::SqlError> {
        let params = params.into_iter().map(value_in).collect();
        new::sql::Host::execute(self, database, statement, params)
            .await
            .map_err(sql_error)
    }

    async fn begin(&mut self, database: String) -> Result<(), sql::SqlError> {
        new::sql::Host::begin(self, database)
            .await
            .map_err(sql_error)
    }

    async fn commit(&mut self, database: String) -> Result<(), sql::SqlError> {
        new::sql::Host::commit(self, database)
            .await
            .map_err(sql_error)
    }

    async fn rollback(&mut self, database: String) -> Result<(), sql::SqlError> {
        new::sql::Host::rollback(self, database)
            .await
            .map_err(sql_error)
    }
}

impl log::Host for CallState {
    async fn log(&mut self, level: log::Level, message: String) {
        let level = match level {
            log::Level::Trace => new::log::Level::Trace,
            log::Level::Debug => new::log::Level::Debug,
            log::Level::Info => new::log::Level::Info,
            log::Level::Warn => new::log::Level::Warn,
            log::Level::Error => new::log::Level::Error,
        };
        new::log::Host::log(self, level, message).await
    }
}

impl config::Host for CallState {
    async fn get(&mut self, key: String) -> Option<String> {
        new::config::Host::get(self, key).await
    }

    async fn all(&mut self) -> Vec<(String, String)> {
        new::config::Host::all(self).await
    }
}

/// Adds this contract version's imports to `linker`.
pub fn add_to_linker(linker: &mut wasmtime::component::Linker<CallState>) -> wasmtime::Result<()> {
    EhrAdapter::add_to_linker::<CallState, wasmtime::component::HasSelf<CallState>>(linker, |s| s)
}

mod convert;
pub use convert::*;
