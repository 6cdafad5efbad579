//! MySQL and MariaDB (CrystalPM) through `mysql_async`: a pool per database label, typed
//! value conversion both ways, and the mapping of driver errors to [`SqlFailure`].
//!
//! Transactions use the driver's own [`mysql_async::Transaction`], which owns its pooled
//! connection: dropping one without `commit` marks the connection for rollback, and the
//! pool rolls it back (or discards the connection when that fails) before anyone can
//! reuse it. [`super::transaction`] also rolls back explicitly when a call ends.

use super::value::{format_datetime, parse_param_datetime, scrub, SqlFailure, SqlRows, SqlValue};
use crate::config::DatabaseConfig;
use mysql_async::consts::ColumnType;
use mysql_async::prelude::Queryable;
use mysql_async::{Opts, OptsBuilder, Params, Pool, PoolConstraints, PoolOpts, Row, Value};
use std::future::Future;
use std::time::Duration;

/// The character set number MySQL uses for binary (non-text) columns.
const BINARY_CHARSET: u16 = 63;

/// One MySQL database label: its pool and limits.
pub struct MysqlDb {
    label: String,
    address: String,
    pool: Pool,
    secret: String,
    connect_timeout: Duration,
    query_timeout: Duration,
}

/// An open transaction on a pooled connection.
pub struct MysqlTx(mysql_async::Transaction<'static>);

impl MysqlDb {
    /// A pool for `cfg` (no connection is made until the first statement).
    pub fn new(label: &str, cfg: &DatabaseConfig, password: String) -> MysqlDb {
        let port = cfg.port.unwrap_or(3306);
        let constraints = PoolConstraints::new(0, cfg.pool_size.max(1))
            .expect("0 <= max and max >= 1 are valid pool constraints");
        let opts: Opts = OptsBuilder::default()
            .ip_or_hostname(cfg.host.clone())
            .tcp_port(port)
            .user(Some(cfg.user.clone()))
            .pass(Some(password.clone()))
            .db_name(Some(cfg.database.clone()))
            .prefer_socket(false)
            .pool_opts(PoolOpts::new().with_constraints(constraints))
            .into();
        MysqlDb {
            label: label.to_string(),
            address: format!("{}:{port}", cfg.host),
            pool: Pool::new(opts),
            secret: password,
            connect_timeout: Duration::from_secs(cfg.connect_timeout_secs.max(1)),
            query_timeout: Duration::from_secs(cfg.query_timeout_secs.max(1)),
        }
    }

    /// Runs a statement and returns its rows and rows-affected count, inside `tx` when
    /// one is given, else on a connection checked out for this statement only.
    pub async fn run(
        &self,
        tx: Option<&mut MysqlTx>,
        statement: &str,
        params: &[SqlValue],
    ) -> Result<(SqlRows, u64), SqlFailure> {
        let params = to_params(params)?;
        match tx {
            Some(tx) => self.timed(exec(&mut tx.0, statement, params)).await,
            None => {
                let mut conn = self.connect().await?;
                self.timed(exec(&mut conn, statement, params)).await
            }
        }
    }

    /// Opens a transaction on a pooled connection of its own (connecting counts
    /// against the connect timeout, `START TRANSACTION` against the query timeout).
    pub async fn begin(&self) -> Result<MysqlTx, SqlFailure> {
        let limit = self.connect_timeout + self.query_timeout;
        let opened = tokio::time::timeout(
            limit,
            self.pool.start_transaction(mysql_async::TxOpts::default()),
        )
        .await
        .map_err(|_| self.connect_timed_out())?;
        Ok(MysqlTx(opened.map_err(|e| self.map_error(e))?))
    }

    /// Commits `tx`.
    pub async fn commit(&self, tx: MysqlTx) -> Result<(), SqlFailure> {
        self.timed(tx.0.commit()).await
    }

    /// Rolls back `tx`.
    pub async fn rollback(&self, tx: MysqlTx) -> Result<(), SqlFailure> {
        self.timed(tx.0.rollback()).await
    }

    async fn connect(&self) -> Result<mysql_async::Conn, SqlFailure> {
        match tokio::time::timeout(self.connect_timeout, self.pool.get_conn()).await {
            Err(_) => Err(self.connect_timed_out()),
            Ok(r) => r.map_err(|e| self.map_error(e)),
        }
    }

    fn connect_timed_out(&self) -> SqlFailure {
        SqlFailure::Unreachable(format!(
            "no connection to database `{}` at {} within {}s",
            self.label,
            self.address,
            self.connect_timeout.as_secs()
        ))
    }

    async fn timed<T>(
        &self,
        fut: impl Future<Output = Result<T, mysql_async::Error>>,
    ) -> Result<T, SqlFailure> {
        match tokio::time::timeout(self.query_timeout, fut).await {
            Err(_) => Err(SqlFailure::Timeout(format!(
                "statement on database `{}` did not finish within {}s",
                self.label,
                self.query_timeout.as_secs()
            ))),
            Ok(r) => r.map_err(|e| self.map_error(e)),
        }
    }

    /// Maps a driver error to the contract's kinds, naming the label and address but
    /// never the password.
    fn map_error(&self, e: mysql_async::Error) -> SqlFailure {
        use mysql_async::{DriverError, Error};
        let at = format!("database `{}` at {}", self.label, self.address);
        let failure = match &e {
            Error::Io(io) => SqlFailure::Unreachable(format!("{at}: {io}")),
            Error::Driver(DriverError::ConnectionClosed | DriverError::PoolDisconnected) => {
                SqlFailure::Unreachable(format!("{at}: the connection was closed by the server"))
            }
            Error::Server(s) => match s.code {
                // Duplicate key, foreign key, NOT NULL, no default, CHECK constraints.
                1062 | 1169 | 1216 | 1217 | 1451 | 1452 | 1048 | 1364 | 3819 | 4025 => {
                    SqlFailure::Constraint(format!("{at}: {} (error {})", s.message, s.code))
                }
                // Access denied (user, database), unknown database: configuration.
                1044 | 1045 | 1049 | 1142 | 1143 => SqlFailure::Denied(format!(
                    "{at}: the server refused the configured account: {} (error {})",
                    s.message, s.code
                )),
                // Lock wait timeout, statement time limit.
                1205 | 1969 | 3024 => {
                    SqlFailure::Timeout(format!("{at}: {} (error {})", s.message, s.code))
                }
                // Server shutting down, connection killed.
                1053 | 1927 => {
                    SqlFailure::Unreachable(format!("{at}: {} (error {})", s.message, s.code))
                }
                _ => SqlFailure::Failed(format!("{at}: {} (error {})", s.message, s.code)),
            },
            other => SqlFailure::Failed(format!("{at}: {other}")),
        };
        scrub(failure, &self.secret)
    }
}

async fn exec<Q: Queryable>(
    q: &mut Q,
    statement: &str,
    params: Params,
) -> Result<(SqlRows, u64), mysql_async::Error> {
    let mut result = q.exec_iter(statement, params).await?;
    let columns = result.columns_ref().to_vec();
    let raw: Vec<Row> = result.collect().await?;
    let affected = result.affected_rows();
    result.drop_result().await?;
    let rows = raw
        .into_iter()
        .map(|row| {
            row.unwrap_raw()
                .into_iter()
                .zip(columns.iter())
                .map(|(v, c)| from_mysql(v.unwrap_or(Value::NULL), c))
                .collect()
        })
        .collect();
    let columns = columns.iter().map(|c| c.name_str().into_owned()).collect();
    Ok((SqlRows { columns, rows }, affected))
}

fn to_params(params: &[SqlValue]) -> Result<Params, SqlFailure> {
    if params.is_empty() {
        return Ok(Params::Empty);
    }
    let mut out = Vec::with_capacity(params.len());
    for (i, p) in params.iter().enumerate() {
        out.push(match p {
            SqlValue::Null => Value::NULL,
            SqlValue::Int(v) => Value::Int(*v),
            SqlValue::Float(v) => Value::Double(*v),
            SqlValue::Boolean(b) => Value::Int(i64::from(*b)),
            SqlValue::Decimal(s) | SqlValue::Text(s) => Value::Bytes(s.clone().into_bytes()),
            SqlValue::Bytes(b) => Value::Bytes(b.clone()),
            SqlValue::Date(s) | SqlValue::Datetime(s) => {
                let (y, mo, d, h, mi, sec, us) = parse_param_datetime(i, s)?;
                Value::Date(y, mo, d, h, mi, sec, us)
            }
        });
    }
    Ok(Params::Positional(out))
}

fn from_mysql(v: Value, column: &mysql_async::Column) -> SqlValue {
    let ty = column.column_type();
    match v {
        Value::NULL => SqlValue::Null,
        Value::Int(i) => SqlValue::Int(i),
        Value::UInt(u) => match i64::try_from(u) {
            Ok(i) => SqlValue::Int(i),
            Err(_) => SqlValue::Decimal(u.to_string()),
        },
        Value::Float(f) => SqlValue::Float(f64::from(f)),
        Value::Double(f) => SqlValue::Float(f),
        Value::Date(y, mo, d, h, mi, s, us) => {
            if matches!(
                ty,
                ColumnType::MYSQL_TYPE_DATE | ColumnType::MYSQL_TYPE_NEWDATE
            ) {
                SqlValue::Date(format!("{y:04}-{mo:02}-{d:02}"))
            } else {
                SqlValue::Datetime(format_datetime((y, mo, d, h, mi, s, us)))
            }
        }
        Value::Time(neg, days, h, mi, s, us) => {
            let hours = u64::from(days) * 24 + u64::from(h);
            let sign = if neg { "-" } else { "" };
            let frac = if us == 0 {
                String::new()
            } else {
                format!(".{us:06}")
            };
            SqlValue::Text(format!("{sign}{hours:02}:{mi:02}:{s:02}{frac}"))
        }
        Value::Bytes(b) => {
            if matches!(
                ty,
                ColumnType::MYSQL_TYPE_DECIMAL | ColumnType::MYSQL_TYPE_NEWDECIMAL
            ) {
                SqlValue::Decimal(String::from_utf8_lossy(&b).into_owned())
            } else if ty == ColumnType::MYSQL_TYPE_BIT && b.len() == 1 {
                SqlValue::Boolean(b[0] != 0)
            } else if column.character_set() == BINARY_CHARSET
                && !matches!(
                    ty,
                    ColumnType::MYSQL_TYPE_LONGLONG | ColumnType::MYSQL_TYPE_NEWDECIMAL
                )
            {
                SqlValue::Bytes(b)
            } else {
                match String::from_utf8(b) {
                    Ok(s) => SqlValue::Text(s),
                    Err(e) => SqlValue::Bytes(e.into_bytes()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Contract values become the driver's positional parameters with their types kept;
    // a malformed date is refused before anything reaches the server.
    #[test]
    fn parameters() {
        let Params::Positional(p) = to_params(&[
            SqlValue::Null,
            SqlValue::Int(-3),
            SqlValue::Boolean(true),
            SqlValue::Decimal("1.25".into()),
            SqlValue::Date("2026-11-21".into()),
        ])
        .unwrap() else {
            panic!("positional parameters expected")
        };
        assert_eq!(
            p,
            vec![
                Value::NULL,
                Value::Int(-3),
                Value::Int(1),
                Value::Bytes(b"1.25".to_vec()),
                Value::Date(2026, 11, 21, 0, 0, 0, 0)
            ]
        );
        assert!(matches!(to_params(&[]).unwrap(), Params::Empty));
        let e = to_params(&[SqlValue::Int(1), SqlValue::Date("11/21/2026".into())]).unwrap_err();
        assert!(
            matches!(&e, SqlFailure::Failed(m) if m.contains("parameter 2")),
            "{e}"
        );
    }
}
