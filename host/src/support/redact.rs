//! Redaction for the support bundle: every value under a key that names a secret is
//! replaced, passwords in URLs are removed, and at the end every secret value collected
//! on the way (and in the home's secret files and the environment variables the
//! configuration names) is searched for in the bundle text and replaced. A bundle is sent
//! to people outside the practice: nothing that opens an EHR may be in it.

use serde_json::Value;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Parts of key names that hold secrets (`client_secret`, `token`, `password`...).
const SECRET_WORDS: [&str; 9] = [
    "secret",
    "token",
    "password",
    "passwd",
    "pwd",
    "key",
    "credential",
    "auth",
    "private",
];

/// Secrets seen while redacting, to search the finished bundle for.
#[derive(Debug, Default)]
pub struct Secrets {
    values: Vec<String>,
}

impl Secrets {
    /// Remembers `value` as a secret (short values are too common to search for).
    pub fn add(&mut self, value: &str) {
        let v = value.trim();
        if v.len() >= 4 && !self.values.iter().any(|s| s == v) {
            self.values.push(v.to_string());
        }
    }

    /// `text` with every remembered secret replaced, longest first (so a secret that
    /// contains another is replaced whole).
    pub fn scrub(&self, text: &str) -> String {
        let mut values = self.values.clone();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values
            .iter()
            .fold(text.to_string(), |t, v| t.replace(v.as_str(), REDACTED))
    }
}

fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    // `token_env` names a variable, not a secret: its value is kept, the variable's
    // content is collected as a secret by the caller.
    !k.ends_with("_env") && SECRET_WORDS.iter().any(|w| k.contains(w))
}

/// `v` with secrets replaced (a value under a secret-named key; a table under one, such
/// as `credentials`, is searched key by key so its origin stays readable); what was
/// replaced goes to `secrets`; the environment
/// variables named by `*_env` keys are read and their values remembered too.
pub fn redact(v: Value, secrets: &mut Secrets) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    if k.to_ascii_lowercase().ends_with("_env") {
                        if let Some(val) = v.as_str().and_then(|n| std::env::var(n).ok()) {
                            secrets.add(&val);
                        }
                        (k, v)
                    } else if is_secret_key(&k) && !(v.is_object() || v.is_array()) {
                        collect(&v, secrets);
                        (k, Value::String(REDACTED.into()))
                    } else {
                        (k, redact(v, secrets))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| redact(v, secrets)).collect())
        }
        Value::String(s) => Value::String(url_password(&s, secrets)),
        other => other,
    }
}

fn collect(v: &Value, secrets: &mut Secrets) {
    match v {
        Value::String(s) => secrets.add(s),
        Value::Array(a) => a.iter().for_each(|v| collect(v, secrets)),
        Value::Object(m) => m.values().for_each(|v| collect(v, secrets)),
        Value::Number(n) => secrets.add(&n.to_string()),
        _ => {}
    }
}

/// A URL with a password (`mysql://user:pw@host/db`) loses the password.
fn url_password(s: &str, secrets: &mut Secrets) -> String {
    match url::Url::parse(s) {
        Ok(mut u) if u.password().is_some() => {
            if let Some(p) = u.password() {
                secrets.add(p);
            }
            let _ = u.set_password(Some(REDACTED));
            u.to_string()
        }
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Secret keys, URL passwords and environment-held secrets are all gone.
    #[test]
    fn secrets_are_replaced_and_remembered() {
        std::env::set_var("SUPPORT_TEST_SECRET", "from-the-environment");
        let mut s = Secrets::default();
        let v = redact(
            json!({
                "adapters": {"x": {"credentials": [{"kind": "oauth2", "client_secret": "s3cret-value",
                    "client_secret_env": "SUPPORT_TEST_SECRET", "client_id": "ehr-host"}],
                    "settings": {"url": "mysql://scribe:db-pass-123@10.0.0.5/ehr", "api_key": "k-999"}}}
            }),
            &mut s,
        );
        let text = v.to_string();
        for secret in ["s3cret-value", "db-pass-123", "k-999"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("ehr-host") && text.contains("SUPPORT_TEST_SECRET"));
        let scrubbed = s.scrub("log: from-the-environment and s3cret-value");
        assert_eq!(scrubbed, "log: [redacted] and [redacted]");
    }
}
