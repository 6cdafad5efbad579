//! The secrets one loaded adapter's host holds, and their removal from any text.
//!
//! The host knows every credential value it lends an adapter: configured bearer tokens,
//! OAuth2 client secrets, database passwords (all collected when the adapter is loaded),
//! and the OAuth2 access tokens it obtains (added when obtained). An EHR that reflects a
//! request (an echo endpoint, an error page quoting the headers) hands such a value to
//! the adapter, which may put it in an error, a report or a log line. [`SecretSet::redact`]
//! replaces every occurrence with `[redacted]` before the text is stored or shown: the raw
//! value, its form-URL and JSON escapes, and its base64 encoding at any position inside a
//! larger base64 text (the password half of `Basic base64(user:password)`).
//!
//! Values shorter than [`MIN_SECRET_CHARS`] are not searched for: redacting every `abc`
//! in every report would destroy the text and protect nothing such a secret protects.
//!
//! Every string of every answer passes through here, and almost none holds a secret: one
//! pass of a multi-pattern automaton (rebuilt when the set changes) says whether any form
//! occurs, and text without one leaves untouched and uncopied.

mod encodings;
pub mod returned;

use aho_corasick::AhoCorasick;
use std::collections::VecDeque;
use std::sync::{Arc, RwLock};

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";
/// Shortest value searched for, in characters.
pub const MIN_SECRET_CHARS: usize = 4;
/// Obtained tokens remembered; older ones have long expired and leave the set.
const MAX_OBTAINED: usize = 64;

/// One secret: the forms of it to search for, longest first.
#[derive(Debug, Clone, PartialEq)]
struct Secret {
    value: String,
    patterns: Vec<String>,
}

#[derive(Default)]
struct Inner {
    configured: Vec<Secret>,
    obtained: VecDeque<Secret>,
    /// Finds whether any form of any secret occurs, in one pass; `None` when there is
    /// nothing to find.
    finder: Option<AhoCorasick>,
}

impl Inner {
    fn secrets(&self) -> impl Iterator<Item = &Secret> {
        self.configured.iter().chain(self.obtained.iter())
    }

    /// Rebuilds the finder after a change of the set.
    fn changed(&mut self) {
        let patterns: Vec<&str> = self
            .secrets()
            .flat_map(|s| s.patterns.iter().map(String::as_str))
            .collect();
        self.finder = if patterns.is_empty() {
            None
        } else {
            // Only fails past limits far beyond a few hundred short patterns; searching
            // every pattern one by one is then the (slower) answer.
            AhoCorasick::new(&patterns).ok()
        };
    }
}

/// The secrets of one loaded adapter. Cloning shares the set: credentials add the tokens
/// they obtain, and every call's log and the adapter's results are redacted with it.
#[derive(Clone, Default)]
pub struct SecretSet {
    inner: Arc<RwLock<Inner>>,
}

impl std::fmt::Debug for SecretSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.read();
        write!(
            f,
            "SecretSet({} configured, {} obtained)",
            inner.configured.len(),
            inner.obtained.len()
        )
    }
}

impl SecretSet {
    /// An empty set.
    pub fn new() -> SecretSet {
        SecretSet::default()
    }

    /// Adds a value from the operator's configuration (kept for the adapter's life).
    /// Cheap when the value is known already: credentials add theirs before every
    /// request.
    pub fn add_configured(&self, value: &str) {
        if self.read().configured.iter().any(|s| s.value == value) {
            return;
        }
        if let Some(secret) = Self::secret(value) {
            let mut inner = self.write();
            if !inner.configured.iter().any(|s| s.value == secret.value) {
                inner.configured.push(secret);
                inner.changed();
            }
        }
    }

    /// Adds a value the host obtained (an OAuth2 access token); the oldest obtained
    /// values leave the set once it holds [`MAX_OBTAINED`].
    pub fn add_obtained(&self, value: &str) {
        if self.read().obtained.iter().any(|s| s.value == value) {
            return;
        }
        if let Some(secret) = Self::secret(value) {
            let mut inner = self.write();
            if inner.obtained.iter().any(|s| s.value == secret.value) {
                return;
            }
            if inner.obtained.len() == MAX_OBTAINED {
                inner.obtained.pop_front();
            }
            inner.obtained.push_back(secret);
            inner.changed();
        }
    }

    /// True when the set holds no value.
    pub fn is_empty(&self) -> bool {
        let inner = self.read();
        inner.configured.is_empty() && inner.obtained.is_empty()
    }

    /// `text` with every known secret, in every form searched for, replaced by
    /// [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        self.replaced(text).unwrap_or_else(|| text.to_string())
    }

    /// [`SecretSet::redact`] for text the caller owns: returned as it is, without a
    /// copy, when no secret occurs in it.
    pub fn redact_owned(&self, text: String) -> String {
        self.replaced(&text).unwrap_or(text)
    }

    /// `text` with the secrets replaced, or `None` when none occurs in it.
    fn replaced(&self, text: &str) -> Option<String> {
        let inner = self.read();
        if let Some(finder) = &inner.finder {
            if !finder.is_match(text) {
                return None;
            }
        }
        let mut patterns: Vec<&str> = inner
            .secrets()
            .flat_map(|s| s.patterns.iter().map(String::as_str))
            .filter(|p| text.contains(*p))
            .collect();
        if patterns.is_empty() {
            return None;
        }
        // Longest first, so a form that contains another is replaced whole.
        patterns.sort_by_key(|p| std::cmp::Reverse(p.len()));
        let mut out = text.to_string();
        for p in patterns {
            out = out.replace(p, REDACTED);
        }
        Some(out)
    }

    fn secret(value: &str) -> Option<Secret> {
        if value.chars().count() < MIN_SECRET_CHARS {
            return None;
        }
        let mut patterns = encodings::forms(value);
        patterns.sort_by_key(|p| std::cmp::Reverse(p.len()));
        patterns.dedup();
        Some(Secret {
            value: value.to_string(),
            patterns,
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        // A panic while holding the lock leaves the data intact (plain pushes and pops).
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests;
