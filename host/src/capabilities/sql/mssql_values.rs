//! Contract values to and from SQL Server's wire types (tiberius' `ColumnData`), without
//! a date-time library: SQL Server counts `date` days from 0001-01-01 and legacy
//! `datetime` days from 1900-01-01, and the conversions below are exact calendar
//! arithmetic on those counts.
//!
//! Decimals, dates and date-times are *sent* as text (`-1.25`, `2026-11-16`,
//! `2026-11-16T09:00:00`), which SQL Server converts exactly into the target column: a
//! decimal keeps every digit, and ISO 8601 dates do not depend on the session's
//! `DATEFORMAT`. Typed `numeric(p,s)`, `date` and `datetime2` parameters would be
//! equally right for SQL Server, but the `iridium_server` emulator the tests run against
//! cannot parse a `numeric(p,s)` parameter declaration and misreads typed date
//! parameters; text works on both. Results are read in their wire types below.

use super::value::{format_datetime, parse_param_datetime, DateParts, SqlFailure, SqlValue};
use std::borrow::Cow;
use tiberius::numeric::Numeric;
use tiberius::time::Time;
use tiberius::{ColumnData, IntoSql};

/// One bound parameter, already in wire form.
pub struct Param(pub ColumnData<'static>);

impl<'a> IntoSql<'a> for Param {
    fn into_sql(self) -> ColumnData<'a> {
        self.0
    }
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian).
#[cfg(test)]
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The civil date `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// 0001-01-01, where SQL Server's `date` counts from, in days from 1970-01-01.
const DATE_EPOCH: i64 = -719162;
/// 1900-01-01, where `datetime` and `smalldatetime` count from.
const DATETIME_EPOCH: i64 = -25567;

fn date_parts(days_from_epoch: i64, epoch: i64) -> (u16, u8, u8) {
    let (y, m, d) = civil_from_days(days_from_epoch + epoch);
    (y as u16, m as u8, d as u8)
}

/// An exact decimal in text (`-1.25`) as a `decimal` parameter.
fn parse_decimal(i: usize, s: &str) -> Result<Numeric, SqlFailure> {
    let bad = || {
        SqlFailure::Failed(format!(
            "parameter {}: `{s}` is not a decimal number (like -1.25)",
            i + 1
        ))
    };
    let t = s.trim();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() && frac.is_empty() || !all_digits(int) || !all_digits(frac) {
        return Err(bad());
    }
    if int.len() + frac.len() > 38 {
        return Err(bad());
    }
    let value: i128 = format!("{int}{frac}").parse().map_err(|_| bad())?;
    let scale = u8::try_from(frac.len()).map_err(|_| bad())?;
    Ok(Numeric::new_with_scale(
        if neg { -value } else { value },
        scale,
    ))
}

/// A `decimal` as exact text: `-0.50`, never `0.-50`.
pub fn format_numeric(n: Numeric) -> String {
    let scale = u32::from(n.scale());
    let v = n.value();
    let sign = if v < 0 { "-" } else { "" };
    let abs = v.unsigned_abs();
    if scale == 0 {
        return format!("{sign}{abs}");
    }
    let pow = 10u128.pow(scale);
    format!(
        "{sign}{}.{:0width$}",
        abs / pow,
        abs % pow,
        width = scale as usize
    )
}

/// Converts contract parameters to wire values. A NULL travels as an `nvarchar` NULL,
/// which SQL Server converts to any column type except binary ones; decimals, dates and
/// date-times travel as checked ISO text (see the module documentation).
pub fn to_params(params: &[SqlValue]) -> Result<Vec<Param>, SqlFailure> {
    params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Ok(Param(match p {
                SqlValue::Null => ColumnData::String(None),
                SqlValue::Int(v) => ColumnData::I64(Some(*v)),
                SqlValue::Float(v) => ColumnData::F64(Some(*v)),
                SqlValue::Boolean(b) => ColumnData::Bit(Some(*b)),
                SqlValue::Text(s) => ColumnData::String(Some(Cow::Owned(s.clone()))),
                SqlValue::Bytes(b) => ColumnData::Binary(Some(Cow::Owned(b.clone()))),
                SqlValue::Decimal(s) => text(format_numeric(parse_decimal(i, s)?)),
                SqlValue::Date(s) => {
                    let (y, mo, d, ..) = parse_param_datetime(i, s)?;
                    text(format!("{y:04}-{mo:02}-{d:02}"))
                }
                SqlValue::Datetime(s) => text(iso_datetime(parse_param_datetime(i, s)?)),
            }))
        })
        .collect()
}

fn text(s: String) -> ColumnData<'static> {
    ColumnData::String(Some(Cow::Owned(s)))
}

/// `YYYY-MM-DDTHH:MM:SS[.fff...]` with the fraction's trailing zeros dropped, so a
/// whole-millisecond value also converts into a legacy `datetime` column.
fn iso_datetime(p: DateParts) -> String {
    let full = format_datetime(p);
    match full.split_once('.') {
        Some((base, frac)) => format!("{base}.{}", frac.trim_end_matches('0')),
        None => full,
    }
}

/// Microseconds into the day of a `time` value of any scale.
fn time_micros(t: Time) -> u64 {
    let scale = u32::from(t.scale()).min(7);
    let per_second = 10u64.pow(scale);
    let increments = t.increments();
    (increments / per_second) * 1_000_000 + (increments % per_second) * 1_000_000 / per_second
}

fn with_time(date: (u16, u8, u8), micros: u64) -> String {
    let secs = micros / 1_000_000;
    format_datetime((
        date.0,
        date.1,
        date.2,
        (secs / 3600) as u8,
        ((secs / 60) % 60) as u8,
        (secs % 60) as u8,
        (micros % 1_000_000) as u32,
    ))
}

/// Converts one result cell to a contract value.
pub fn from_column(data: &ColumnData<'_>) -> SqlValue {
    let null = SqlValue::Null;
    match data {
        ColumnData::U8(v) => v.map_or(null, |v| SqlValue::Int(v.into())),
        ColumnData::I16(v) => v.map_or(null, |v| SqlValue::Int(v.into())),
        ColumnData::I32(v) => v.map_or(null, |v| SqlValue::Int(v.into())),
        ColumnData::I64(v) => v.map_or(null, SqlValue::Int),
        ColumnData::F32(v) => v.map_or(null, |v| SqlValue::Float(v.into())),
        ColumnData::F64(v) => v.map_or(null, SqlValue::Float),
        ColumnData::Bit(v) => v.map_or(null, SqlValue::Boolean),
        ColumnData::String(v) => v.as_ref().map_or(null, |s| SqlValue::Text(s.to_string())),
        ColumnData::Guid(v) => v.map_or(null, |g| SqlValue::Text(g.to_string())),
        ColumnData::Binary(v) => v.as_ref().map_or(null, |b| SqlValue::Bytes(b.to_vec())),
        ColumnData::Numeric(v) => v.map_or(null, |n| SqlValue::Decimal(format_numeric(n))),
        ColumnData::Xml(v) => v.as_ref().map_or(null, |x| SqlValue::Text(x.to_string())),
        ColumnData::DateTime(v) => v.map_or(null, |dt| {
            // Legacy `datetime` keeps the time of day in 1/300 seconds.
            let micros = u64::from(dt.seconds_fragments()) * 1_000_000 / 300;
            let date = date_parts(i64::from(dt.days()), DATETIME_EPOCH);
            SqlValue::Datetime(with_time(date, micros))
        }),
        ColumnData::SmallDateTime(v) => v.map_or(null, |dt| {
            let micros = u64::from(dt.seconds_fragments()) * 60 * 1_000_000;
            let date = date_parts(i64::from(dt.days()), DATETIME_EPOCH);
            SqlValue::Datetime(with_time(date, micros))
        }),
        ColumnData::Time(v) => v.map_or(null, |t| {
            let full = with_time((1, 1, 1), time_micros(t));
            SqlValue::Text(full["0001-01-01T".len()..].to_string())
        }),
        ColumnData::Date(v) => v.map_or(null, |d| {
            let (y, m, d) = date_parts(i64::from(d.days()), DATE_EPOCH);
            SqlValue::Date(format!("{y:04}-{m:02}-{d:02}"))
        }),
        ColumnData::DateTime2(v) => v.map_or(null, |dt| {
            let date = date_parts(i64::from(dt.date().days()), DATE_EPOCH);
            SqlValue::Datetime(with_time(date, time_micros(dt.time())))
        }),
        ColumnData::DateTimeOffset(v) => v.map_or(null, |dto| {
            // Stored as UTC plus the writer's offset: give the writer's local time.
            let dt = dto.datetime2();
            let day_micros = 86_400_000_000i64;
            let utc = i64::from(dt.date().days()) * day_micros + time_micros(dt.time()) as i64;
            let local = utc + i64::from(dto.offset()) * 60_000_000;
            let date = date_parts(local.div_euclid(day_micros), DATE_EPOCH);
            SqlValue::Datetime(with_time(date, local.rem_euclid(day_micros) as u64))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(v: SqlValue) -> ColumnData<'static> {
        to_params(&[v]).unwrap().remove(0).0
    }

    // Plain values travel in their own wire types; decimals, dates and date-times as
    // exact ISO text (negative decimals kept whole, fractions without trailing zeros).
    #[test]
    fn parameters_in_wire_form() {
        assert_eq!(sent(SqlValue::Null), ColumnData::String(None));
        assert_eq!(sent(SqlValue::Int(-42)), ColumnData::I64(Some(-42)));
        assert_eq!(sent(SqlValue::Boolean(true)), ColumnData::Bit(Some(true)));
        for (value, wire) in [
            (SqlValue::Decimal("-0.50".into()), "-0.50"),
            (SqlValue::Decimal("+175".into()), "175"),
            (SqlValue::Date("2026-11-16".into()), "2026-11-16"),
            (
                SqlValue::Datetime("2026-11-16 09:05:07".into()),
                "2026-11-16T09:05:07",
            ),
            (
                SqlValue::Datetime("1958-03-14T23:59:59.250".into()),
                "1958-03-14T23:59:59.25",
            ),
        ] {
            assert_eq!(sent(value), text(wire.to_string()));
        }
    }

    // Result cells in SQL Server's date types read back as the contract's dates and
    // date-times (day counts from 0001-01-01, time in increments of the column's scale),
    // and decimals as exact text.
    #[test]
    fn results_from_wire_form() {
        use tiberius::time::{Date, DateTime2};
        let days = |y, m, d| (days_from_civil(y, m, d) - DATE_EPOCH) as u32;
        assert_eq!(
            from_column(&ColumnData::Date(Some(Date::new(days(2026, 11, 16))))),
            SqlValue::Date("2026-11-16".into())
        );
        assert_eq!(
            from_column(&ColumnData::Date(Some(Date::new(0)))),
            SqlValue::Date("0001-01-01".into())
        );
        let nine_oh_five = (9 * 3600 + 5 * 60 + 7) * 10_000_000 + 2_500_000;
        assert_eq!(
            from_column(&ColumnData::DateTime2(Some(DateTime2::new(
                Date::new(days(2000, 2, 29)),
                Time::new(nine_oh_five, 7)
            )))),
            SqlValue::Datetime("2000-02-29T09:05:07.250000".into())
        );
        assert_eq!(
            from_column(&ColumnData::Numeric(Some(Numeric::new_with_scale(-50, 2)))),
            SqlValue::Decimal("-0.50".into())
        );
        assert_eq!(from_column(&ColumnData::String(None)), SqlValue::Null);
    }

    // Malformed decimals and dates are refused before anything reaches the server,
    // naming the parameter.
    #[test]
    fn malformed_parameters_are_refused() {
        for bad in [
            SqlValue::Decimal("1,25".into()),
            SqlValue::Decimal("-".into()),
            SqlValue::Date("11/16/2026".into()),
        ] {
            let e = to_params(&[SqlValue::Int(1), bad]).err().unwrap();
            assert!(
                matches!(&e, SqlFailure::Failed(m) if m.contains("parameter 2")),
                "{e}"
            );
        }
    }

    // Legacy `datetime` (1/300 s from 1900) and `smalldatetime` (minutes) read as the
    // contract's date-times.
    #[test]
    fn legacy_datetimes() {
        let dt = tiberius::time::DateTime::new(46_340, 300 * 3600 * 9 + 150);
        assert_eq!(
            from_column(&ColumnData::DateTime(Some(dt))),
            SqlValue::Datetime("2026-11-16T09:00:00.500000".into())
        );
        let small = tiberius::time::SmallDateTime::new(46_340, 9 * 60 + 30);
        assert_eq!(
            from_column(&ColumnData::SmallDateTime(Some(small))),
            SqlValue::Datetime("2026-11-16T09:30:00".into())
        );
    }
}
