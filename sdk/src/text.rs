//! Text as EHR columns need it: Snellen acuities, and text for ASCII-only targets.
//!
//! [`to_ascii`] is what `Mapping::ascii_only` rules and the diagnosis shaper use. It never
//! writes a bare `?` and never changes what the text means:
//!
//! 1. the text is normalised to NFC, so a decomposed accent (`e` + U+0301) and the
//!    precomposed one (`é`) are the same character;
//! 2. zero-width and direction characters (U+200B–U+200F, U+2060, U+FEFF, soft hyphen)
//!    are removed: they are invisible and carry no meaning;
//! 3. characters with a faithful ASCII form are transliterated: Latin letters lose their
//!    accents (`é` → `e`), `ß` → `ss`, `æ` → `ae`, typographic quotes and dashes become
//!    plain ones (`“”` → `"`, `—` → `-`), `½` → `1/2`, `°` → ` deg` (the table is
//!    `text/ascii_table.rs`), with a `characters-replaced` warning naming each change;
//! 4. a character with no faithful form (CJK, emoji, other scripts) makes the value
//!    unwritable: the field is skipped with `invalid-value` and the reason names the
//!    characters, unless the practice set `non_ascii_marker` (see
//!    [`crate::config::non_ascii_marker`]), in which case each such character is written
//!    as the marker, with a `characters-replaced` warning.

mod ascii_table;

use crate::{FieldWarning, WarningKind};
use unicode_normalization::char::{decompose_canonical, is_combining_mark};
use unicode_normalization::UnicodeNormalization;

/// A visual acuity as EHR acuity columns hold it: Snellen `20/NN[+-n]` (two or three
/// digits, an optional one-digit modifier) or CF, HM, LP, NLP.
pub fn is_snellen_acuity(s: &str) -> bool {
    if matches!(s, "CF" | "HM" | "LP" | "NLP") {
        return true;
    }
    let Some(rest) = s.strip_prefix("20/") else {
        return false;
    };
    let (den, modifier) = match rest.find(['+', '-']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    (2..=3).contains(&den.len())
        && digits(den)
        && modifier.is_none_or(|m| m.len() == 1 && digits(m))
}

/// A 24-hour clock time `HH:MM`, 00:00 to 23:59 (the catalog's `time` format).
pub fn is_clock_time(s: &str) -> bool {
    let Some((h, m)) = s.split_once(':') else {
        return false;
    };
    let two_digits = |t: &str| t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit());
    two_digits(h)
        && two_digits(m)
        && h.parse::<u8>().is_ok_and(|h| h < 24)
        && m.parse::<u8>().is_ok_and(|m| m < 60)
}

/// `Some` only for a value with something in it, trimmed: the contract says absent values
/// are `none`, never empty strings, so readers can tell "not recorded" from "blank".
pub fn present(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// What to do with a character that has no faithful ASCII form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NonAscii {
    /// The value cannot be written: the field is skipped with the reason (the default).
    #[default]
    Refuse,
    /// Each such character is written as this (ASCII) marker, with a warning.
    Marker(String),
}

/// Text made ASCII, and what was changed on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ascii {
    /// The ASCII text.
    pub text: String,
    /// Distinct characters transliterated, with their ASCII form, in first-seen order.
    pub transliterated: Vec<(char, &'static str)>,
    /// Distinct characters written as the marker, in first-seen order.
    pub marked: Vec<char>,
}

impl Ascii {
    /// The `characters-replaced` warning describing every change, or `None` when the
    /// text needed none (zero-width characters removed alone need none).
    pub fn warning(&self) -> Option<FieldWarning> {
        let mut parts = Vec::new();
        if !self.transliterated.is_empty() {
            let list: Vec<String> = self
                .transliterated
                .iter()
                .map(|(c, a)| format!("'{c}' as '{}'", a.trim_start()))
                .collect();
            parts.push(format!("written as ASCII: {}", list.join(", ")));
        }
        if !self.marked.is_empty() {
            parts.push(format!(
                "characters with no ASCII form written as the practice's marker: {}",
                describe_chars(&self.marked)
            ));
        }
        (!parts.is_empty()).then(|| FieldWarning {
            kind: WarningKind::CharactersReplaced,
            message: parts.join("; "),
        })
    }
}

/// `text` for an ASCII-only target (see the module rules), or the reason it cannot be
/// written there.
///
/// ```
/// use ehr_adapter_sdk::text::{to_ascii, NonAscii};
/// let a = to_ascii("Cafe\u{301} — ½ dose", &NonAscii::Refuse).unwrap();
/// assert_eq!(a.text, "Cafe - 1/2 dose");
/// assert!(to_ascii("視界", &NonAscii::Refuse).unwrap_err().contains("U+8996"));
/// ```
pub fn to_ascii(text: &str, policy: &NonAscii) -> Result<Ascii, String> {
    let mut out = Ascii {
        text: String::with_capacity(text.len()),
        transliterated: Vec::new(),
        marked: Vec::new(),
    };
    let mut unwritable = Vec::new();
    for c in text.nfc() {
        if c.is_ascii() {
            out.text.push(c);
        } else if is_invisible(c) {
            continue;
        } else if let Some(plain) = faithful_ascii(c) {
            out.text.push_str(plain);
            if !out.transliterated.iter().any(|(seen, _)| *seen == c) {
                out.transliterated.push((c, plain));
            }
        } else {
            match policy {
                NonAscii::Refuse => push_distinct(&mut unwritable, c),
                NonAscii::Marker(marker) => {
                    out.text.push_str(marker);
                    push_distinct(&mut out.marked, c);
                }
            }
        }
    }
    if unwritable.is_empty() {
        Ok(out)
    } else {
        Err(format!(
            "has characters with no faithful ASCII form, and this EHR stores ASCII only: {}; \
             correct the text, or set `non_ascii_marker` to have them written as a marker",
            describe_chars(&unwritable)
        ))
    }
}

/// The faithful ASCII form of one non-ASCII character: from the table, or a Latin letter
/// without its accents; `None` when there is none.
pub fn faithful_ascii(c: char) -> Option<&'static str> {
    if let Some(s) = ascii_table::lookup(c) {
        return Some(s);
    }
    let mut base = None;
    let mut only_marks = true;
    decompose_canonical(c, |part| {
        if base.is_none() {
            base = Some(part);
        } else if !is_combining_mark(part) {
            only_marks = false;
        }
    });
    let base = base.filter(|b| b.is_ascii_alphabetic() && only_marks && *b != c)?;
    ascii_table::letter(base)
}

/// Zero-width and direction characters, removed from ASCII text.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

fn push_distinct(list: &mut Vec<char>, c: char) {
    if !list.contains(&c) {
        list.push(c);
    }
}

/// `'視' (U+8996, CJK), ...`: up to five characters, each with its code point and script.
fn describe_chars(chars: &[char]) -> String {
    let mut parts: Vec<String> = chars
        .iter()
        .take(5)
        .map(|&c| format!("'{c}' (U+{:04X}, {})", c as u32, script_of(c)))
        .collect();
    if chars.len() > 5 {
        parts.push(format!("and {} more", chars.len() - 5));
    }
    parts.join(", ")
}

fn script_of(c: char) -> &'static str {
    match c as u32 {
        0x2E80..=0x2FDF | 0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF => {
            "CJK"
        }
        0x3040..=0x30FF => "Japanese kana",
        0xAC00..=0xD7AF | 0x1100..=0x11FF => "Korean",
        0x1F000..=0x1FAFF | 0x2600..=0x27BF => "emoji or symbol",
        0x0370..=0x03FF => "Greek",
        0x0400..=0x04FF => "Cyrillic",
        0x0590..=0x05FF => "Hebrew",
        0x0600..=0x06FF => "Arabic",
        0x0000..=0x001F | 0x007F..=0x009F => "control character",
        _ => "no ASCII form",
    }
}

#[cfg(test)]
mod tests;
