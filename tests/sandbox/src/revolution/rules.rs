//! Value rules the EHR enforces on individual fields, and the text patterns behind them.
//!
//! The patterns are matched by hand rather than with a regex crate: there are four of
//! them, each a few lines, and the tests below pin them to the documented regexes.

use serde_json::Value;

/// Message for any string with a non-ASCII character: the EHR's legacy database is ASCII-only.
pub(crate) const NON_ASCII: &str = "non-ASCII characters are not accepted";

/// What one field accepts. Every field also accepts `null`, which clears it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rule {
    /// ASCII string of at most `max` characters.
    Text { max: usize },
    /// Snellen acuity `20/NN` or `20/NNN`, optionally `+d`/`-d`, or CF, HM, LP, NLP.
    Acuity,
    /// Number in `min..=max` that is a multiple of 0.25 (lens powers).
    Quarter { min: f64, max: f64 },
    /// Integer in `min..=max`.
    Int { min: i64, max: i64 },
    /// Number in `min..=max`.
    Num { min: f64, max: f64 },
    /// One of the listed strings, exactly.
    Choice(&'static [&'static str]),
    /// 24-hour `HH:MM`.
    ClockTime,
}

impl Rule {
    /// Checks one value, answering the message for the field error if it is refused.
    pub fn check(&self, value: &Value) -> Result<(), String> {
        if value.is_null() {
            return Ok(());
        }
        match *self {
            Rule::Text { max } => {
                let s = ascii_string(value)?;
                if s.len() > max {
                    return Err(format!("must be at most {max} characters"));
                }
                Ok(())
            }
            Rule::Acuity => {
                let s = ascii_string(value)?;
                if is_acuity(s) {
                    Ok(())
                } else {
                    Err(
                        "must be a Snellen value like 20/40 or 20/25-2, or one of CF, HM, LP, NLP"
                            .into(),
                    )
                }
            }
            Rule::Quarter { min, max } => {
                let n = value.as_f64().ok_or("must be a number")?;
                let quarters = n * 4.0;
                if n < min || n > max || (quarters - quarters.round()).abs() > 1e-9 {
                    return Err(format!(
                        "must be a multiple of 0.25 between {min} and {max}"
                    ));
                }
                Ok(())
            }
            Rule::Int { min, max } => match value.as_i64() {
                Some(n) if (min..=max).contains(&n) => Ok(()),
                _ => Err(format!("must be an integer between {min} and {max}")),
            },
            Rule::Num { min, max } => match value.as_f64() {
                Some(n) if (min..=max).contains(&n) => Ok(()),
                _ => Err(format!("must be a number between {min} and {max}")),
            },
            Rule::Choice(options) => {
                let s = ascii_string(value)?;
                if options.contains(&s) {
                    Ok(())
                } else {
                    Err(format!("must be one of {}", options.join(", ")))
                }
            }
            Rule::ClockTime => {
                let s = ascii_string(value)?;
                if is_clock_time(s) {
                    Ok(())
                } else {
                    Err("must be a 24-hour time HH:MM".into())
                }
            }
        }
    }
}

/// The string inside `value`, refused if it is not a string or not ASCII.
pub(crate) fn ascii_string(value: &Value) -> Result<&str, String> {
    let s = value.as_str().ok_or("must be a string")?;
    if s.is_ascii() {
        Ok(s)
    } else {
        Err(NON_ASCII.to_string())
    }
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// `^20/\d{2,3}([+-]\d)?$` or CF, HM, LP, NLP.
pub(crate) fn is_acuity(s: &str) -> bool {
    if ["CF", "HM", "LP", "NLP"].contains(&s) {
        return true;
    }
    let Some(rest) = s.strip_prefix("20/") else {
        return false;
    };
    let (denominator, modifier) = match rest.find(['+', '-']) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, "0"),
    };
    (2..=3).contains(&denominator.len())
        && all_digits(denominator)
        && modifier.len() == 1
        && all_digits(modifier)
}

/// `^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$`: the shape of an ICD-10-CM code (U codes
/// such as `U07.1` included: they are ICD-10-CM's emergency-use codes).
pub(crate) fn is_icd10(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 3 {
        return false;
    }
    let upper_or_digit = |c: u8| c.is_ascii_digit() || c.is_ascii_uppercase();
    let head_ok = b[0].is_ascii_uppercase() && b[1].is_ascii_digit() && upper_or_digit(b[2]);
    let tail = b[3..].strip_prefix(b".").unwrap_or(&b[3..]);
    let tail_ok = if b.len() == 3 {
        true
    } else {
        (1..=4).contains(&tail.len()) && tail.iter().all(|&c| upper_or_digit(c))
    };
    head_ok && tail_ok
}

/// `HH:MM`, 00:00 to 23:59.
pub(crate) fn is_clock_time(s: &str) -> bool {
    let Some((h, m)) = s.split_once(':') else {
        return false;
    };
    h.len() == 2
        && m.len() == 2
        && all_digits(h)
        && all_digits(m)
        && h.parse::<u8>().is_ok_and(|h| h < 24)
        && m.parse::<u8>().is_ok_and(|m| m < 60)
}

/// `YYYY-MM-DD` with a plausible month and day.
pub(crate) fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    y.len() == 4
        && m.len() == 2
        && d.len() == 2
        && [y, m, d].iter().all(|p| all_digits(p))
        && m.parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
        && d.parse::<u8>().is_ok_and(|d| (1..=31).contains(&d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Acuity accepts Snellen fractions with an optional one-digit modifier and the
    // low-vision abbreviations, nothing else.
    #[test]
    fn acuity_pattern() {
        for ok in [
            "20/20", "20/400", "20/25-2", "20/30+1", "CF", "HM", "LP", "NLP",
        ] {
            assert!(is_acuity(ok), "{ok}");
        }
        for bad in [
            "20/2", "20/2000", "20/25-", "20/25-12", "20/25+-1", "6/6", "cf", "20/ 20", "",
        ] {
            assert!(!is_acuity(bad), "{bad}");
        }
    }

    // ICD-10 codes: letter (U included), digit, digit-or-letter, then an optional dotted
    // tail of one to four characters.
    #[test]
    fn icd10_pattern() {
        for ok in [
            "H40.1131", "H401131", "E11.9", "H52", "Z96.1", "H35.3211", "U07.1",
        ] {
            assert!(is_icd10(ok), "{ok}");
        }
        for bad in [
            "H4",
            "H40.",
            "H40.11311",
            "h40.1",
            "140.1",
            "H40..1",
            "H40-1",
        ] {
            assert!(!is_icd10(bad), "{bad}");
        }
    }

    // Times and dates need two-digit parts within range.
    #[test]
    fn time_and_date_patterns() {
        assert!(is_clock_time("09:05") && is_clock_time("23:59"));
        assert!(!is_clock_time("24:00") && !is_clock_time("9:05") && !is_clock_time("09:60"));
        assert!(is_date("2026-11-16"));
        assert!(!is_date("2026-13-01") && !is_date("2026-1-01") && !is_date("20261116"));
    }

    // Lens powers must sit on the quarter-dioptre grid and within range; integers must be integers.
    #[test]
    fn numeric_rules() {
        let sphere = Rule::Quarter {
            min: -30.0,
            max: 30.0,
        };
        assert!(sphere.check(&json!(-2.75)).is_ok());
        assert!(sphere.check(&json!(2.1)).is_err());
        assert!(sphere.check(&json!(30.25)).is_err());
        assert!(sphere.check(&json!("-2.75")).is_err());
        let axis = Rule::Int { min: 0, max: 180 };
        assert!(axis.check(&json!(90)).is_ok());
        assert!(axis.check(&json!(90.5)).is_err());
        assert!(axis.check(&json!(181)).is_err());
        assert!(axis.check(&json!(null)).is_ok());
    }

    // Text is ASCII-only and length-limited.
    #[test]
    fn text_rule() {
        let rule = Rule::Text { max: 5 };
        assert!(rule.check(&json!("hello")).is_ok());
        assert!(rule.check(&json!("hello!")).is_err());
        assert_eq!(rule.check(&json!("héllo")), Err(NON_ASCII.to_string()));
        assert!(rule.check(&json!(5)).is_err());
    }
}
