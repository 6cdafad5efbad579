//! The driver-independent shapes of the `sql` capability: typed values, result rows and
//! failures. The bindings of each contract version convert to and from these, and each
//! driver converts them to its own wire types.

/// A typed SQL value, for parameters and result cells.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// SQL NULL.
    Null,
    /// Any integer.
    Int(i64),
    /// An exact decimal as text (`-1.25`).
    Decimal(String),
    /// A floating-point number.
    Float(f64),
    /// Character data.
    Text(String),
    /// Binary data.
    Bytes(Vec<u8>),
    /// A boolean or bit.
    Boolean(bool),
    /// A date, `YYYY-MM-DD`.
    Date(String),
    /// A date-time, `YYYY-MM-DDTHH:MM:SS[.ffffff]`.
    Datetime(String),
}

/// The rows a query returned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SqlRows {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Each row's values, in column order.
    pub rows: Vec<Vec<SqlValue>>,
}

/// Why a statement failed, as the contract's `sql-error` names it. Messages never
/// contain a password.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SqlFailure {
    /// The label is not granted, not configured, or the server refused the credentials.
    #[error("denied: {0}")]
    Denied(String),
    /// The server could not be reached (refused, reset, closed).
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The statement did not finish in time.
    #[error("timeout: {0}")]
    Timeout(String),
    /// A unique, foreign-key or not-null constraint was violated.
    #[error("constraint: {0}")]
    Constraint(String),
    /// Any other error.
    #[error("failed: {0}")]
    Failed(String),
}

/// Removes `secret` from a failure's message, whatever put it there.
pub fn scrub(f: SqlFailure, secret: &str) -> SqlFailure {
    if secret.is_empty() {
        return f;
    }
    let s = |m: String| m.replace(secret, "<redacted>");
    match f {
        SqlFailure::Denied(m) => SqlFailure::Denied(s(m)),
        SqlFailure::Unreachable(m) => SqlFailure::Unreachable(s(m)),
        SqlFailure::Timeout(m) => SqlFailure::Timeout(s(m)),
        SqlFailure::Constraint(m) => SqlFailure::Constraint(s(m)),
        SqlFailure::Failed(m) => SqlFailure::Failed(s(m)),
    }
}

/// What a statement's caller wants back: the rows of a query, or the count of rows a
/// change affected. (SQL Server's driver reports one or the other, never both.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// The first result set.
    Rows,
    /// The rows-affected count.
    Count,
}

/// A parsed `YYYY-MM-DD[(T| )HH:MM:SS[.ffffff]]`: (year, month, day, hour, minute,
/// second, microsecond).
pub type DateParts = (u16, u8, u8, u8, u8, u8, u32);

/// Parses a contract date or date-time; `None` when it is not one.
pub fn parse_datetime(s: &str) -> Option<DateParts> {
    let (date, time) = match s.find(['T', ' ']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut d = date.split('-');
    let year: u16 = d.next()?.parse().ok()?;
    let month: u8 = d.next()?.parse().ok()?;
    let day: u8 = d.next()?.parse().ok()?;
    if d.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let (mut h, mut mi, mut sec, mut us) = (0u8, 0u8, 0u8, 0u32);
    if let Some(t) = time {
        let (hms, frac) = match t.split_once('.') {
            Some((a, b)) => (a, Some(b)),
            None => (t, None),
        };
        let mut p = hms.split(':');
        h = p.next()?.parse().ok()?;
        mi = p.next()?.parse().ok()?;
        sec = p.next().unwrap_or("0").parse().ok()?;
        if p.next().is_some() || h > 23 || mi > 59 || sec > 59 {
            return None;
        }
        if let Some(f) = frac {
            if f.is_empty() || f.len() > 6 || !f.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            us = format!("{f:0<6}").parse().ok()?;
        }
    }
    Some((year, month, day, h, mi, sec, us))
}

/// Parses parameter `index` (0-based) as a date or date-time, or says which parameter is
/// not one, before anything reaches a server.
pub fn parse_param_datetime(index: usize, s: &str) -> Result<DateParts, SqlFailure> {
    parse_datetime(s).ok_or_else(|| {
        SqlFailure::Failed(format!(
            "parameter {}: `{s}` is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM:SS)",
            index + 1
        ))
    })
}

/// Formats a date-time the way the contract spells it (fraction only when non-zero).
pub fn format_datetime(p: DateParts) -> String {
    let (y, mo, d, h, mi, s, us) = p;
    let base = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
    if us == 0 {
        base
    } else {
        format!("{base}.{us:06}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Dates and date-times round-trip; malformed ones are refused instead of guessed.
    #[test]
    fn datetimes() {
        assert_eq!(
            parse_datetime("2026-11-21"),
            Some((2026, 11, 21, 0, 0, 0, 0))
        );
        let p = parse_datetime("2026-11-21T09:05:07.25").unwrap();
        assert_eq!(p, (2026, 11, 21, 9, 5, 7, 250000));
        assert_eq!(format_datetime(p), "2026-11-21T09:05:07.250000");
        assert_eq!(
            format_datetime(parse_datetime("2026-01-02 03:04:05").unwrap()),
            "2026-01-02T03:04:05"
        );
        assert_eq!(parse_datetime("2026-13-01"), None);
        assert_eq!(parse_datetime("21/11/2026"), None);
        assert_eq!(parse_datetime("2026-11-21T25:00:00"), None);
    }

    // Whatever a driver message says, the password never comes out of the host.
    #[test]
    fn password_is_scrubbed() {
        let f = scrub(
            SqlFailure::Denied("Access denied for 'u' using s3cret-pw".into()),
            "s3cret-pw",
        );
        assert_eq!(
            f,
            SqlFailure::Denied("Access denied for 'u' using <redacted>".into())
        );
    }
}
