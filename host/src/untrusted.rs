//! Text the host did not write: what adapters, EHRs, manifests and registries say.
//!
//! Such text reaches terminals, log files, the job API and web pages. Left raw, an
//! escape sequence can clear an operator's screen and paint a false "succeeded", and a
//! newline can forge a whole log line. Everything that shows untrusted text passes it
//! through [`clean`] (one line) or [`clean_multiline`] first: control characters and
//! escape sequences become visible `\u{..}` escapes, line breaks become `⏎` (or stay, for
//! multi-line text, but never a bare carriage return), bidirectional overrides are
//! escaped so text cannot reorder itself on screen, and the length is bounded.

/// A short label: names, ids, versions, statuses.
pub const LABEL: usize = 200;
/// A message: an error's detail, a warning, a log line.
pub const MESSAGE: usize = 4096;

/// `text` as one safe line of at most `max_chars` characters (plus a marker when cut).
pub fn clean(text: &str, max_chars: usize) -> String {
    clean_with(text, max_chars, false)
}

/// `text` with its line breaks kept (`\n` only), everything else as in [`clean`].
pub fn clean_multiline(text: &str, max_chars: usize) -> String {
    clean_with(text, max_chars, true)
}

/// True when `text` is already what [`clean`] would return for it (a check for text the
/// host requires to be plain, such as manifest fields).
pub fn is_clean(text: &str) -> bool {
    text.chars().all(|c| !needs_escape(c))
}

fn clean_with(text: &str, max_chars: usize, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars + 16));
    for (i, c) in text.chars().enumerate() {
        if i >= max_chars {
            let rest = text.chars().count() - i;
            out.push_str(&format!("… [{rest} more characters cut]"));
            break;
        }
        match c {
            '\n' if keep_newlines => out.push('\n'),
            '\n' => out.push('⏎'),
            '\t' => out.push(' '),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Characters that must not reach a terminal or log as themselves: C0 and C1 controls
/// (ESC starts every terminal escape sequence; CSI is U+009B), DEL, the line and paragraph
/// separators, and the bidirectional controls that can make text display in another
/// order than it is stored.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    // A screen-clearing sequence and a forged green success line come out as visible
    // escapes on one line.
    #[test]
    fn escapes_cannot_act() {
        let hostile =
            "boom\x1b[2J\x1b[H\x1b[32mEHR write succeeded\x1b[0m\r\nINFO job J-FAKE succeeded";
        let safe = clean(hostile, MESSAGE);
        assert!(!safe.contains('\x1b') && !safe.contains('\r') && !safe.contains('\n'));
        assert!(safe.contains("\\u{1b}[2J"), "{safe}");
        assert!(safe.contains("⏎INFO job J-FAKE"), "{safe}");
        assert!(is_clean(&safe));
        assert!(!is_clean(hostile));
    }

    // C1 controls (a single-byte CSI), DEL and bidi overrides are escaped; ordinary
    // accents, CJK and emoji pass.
    #[test]
    fn other_controls() {
        let s = clean("a\u{9b}31mb\u{7f}c\u{202e}evil", MESSAGE);
        assert_eq!(s, "a\\u{9b}31mb\\u{7f}c\\u{202e}evil");
        assert_eq!(clean("Núñez 李 ✓", LABEL), "Núñez 李 ✓");
    }

    // Multi-line text keeps `\n` but never a bare `\r`.
    #[test]
    fn multiline() {
        assert_eq!(clean_multiline("a\nb\r\nc\td", 100), "a\nb\\u{d}\nc d");
    }

    // Length is bounded in characters (never splitting one), with a count of what was cut.
    #[test]
    fn bounded() {
        let s = clean(&"é".repeat(50), 10);
        assert!(s.starts_with(&"é".repeat(10)));
        assert!(s.ends_with("[40 more characters cut]"), "{s}");
        assert_eq!(clean("short", 10), "short");
    }
}
