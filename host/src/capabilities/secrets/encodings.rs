//! The forms a secret can take in text an adapter hands back: as itself, escaped for a
//! form body or a URL, escaped inside JSON, and base64-encoded inside a larger base64 text
//! (`Authorization: Basic base64(user:password)`, a token inside an encoded blob).

use base64::Engine as _;

/// Shortest base64 fragment searched for, in characters: shorter ones would match
/// unrelated base64 text by chance.
const MIN_BASE64_CORE: usize = 8;

/// Every form of `value` worth searching for (may contain duplicates).
pub(super) fn forms(value: &str) -> Vec<String> {
    let mut out = vec![value.to_string()];
    out.push(url::form_urlencoded::byte_serialize(value.as_bytes()).collect());
    if let Ok(json) = serde_json::to_string(value) {
        out.push(json[1..json.len() - 1].to_string());
    }
    for engine in [
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        for offset in 0..3 {
            let core = base64_core(engine, value.as_bytes(), offset);
            if core.len() >= MIN_BASE64_CORE {
                out.push(core);
            }
        }
    }
    out
}

/// The base64 characters that depend on `secret` alone when it starts `offset` bytes
/// (mod 3) into the encoded data: whatever surrounds it, these characters are the same.
///
/// Base64 turns each 6 bits into one character. With `offset` bytes before the secret,
/// its bits run from `8·offset` to `8·(offset + n)`; character `i` covers bits
/// `6i .. 6i + 6`, so the characters wholly inside the secret are those from
/// `ceil(8·offset / 6)` up to (not including) `floor(8·(offset + n) / 6)`.
fn base64_core(engine: &base64::engine::GeneralPurpose, secret: &[u8], offset: usize) -> String {
    let mut data = vec![0u8; offset];
    data.extend_from_slice(secret);
    let encoded = engine.encode(&data);
    let start = (8 * offset).div_ceil(6);
    let end = (8 * (offset + secret.len())) / 6;
    encoded.get(start..end).unwrap_or("").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Whatever precedes the secret in the encoded data, one of the three cores appears in
    // the encoding: this is what finds the password half of a Basic header.
    #[test]
    fn a_core_appears_at_every_alignment() {
        let secret = "s3cr3t-token-value";
        let b64 = &base64::engine::general_purpose::STANDARD;
        for prefix in ["", "u", "us", "user:", "a-longer-user-name:"] {
            let encoded = b64.encode(format!("{prefix}{secret}"));
            assert!(
                forms(secret)
                    .iter()
                    .skip(3)
                    .any(|core| encoded.contains(core)),
                "{prefix}: {encoded}"
            );
        }
    }

    // Escaped forms are included only where they differ from the raw value.
    #[test]
    fn escapes() {
        let f = forms("a b&c\"d");
        assert!(f.contains(&"a+b%26c%22d".to_string()), "{f:?}");
        assert!(f.contains(&"a b&c\\\"d".to_string()), "{f:?}");
    }
}
