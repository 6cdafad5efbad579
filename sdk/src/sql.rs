//! SQL against the practice's local EHR database through connections the host holds.
//! Statements are parameterised: pass values in `params`, never format them into SQL.

pub use crate::bindings::ehr::adapter::sql::{Rows, SqlError, Value};
use crate::AdapterError;

/// Runs a statement that returns rows.
pub fn query(database: &str, statement: &str, params: &[Value]) -> Result<Rows, SqlError> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::ehr::adapter::sql::query(database, statement, params);
    #[cfg(not(target_arch = "wasm32"))]
    return crate::testing::stub_sql(database, statement, params).map(|r| r.0);
}

/// Runs a statement that changes data; returns rows affected (unreliable for inserts on
/// some servers).
pub fn execute(database: &str, statement: &str, params: &[Value]) -> Result<u64, SqlError> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::ehr::adapter::sql::execute(database, statement, params);
    #[cfg(not(target_arch = "wasm32"))]
    return crate::testing::stub_sql(database, statement, params).map(|r| r.1);
}

/// Runs `body` inside a transaction on `database`: committed when `body` returns `Ok`,
/// rolled back when it returns `Err`. If the call traps or times out the host rolls back.
pub fn transaction<T>(
    database: &str,
    body: impl FnOnce() -> Result<T, AdapterError>,
) -> Result<T, AdapterError> {
    control(database, "begin")?;
    match body() {
        Ok(v) => {
            control(database, "commit")?;
            Ok(v)
        }
        Err(e) => {
            // The original error matters more than a failed rollback; the host rolls
            // back anyway when the call ends with a transaction open.
            let _ = control(database, "rollback");
            Err(e)
        }
    }
}

fn control(database: &str, op: &str) -> Result<(), SqlError> {
    #[cfg(target_arch = "wasm32")]
    {
        use crate::bindings::ehr::adapter::sql as s;
        match op {
            "begin" => s::begin(database),
            "commit" => s::commit(database),
            _ => s::rollback(database),
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::stub_sql(database, &op.to_uppercase(), &[]).map(|_| ())
}

impl From<SqlError> for AdapterError {
    fn from(e: SqlError) -> Self {
        match e {
            SqlError::Denied(m) => {
                AdapterError::Misconfigured(format!("database refused by host: {m}"))
            }
            SqlError::Unreachable(m) => AdapterError::Unreachable(m),
            SqlError::Timeout(m) => AdapterError::Timeout(m),
            SqlError::Constraint(m) => AdapterError::Rejected(crate::Rejection {
                code: Some("constraint".into()),
                message: m,
                field_errors: Vec::new(),
            }),
            SqlError::Failed(m) => AdapterError::EhrInternal(format!("database error: {m}")),
        }
    }
}

impl Rows {
    /// The index of a column by (case-insensitive) name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
    }
}

impl Value {
    /// A planned value as a statement parameter: text as text, whole numbers as
    /// integers, other numbers as exact decimals with two places (the precision of the
    /// EHRs' decimal columns), a raw value (shaped by the adapter itself) as NULL.
    pub fn from_mapped(v: &crate::mapping::MappedValue) -> Value {
        use crate::mapping::MappedValue;
        match v {
            MappedValue::Text(t) => Value::Text(t.clone()),
            MappedValue::Number(n) => Value::Decimal(format!("{n:.2}")),
            MappedValue::Integer(i) => Value::Int(*i),
            MappedValue::Raw(_) => Value::Null,
        }
    }

    /// The value as text, when it is text, a decimal, a date or a date-time.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) | Value::Decimal(s) | Value::Date(s) | Value::Datetime(s) => Some(s),
            _ => None,
        }
    }

    /// The value as an integer, when it is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::MappedValue;
    use crate::Laterality;

    // Planned values become parameters of their own kind, numbers as two-place
    // decimals; eyes read as charts write them.
    #[test]
    fn planned_values_and_eyes() {
        assert_eq!(
            Value::from_mapped(&MappedValue::Number(-0.5)),
            Value::Decimal("-0.50".into())
        );
        assert_eq!(
            Value::from_mapped(&MappedValue::Integer(17)),
            Value::Int(17)
        );
        assert_eq!(
            Value::from_mapped(&MappedValue::Text("PERRL".into())),
            Value::Text("PERRL".into())
        );
        assert_eq!(Laterality::Both.eye_code(), Some("OU"));
        assert_eq!(Laterality::NotApplicable.eye_code(), None);
    }
}
