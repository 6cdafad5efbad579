//! The registry pass: refresh and verify every registry, install newer pinned versions
//! into the store (the watch pass swaps them in), leave a version its publisher yanked,
//! and keep the incidents: a registry unreachable or refused, the serving version yanked,
//! a pin holding an adapter back from a newer version. Each is logged once when it
//! starts and once when it ends, and listed in the status file while it lasts.

use super::core::Inner;
use super::events::{EventKind, HeldBack};
use super::incidents::Seen;
use crate::registry::client::RegistryClient;
use crate::registry::pull::{self, Indexes, Status, Updated};
use crate::registry::resolve::Candidate;
use crate::registry::RegistryRefusal;

/// How the agent's pulls name themselves in the store.
const PULL: &str = "the agent's registry pull";

impl Inner {
    /// One registry pass (see the module documentation).
    pub(super) async fn poll_pass(&self) {
        let client = match RegistryClient::new(&self.host.home) {
            Ok(c) => c,
            Err(e) => return self.problem("registry", EventKind::Error, None, format!("{e:#}")),
        };
        if client.list().map(|l| l.is_empty()).unwrap_or(true) {
            return self.observe("registry:", Vec::new());
        }
        let indexes = match pull::indexes(&client).await {
            Ok(i) => i,
            Err(e) => return self.problem("registry", EventKind::Error, None, format!("{e:#}")),
        };
        self.solved("registry");
        self.observe("registry:", registry_faults(&indexes));
        let before = pull::outdated(&self.host, &indexes).unwrap_or_default();
        self.observe("yank:", yanks(&before));
        self.pull_updates(&client, &indexes).await;
        match pull::outdated(&self.host, &indexes) {
            Ok(after) => {
                self.observe("yank:", yanks(&after));
                self.held_back(&after);
            }
            Err(e) => self.problem("registry", EventKind::Error, None, format!("{e:#}")),
        }
    }

    /// Logs the incidents in `scope` that started or ended in this pass.
    fn observe(&self, scope: &str, seen: Vec<Seen>) {
        let (started, ended) = self
            .incidents
            .lock()
            .expect("incidents lock")
            .observe(scope, seen);
        for c in started {
            self.event(c.seen.kind, c.seen.adapter.as_deref(), &c.seen.message);
        }
        for c in ended {
            let (kind, message) = &c.seen.ended;
            let message = format!("{message} (since {})", c.since);
            self.event(*kind, c.seen.adapter.as_deref(), &message);
        }
    }

    async fn pull_updates(&self, client: &RegistryClient, indexes: &Indexes) {
        let results = match pull::update(&self.host, client, indexes, None, PULL).await {
            Ok(r) => r,
            Err(e) => return self.problem("registry", EventKind::Error, None, format!("{e:#}")),
        };
        for (id, r) in results {
            let key = format!("update:{id}");
            match r {
                Ok(Updated::Installed(p)) => {
                    self.solved(&key);
                    let m = &p.package.manifest;
                    let msg = format!(
                        "pulled {id} {} from registry `{}` (signed by {}); verifying before the swap",
                        m.version, p.registry, p.package.publisher_name
                    );
                    self.event(EventKind::UpdateInstalled, Some(&id), &msg);
                }
                Ok(Updated::UpToDate(_)) => self.solved(&key),
                Ok(Updated::Skipped(v, why)) => {
                    let msg = format!("not installing {id} {v} again: {why}");
                    self.problem(&key, EventKind::UpdateRefused, Some(&id), msg);
                }
                Err(e) => {
                    let current = self
                        .slot(&id)
                        .map(|s| s.current().manifest.version.to_string());
                    let msg = format!(
                        "not updating {id}: {e:#}; still serving {}",
                        current.unwrap_or_else(|| "nothing".into())
                    );
                    self.problem(&key, EventKind::UpdateRefused, Some(&id), msg);
                }
            }
        }
    }

    /// Pins holding adapters back: in the status, and as incidents.
    fn held_back(&self, statuses: &[(Status, Option<Candidate>)]) {
        let mut seen = Vec::new();
        let mut held = self.held_back.lock().expect("held lock");
        held.clear();
        for (s, _) in statuses {
            let Some(newer) = &s.held_back else { continue };
            held.insert(
                s.id.clone(),
                HeldBack {
                    pin: s.pin.clone(),
                    newer: newer.to_string(),
                },
            );
            let allowed = s.wanted.as_ref().unwrap_or(&s.installed);
            seen.push(Seen {
                key: format!("held:{}:{newer}", s.id),
                kind: EventKind::HeldBack,
                adapter: Some(s.id.clone()),
                message: format!(
                    "your pin `{}` holds {} back from {newer} (it allows up to {allowed}); to allow {newer}: `ehr-host install {}@^{newer}`",
                    s.pin, s.id, s.id
                ),
                ended: (
                    EventKind::NoLongerHeldBack,
                    format!("no pin holds {} back from {newer} any more", s.id),
                ),
            });
        }
        drop(held);
        self.observe("held:", seen);
        self.write_status();
    }
}

/// The registries that could not be used in this pass, as incidents: one per registry
/// and kind of fault (unreachable, or each kind of refused document).
fn registry_faults(indexes: &Indexes) -> Vec<Seen> {
    let mut seen = Vec::new();
    for (name, e) in &indexes.problems {
        let (slug, what, kind) = match e.downcast_ref::<RegistryRefusal>() {
            Some(r) => {
                let (slug, what) = refused(r);
                (slug, what, EventKind::RegistryRefused)
            }
            None => ("offline", "an answer", EventKind::RegistryOffline),
        };
        let ended = if kind == EventKind::RegistryRefused {
            format!("registry `{name}` no longer serves {what}")
        } else {
            format!("registry `{name}` is reachable again")
        };
        seen.push(Seen {
            key: format!("registry:{name}:{slug}"),
            kind,
            adapter: None,
            message: format!("registry `{name}`: {e:#}"),
            ended: (EventKind::RegistryRecovered, ended),
        });
    }
    for (name, why) in &indexes.offline {
        seen.push(Seen {
            key: format!("registry:{name}:offline"),
            kind: EventKind::RegistryOffline,
            adapter: None,
            message: format!(
                "registry `{name}` unreachable ({why}); using its last verified index"
            ),
            ended: (
                EventKind::RegistryRecovered,
                format!("registry `{name}` is reachable again"),
            ),
        });
    }
    seen
}

/// A refused registry document's kind: a key part and words for its end.
fn refused(r: &RegistryRefusal) -> (&'static str, &'static str) {
    match r {
        RegistryRefusal::Rollback { .. } => ("rolled-back", "a rolled-back index"),
        RegistryRefusal::Expired { .. } => ("expired", "an expired document"),
        RegistryRefusal::VersionReused { .. } => ("reused", "a reused index version"),
        RegistryRefusal::BadSignatures { .. } => ("signatures", "badly signed documents"),
        RegistryRefusal::RootKeyMismatch(_) => ("root-key", "a root without the pinned key"),
        _ => ("refused", "documents this agent refuses"),
    }
}

/// Installed versions their publisher yanked, as incidents, with what the agent does.
fn yanks(statuses: &[(Status, Option<Candidate>)]) -> Vec<Seen> {
    let mut seen = Vec::new();
    for (s, wanted) in statuses {
        let Some(reason) = &s.yanked else { continue };
        let v = &s.installed;
        let plan = match wanted.as_ref().map(|c| &c.entry.version).filter(|w| *w != v) {
            Some(w) => format!("moving to {w}, the newest version your pin `{}` allows", s.pin),
            None => format!(
                "no other version can replace it ({}); still serving {v}: install another with `ehr-host install {}@<range>`",
                s.note.as_deref().unwrap_or("your pin allows none"),
                s.id
            ),
        };
        seen.push(Seen {
            key: format!("yank:{}:{v}", s.id),
            kind: EventKind::YankedServing,
            adapter: Some(s.id.clone()),
            message: format!(
                "{} {v}, the version installed, was yanked by its publisher: {reason}; {plan}",
                s.id
            ),
            ended: (
                EventKind::YankResolved,
                format!("{} left the yanked version {v}", s.id),
            ),
        });
    }
    seen
}
