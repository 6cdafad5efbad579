//! Incidents: a condition that lasts (a registry unreachable, an index refused, the
//! serving version yanked, a pin holding an adapter back) is logged once when it starts
//! and once when it ends, however many polls see it in between, and the same fault
//! coming back after a recovery is a new incident, logged again.
//!
//! Each pass of the agent reports everything it sees in one scope (`registry:`, `yank:`,
//! `held:`); what was open in that scope and is no longer seen has ended.

use super::events::{EventKind, OpenIncident};
use std::collections::BTreeMap;

/// One condition seen in a pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// Identifies the condition within its scope, across passes
    /// (`registry:acme:offline`). Starts with the scope.
    pub key: String,
    /// The event kind that opens it.
    pub kind: EventKind,
    /// The adapter concerned, if one.
    pub adapter: Option<String>,
    /// What it is, in words.
    pub message: String,
    /// The event that will say it ended.
    pub ended: (EventKind, String),
}

/// An incident that started or ended in a pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The condition (for an ended incident: as it was when it started).
    pub seen: Seen,
    /// When it started (RFC 3339).
    pub since: String,
}

/// The incidents open now.
#[derive(Debug, Default)]
pub struct Incidents {
    open: BTreeMap<String, Change>,
}

impl Incidents {
    /// Takes what one pass saw in `scope`; returns the incidents that started and those
    /// that ended.
    pub fn observe(&mut self, scope: &str, seen: Vec<Seen>) -> (Vec<Change>, Vec<Change>) {
        let keys: Vec<String> = seen.iter().map(|s| s.key.clone()).collect();
        let ended_keys: Vec<String> = self
            .open
            .keys()
            .filter(|k| k.starts_with(scope) && !keys.contains(k))
            .cloned()
            .collect();
        let ended = ended_keys
            .iter()
            .filter_map(|k| self.open.remove(k))
            .collect();
        let mut started = Vec::new();
        for s in seen {
            if !self.open.contains_key(&s.key) {
                let change = Change {
                    seen: s,
                    since: crate::clock::now_rfc3339(),
                };
                self.open.insert(change.seen.key.clone(), change.clone());
                started.push(change);
            }
        }
        (started, ended)
    }

    /// The open incidents, for the status file.
    pub fn open(&self) -> Vec<OpenIncident> {
        self.open
            .values()
            .map(|c| OpenIncident {
                kind: c.seen.kind,
                since: c.since.clone(),
                message: c.seen.message.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(key: &str) -> Seen {
        Seen {
            key: key.into(),
            kind: EventKind::RegistryOffline,
            adapter: None,
            message: format!("{key} is down"),
            ended: (EventKind::RegistryRecovered, format!("{key} is up")),
        }
    }

    // The same fault seen by three passes opens once; a pass without it closes it; the
    // fault coming back opens a second incident. Other scopes are left alone.
    #[test]
    fn opens_and_closes_once_per_incident() {
        let mut i = Incidents::default();
        let (s, e) = i.observe("registry:", vec![seen("registry:a:offline")]);
        assert_eq!((s.len(), e.len()), (1, 0));
        i.observe("yank:", vec![seen("yank:x:1.0.0")]);
        for _ in 0..2 {
            let (s, e) = i.observe("registry:", vec![seen("registry:a:offline")]);
            assert!(s.is_empty() && e.is_empty());
        }
        let (s, e) = i.observe("registry:", vec![]);
        assert_eq!((s.len(), e.len()), (0, 1));
        assert_eq!(e[0].seen.key, "registry:a:offline");
        let (s, _) = i.observe("registry:", vec![seen("registry:a:offline")]);
        assert_eq!(
            s.len(),
            1,
            "the same fault after a recovery is a new incident"
        );
        assert_eq!(i.open().len(), 2, "the yank in its own scope is still open");
    }
}
