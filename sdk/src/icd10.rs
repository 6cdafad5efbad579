//! ICD-10-CM codes: the one validator the host's snapshot check and every adapter use, so
//! a diagnosis the host accepted is never refused by an adapter for its shape (and the
//! other way round), and the diagnosis shaper adapters write lists with ([`shape`]).
//!
//! The rules (pinned by [`TABLE`], which the SDK's and the host's tests both run):
//!
//! - a letter (any, `U` included: `U07.1` is ICD-10-CM's COVID-19 code), a digit, then a
//!   digit or letter (`H40`, `C4A`);
//! - then optionally up to four more digits or letters (4th to 7th character), with or
//!   without a dot after the third character (`H40.1131` = `H401131`); a dot anywhere
//!   else, two dots or a trailing dot is not a code;
//! - the placeholder `X` pads a code to its 7th character (`S05.8XXA`, `T15.02XA`): a code
//!   that ends in a placeholder has lost its 7th character and is not a code;
//! - case does not matter (`h40.1131` is `H40.1131`); surrounding spaces are ignored;
//!   anything non-ASCII is not a code.
//!
//! Whether a well-formed code exists in this year's code set is not checked here: that
//! needs the code list, and EHRs check it themselves.

mod shape;

pub(crate) use shape::shape;
pub use shape::{DiagnosisRules, ShapedDiagnoses};

/// The code in its canonical form (upper case, dot after the third character when there
/// is more than three), or `None` when `code` is not an ICD-10-CM code.
///
/// ```
/// use ehr_adapter_sdk::icd10::normalize;
/// assert_eq!(normalize(" h401131 ").as_deref(), Some("H40.1131"));
/// assert_eq!(normalize("U07.1").as_deref(), Some("U07.1"));
/// assert_eq!(normalize("H40."), None);
/// ```
pub fn normalize(code: &str) -> Option<String> {
    let code = code.trim();
    if !code.is_ascii() {
        return None;
    }
    let upper = code.to_ascii_uppercase();
    let (head, tail) = match upper.split_once('.') {
        Some((head, tail)) if head.len() == 3 && !tail.is_empty() => (head, tail),
        Some(_) => return None,
        None => upper.split_at(upper.len().min(3)),
    };
    let h = head.as_bytes();
    let alnum = |c: &u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    let head_ok =
        h.len() == 3 && h[0].is_ascii_uppercase() && h[1].is_ascii_digit() && alnum(&h[2]);
    let tail_ok = tail.len() <= 4 && tail.as_bytes().iter().all(alnum);
    // A trailing placeholder (4th to 6th character) means the 7th character is missing.
    let placeholder_last = (1..=3).contains(&tail.len()) && tail.ends_with('X');
    if !head_ok || !tail_ok || placeholder_last {
        return None;
    }
    Some(if tail.is_empty() {
        head.to_string()
    } else {
        format!("{head}.{tail}")
    })
}

/// True when `code` is an ICD-10-CM code (see the module rules).
pub fn is_valid(code: &str) -> bool {
    normalize(code).is_some()
}

/// The code without its dot (`H401131`), for EHRs that store codes that way; `None` when
/// `code` is not an ICD-10-CM code.
pub fn without_dot(code: &str) -> Option<String> {
    normalize(code).map(|c| c.replace('.', ""))
}

/// The table every ICD-10-CM check is tested against: input, and its canonical form
/// (`None`: not a code). The SDK's tests run it against [`normalize`] and the host's
/// snapshot tests against the host's intake check, so the two cannot drift apart.
pub const TABLE: &[(&str, Option<&str>)] = &[
    ("H40.1131", Some("H40.1131")),
    ("H401131", Some("H40.1131")),
    ("h40.1131", Some("H40.1131")),
    (" E11.9 ", Some("E11.9")),
    ("E119", Some("E11.9")),
    ("H52.13", Some("H52.13")),
    ("H25", Some("H25")),
    ("U07.1", Some("U07.1")),
    ("u071", Some("U07.1")),
    ("U09.9", Some("U09.9")),
    ("C4A.9", Some("C4A.9")),
    ("O09.A0", Some("O09.A0")),
    ("S05.8XXA", Some("S05.8XXA")),
    ("s058xxa", Some("S05.8XXA")),
    ("T15.02XA", Some("T15.02XA")),
    ("H40.11X1", Some("H40.11X1")),
    ("S05.8X", None),
    ("S05.8XX", None),
    ("H40.", None),
    ("H4", None),
    ("", None),
    ("H40.11311", None),
    ("H4011311", None),
    ("4H0.1", None),
    ("HH0.1", None),
    ("H4.01", None),
    ("H40..1", None),
    ("H40.1.1", None),
    ("H40-1131", None),
    ("H40.1 31", None),
    ("H40.113!", None),
    ("Ｈ40.1", None),
    ("H40.1131é", None),
];

/// The rows of [`TABLE`] on which `accepts` disagrees with the table (a valid code
/// refused, or a non-code accepted), as readable lines; empty when it agrees everywhere.
/// For the host's test of its intake check.
pub fn table_mismatches(accepts: impl Fn(&str) -> bool) -> Vec<String> {
    TABLE
        .iter()
        .filter(|(code, want)| accepts(code) != want.is_some())
        .map(|(code, want)| match want {
            Some(_) => format!("`{code}` is a valid ICD-10-CM code but was refused"),
            None => format!("`{code}` is not an ICD-10-CM code but was accepted"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every row of the shared table: validity and the canonical form.
    #[test]
    fn table() {
        for (code, want) in TABLE {
            assert_eq!(normalize(code).as_deref(), *want, "`{code}`");
        }
        assert!(table_mismatches(is_valid).is_empty());
        assert_eq!(table_mismatches(|_| true).len(), 17);
    }

    // The dot-less form EHRs that store codes without dots want.
    #[test]
    fn dotless() {
        assert_eq!(without_dot("h40.1131").as_deref(), Some("H401131"));
        assert_eq!(without_dot("nope"), None);
    }
}
