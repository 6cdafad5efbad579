//! Text for ASCII-only EHR columns and for comparing names: common Latin letters and
//! typographic punctuation keep their meaning (é → e, ’ → ', — → -, ° → deg), anything
//! else becomes `?` where a column needs ASCII.

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

/// The ASCII text, and the distinct characters that were replaced, in first-seen order.
pub fn to_ascii(text: &str) -> (String, Vec<char>) {
    let mut out = String::with_capacity(text.len());
    let mut replaced = Vec::new();
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        out.push_str(ascii_equivalent(c).unwrap_or("?"));
        if !replaced.contains(&c) {
            replaced.push(c);
        }
    }
    (out, replaced)
}

/// A name reduced for comparison: accents folded, lower-case, inner whitespace collapsed,
/// so names differing only in accents, case or spacing compare equal (`Núñez` stored as
/// `Nunez`). Characters with no ASCII equivalent are kept, not turned into `?`: otherwise
/// two different non-Latin names would both reduce to `???` and pass an identity check.
pub fn name_key(name: &str) -> String {
    let mut folded = String::with_capacity(name.len());
    for c in name.chars() {
        match ascii_equivalent(c) {
            _ if c.is_ascii() => folded.push(c),
            Some(plain) => folded.push_str(plain),
            None => folded.extend(c.to_lowercase()),
        }
    }
    folded
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The plain ASCII spelling of a non-ASCII character, when it has one.
pub fn ascii_equivalent(c: char) -> Option<&'static str> {
    let s = ascii_for(c);
    (s != "?").then_some(s)
}

fn ascii_for(c: char) -> &'static str {
    match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'Á' | 'À' | 'Â' | 'Ä' | 'Ã' | 'Å' | 'Ā' | 'Ă' | 'Ą' => "A",
        'æ' => "ae",
        'Æ' => "AE",
        'ç' | 'ć' | 'č' => "c",
        'Ç' | 'Ć' | 'Č' => "C",
        'ď' | 'đ' => "d",
        'Ď' | 'Đ' => "D",
        'é' | 'è' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'É' | 'È' | 'Ê' | 'Ë' | 'Ē' | 'Ė' | 'Ę' | 'Ě' => "E",
        'ğ' => "g",
        'Ğ' => "G",
        'í' | 'ì' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
        'Í' | 'Ì' | 'Î' | 'Ï' | 'Ī' | 'Į' | 'İ' => "I",
        'ł' => "l",
        'Ł' => "L",
        'ñ' | 'ń' | 'ň' => "n",
        'Ñ' | 'Ń' | 'Ň' => "N",
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' | 'ō' | 'ő' => "o",
        'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' | 'Ø' | 'Ō' | 'Ő' => "O",
        'œ' => "oe",
        'Œ' => "OE",
        'ř' => "r",
        'Ř' => "R",
        'ś' | 'š' | 'ş' => "s",
        'Ś' | 'Š' | 'Ş' => "S",
        'ß' => "ss",
        'ť' | 'ţ' => "t",
        'Ť' | 'Ţ' => "T",
        'ú' | 'ù' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
        'Ú' | 'Ù' | 'Û' | 'Ü' | 'Ū' | 'Ů' | 'Ű' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' | 'Ÿ' => "Y",
        'ź' | 'ż' | 'ž' => "z",
        'Ź' | 'Ż' | 'Ž' => "Z",
        '‘' | '’' | '′' => "'",
        '“' | '”' | '″' => "\"",
        '–' | '—' | '−' => "-",
        '…' => "...",
        '°' => " deg",
        '±' => "+/-",
        '×' => "x",
        'µ' | 'μ' => "u",
        '≤' => "<=",
        '≥' => ">=",
        '\u{a0}' => " ",
        _ => "?",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Accents and typographic punctuation become their plain equivalents; unknown
    // characters become `?`; each replaced character is listed once.
    #[test]
    fn replaces_and_lists_characters() {
        let (s, r) = to_ascii("José’s IOP — 18° ✓ é");
        assert_eq!(s, "Jose's IOP - 18 deg ? e");
        assert_eq!(r, vec!['é', '’', '—', '°', '✓']);
    }

    // Names equal up to accents, case and spacing share a key; different non-Latin
    // names do not collapse into the same key.
    // Acuities EHR columns accept, and near misses they reject.
    #[test]
    fn snellen_acuities() {
        for ok in ["20/20", "20/40-2", "20/400", "20/25+1", "CF", "NLP"] {
            assert!(is_snellen_acuity(ok), "{ok}");
        }
        for bad in [
            "20/4", "20/4000", "20/40-", "20/40-12", "6/6", "cf", "20/ 40", "",
        ] {
            assert!(!is_snellen_acuity(bad), "{bad}");
        }
    }

    #[test]
    fn name_keys() {
        assert_eq!(name_key("  José  NÚÑEZ "), name_key("jose nunez"));
        assert_ne!(name_key("王伟"), name_key("李娜"));
    }
}
