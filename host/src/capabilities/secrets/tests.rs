use super::*;
use base64::Engine as _;

// Every occurrence of a configured value goes, in the raw, URL-encoded, JSON-escaped and
// Basic-header forms; text around it stays.
#[test]
fn redacts_every_form() {
    let set = SecretSet::new();
    set.add_configured("sandbox-s3cret+token/x");
    let basic = base64::engine::general_purpose::STANDARD.encode("ehr-host:sandbox-s3cret+token/x");
    let text = format!(
        "a sandbox-s3cret+token/x b sandbox-s3cret%2Btoken%2Fx c Basic {basic} d sandbox-s3cret+token/x"
    );
    let out = set.redact(&text);
    assert!(!out.contains("s3cret"), "{out}");
    assert!(
        out.starts_with("a [redacted] b [redacted] c Basic "),
        "{out}"
    );
    assert!(out.ends_with(" d [redacted]"), "{out}");
    assert!(!out.contains(&basic), "{out}");
}

// Obtained tokens are redacted too, the newest MAX_OBTAINED of them; configured values
// never leave the set.
#[test]
fn obtained_tokens_are_bounded() {
    let set = SecretSet::new();
    set.add_configured("configured-secret");
    for i in 0..MAX_OBTAINED + 5 {
        set.add_obtained(&format!("access-token-{i:04}"));
    }
    assert_eq!(set.redact("access-token-0000"), "access-token-0000");
    assert_eq!(
        set.redact(&format!("access-token-{:04}", MAX_OBTAINED + 4)),
        REDACTED
    );
    assert_eq!(set.redact("configured-secret"), REDACTED);
}

// Values too short to search for are left alone, and an empty set changes nothing.
#[test]
fn short_values_and_empty_sets() {
    let set = SecretSet::new();
    assert!(set.is_empty());
    set.add_configured("abc");
    assert!(set.is_empty());
    assert_eq!(set.redact("abc abc"), "abc abc");
    set.add_configured("abcd");
    assert_eq!(set.redact("xabcdx"), "x[redacted]x");
}

// A clone shares the set: a token added through one is redacted through the other.
#[test]
fn clones_share() {
    let set = SecretSet::new();
    let other = set.clone();
    other.add_obtained("rev_0123456789abcdef");
    assert_eq!(
        set.redact("Bearer rev_0123456789abcdef"),
        "Bearer [redacted]"
    );
}

// Text without a secret comes back as it went in, not copied (every string of every
// answer passes through); text with one is still found and redacted, in any form.
#[test]
fn text_without_secrets_is_not_copied() {
    let set = SecretSet::new();
    set.add_configured("sandbox-token");
    let text = String::from("nothing to hide in this field note");
    let at = text.as_ptr();
    let out = set.redact_owned(text);
    assert_eq!(out.as_ptr(), at, "the same allocation comes back");
    assert_eq!(
        set.redact_owned("Bearer sandbox-token".into()),
        "Bearer [redacted]"
    );
    assert_eq!(
        set.redact_owned("a=sandbox-token&b".into()),
        "a=[redacted]&b"
    );
    let empty = SecretSet::new();
    let text = String::from("an empty set finds nothing");
    let at = text.as_ptr();
    let out = empty.redact_owned(text);
    assert_eq!(out.as_ptr(), at);
}
