//! Comparing names as the scribe and the EHR spell them.
//!
//! Both sides are reduced by [`name_key`]: NFD (so precomposed and decomposed accents are
//! the same), accents dropped, special letters spelled out (`ß` → `ss`, `ø` → `o`),
//! lower case, and whitespace, hyphens, apostrophes and dots removed: `Núñez` = `NUNEZ`,
//! `O'Brien` = `OBrien`, `Smith-Jones` = `Smith Jones`. Letters without an ASCII form
//! (other scripts) are kept as they are, so two different non-Latin names never reduce to
//! the same key.
//!
//! First names are matched more loosely (see [`first_names_match`]), because the scribe
//! hears what the patient is called and the EHR holds the legal name.

use unicode_normalization::UnicodeNormalization;

/// A name reduced for comparison (see the module rules).
pub fn name_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len());
    for c in name.nfd() {
        if unicode_normalization::char::is_combining_mark(c) || is_separator(c) {
            continue;
        }
        match crate::text::faithful_ascii(c) {
            _ if c.is_ascii() => key.push(c.to_ascii_lowercase()),
            Some(plain) if plain.chars().all(|p| p.is_ascii_alphanumeric()) => {
                key.push_str(&plain.to_ascii_lowercase())
            }
            _ => key.extend(c.to_lowercase()),
        }
    }
    key
}

/// Whitespace, hyphens, apostrophes and dots: spelling variants, never part of identity.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '\'' | '.' | '`' | '´' | '‘' | '’' | 'ʼ' | '‐' | '‑' | '‒' | '–' | '—'
        )
}

/// The given-name tokens of a first name, each reduced by [`name_key`]: `Mary-Ann Jo` →
/// `mary`, `ann`, `jo`.
fn tokens(name: &str) -> Vec<String> {
    name.split(|c: char| c.is_whitespace() || matches!(c, '-' | '‐' | '‑'))
        .map(name_key)
        .filter(|t| !t.is_empty())
        .collect()
}

/// The first-name rule: the *first* given name of each side is compared (middle names are
/// ignored, so `Mary Ann` matches `Mary`), and two first given names match when, reduced
/// by [`name_key`],
///
/// 1. they are equal (`José` = `JOSE`), or
/// 2. one is a prefix of the other and the shorter has at least three letters (`Chris` =
///    `Christopher`, `Alex` = `Alexandra`; `Al` alone is too short to say), or
/// 3. both are in one group of the nickname table [`NICKNAMES`] (`Bill` = `William`,
///    `Peggy` = `Margaret`).
///
/// Anything else (including an empty name on either side) does not match.
pub fn first_names_match(a: &str, b: &str) -> bool {
    let (Some(a), Some(b)) = (tokens(a).into_iter().next(), tokens(b).into_iter().next()) else {
        return false;
    };
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    a == b
        || (short.chars().count() >= 3 && long.starts_with(short.as_str()))
        || NICKNAMES
            .iter()
            .any(|group| group.contains(&a.as_str()) && group.contains(&b.as_str()))
}

/// Groups of given names that are the same person's name (a formal name first, then its
/// usual English nicknames), all in [`name_key`] form. A name may be in several groups
/// (`ted`: Edward and Theodore). Prefixes (`chris`, `sam`) need no entry.
pub const NICKNAMES: &[&[&str]] = &[
    &["william", "bill", "billy", "will", "willy", "liam"],
    &["robert", "bob", "bobby", "rob", "robbie", "bert"],
    &[
        "elizabeth",
        "liz",
        "lizzie",
        "beth",
        "betty",
        "betsy",
        "eliza",
        "lisa",
        "libby",
    ],
    &[
        "margaret", "maggie", "meg", "peggy", "marge", "greta", "daisy",
    ],
    &["richard", "dick", "rick", "ricky", "rich", "richie"],
    &["james", "jim", "jimmy", "jamie"],
    &["john", "jack", "johnny"],
    &[
        "katherine",
        "catherine",
        "kathryn",
        "kate",
        "katie",
        "kathy",
        "cathy",
        "kat",
        "kitty",
    ],
    &["michael", "mike", "mikey", "mick"],
    &["thomas", "tom", "tommy"],
    &["joseph", "joe", "joey"],
    &["charles", "charlie", "chuck", "chas"],
    &["edward", "ed", "eddie", "ted", "ned"],
    &["theodore", "ted", "teddy", "theo"],
    &["anthony", "tony"],
    &["henry", "hank", "harry"],
    &["harold", "harry", "hal"],
    &["susan", "sue", "susie", "suzy"],
    &["patricia", "pat", "patty", "trish", "tricia"],
    &["jennifer", "jen", "jenny"],
    &["deborah", "debra", "deb", "debbie"],
    &["david", "dave", "davy"],
    &["stephen", "steven", "steve"],
    &["alexander", "alexandra", "sandy", "sasha"],
    &["andrew", "andy", "drew"],
    &["nicholas", "nick", "nicky"],
    &["lawrence", "larry"],
    &["rebecca", "becky"],
    &["victoria", "vicky", "tori"],
    &["abigail", "abby"],
    &["dorothy", "dot", "dottie"],
    &["barbara", "barb", "babs"],
    &["jose", "pepe"],
    &["francisco", "paco", "pancho"],
];

#[cfg(test)]
mod tests {
    use super::*;

    // Accents (precomposed or decomposed), case, spacing, hyphens and apostrophes fold;
    // different non-Latin names stay different.
    #[test]
    fn keys() {
        assert_eq!(name_key("Núñez"), "nunez");
        assert_eq!(name_key("Nu\u{301}n\u{303}ez"), "nunez");
        assert_eq!(name_key("  NUNEZ "), "nunez");
        assert_eq!(name_key("O'Brien"), name_key("OBrien"));
        assert_eq!(name_key("O’Brien"), name_key("o brien"));
        assert_eq!(name_key("Smith-Jones"), name_key("smith jones"));
        assert_eq!(name_key("Weiß"), "weiss");
        assert_ne!(name_key("王伟"), name_key("李娜"));
        assert_eq!(name_key("王伟"), "王伟");
    }

    // The documented first-name rule, case by case.
    #[test]
    fn first_names() {
        for (a, b) in [
            ("Margaret", "MARGARET"),
            ("José", "Jose"),
            ("Mary Ann", "Mary"),
            ("Mary-Ann", "mary"),
            ("Chris", "Christopher"),
            ("Bill", "William"),
            ("Peggy", "Margaret"),
            ("Ted", "Theodore"),
            ("Ted", "Edward"),
        ] {
            assert!(first_names_match(a, b), "{a} ~ {b}");
            assert!(first_names_match(b, a), "{b} ~ {a}");
        }
        for (a, b) in [
            ("Margaret", "David"),
            ("Al", "Alice"),
            ("Edward", "Theodore"),
            ("", "Ann"),
            ("Ann", " "),
            ("Ann Mary", "Mary"),
        ] {
            assert!(!first_names_match(a, b), "{a} !~ {b}");
        }
    }
}
