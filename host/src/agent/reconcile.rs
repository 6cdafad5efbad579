//! Making each slot serve what the store says, one step at a time:
//!
//! 1. [`Inner::reconcile`] reads the entry and prepares its current version
//!    ([`reload::prepare`]);
//! 2. a version that passed is served ([`Inner::serve`]), on probation when the store
//!    says so, with the previous version as fallback (an agent restarted during a
//!    probation resumes it with the errors counted so far);
//! 3. a version whose self-check could not run because of the EHR waits behind the
//!    previous one ([`Inner::defer`]) and is tried again ([`Inner::retry_due`]);
//! 4. a broken version is never served: the store goes back to the previous version and
//!    remembers why ([`Inner::block`]).

use super::core::Inner;
use super::events::EventKind;
use super::reload::{self, Prepared};
use super::slot::{AdapterSlot, OnProbation};
use super::watch::StoreWatcher;
use super::RolledBack;
use crate::package::trust::KeyStatus;
use crate::runtime::LoadedAdapter;
use crate::store::Entry;
use std::sync::Arc;

impl Inner {
    /// One store pass: revoked publishers, removed adapters, changed entries, due
    /// self-check retries.
    pub(super) async fn watch_pass(&self, watcher: &mut StoreWatcher) {
        self.drop_revoked();
        let changes = watcher.poll();
        for id in changes.removed {
            self.retries.lock().expect("retries lock").forget(&id);
            if self.set_slot(&id, None).is_some() {
                let msg = format!("{id} was removed from the store; no longer serving it");
                self.event(EventKind::Removed, Some(&id), &msg);
            }
        }
        for id in changes.changed {
            self.reconcile(&id).await;
        }
        self.retry_due().await;
    }

    /// Takes adapters whose publisher key was revoked (or is no longer trusted) out of
    /// service at once: revocation applies to running adapters too.
    fn drop_revoked(&self) {
        let Ok(trust) = self.host.trust() else {
            return;
        };
        let slots: Vec<(String, Arc<AdapterSlot>)> = self
            .slots
            .read()
            .expect("slots lock")
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (id, slot) in slots {
            let a = slot.current();
            let why = match a.publisher.as_ref().map(|k| trust.status(k)) {
                Some(KeyStatus::Trusted(_)) => continue,
                Some(KeyStatus::Revoked(r)) => format!("was revoked ({r})"),
                _ => "is no longer trusted".to_string(),
            };
            self.set_slot(&id, None);
            let key = a.publisher.map(|k| k.short()).unwrap_or_default();
            let msg = format!(
                "stopped serving {id} {}: its publisher key {key} {why}",
                a.manifest.version
            );
            self.event(EventKind::Removed, Some(&id), &msg);
        }
    }

    /// Makes the slot of `id` serve what the store says is current, if it passes its
    /// self-check.
    pub(super) async fn reconcile(&self, id: &str) {
        let entry = match self.host.store.entry(id) {
            Ok(Some(e)) => e,
            Ok(None) => return,
            Err(e) => {
                let msg = format!("cannot read {id} from the store: {e:#}");
                return self.problem(id, EventKind::Error, Some(id), msg);
            }
        };
        if let Some(w) = &entry.state.waiting {
            self.retries
                .lock()
                .expect("retries lock")
                .schedule(id, &w.version, &w.hash, &w.reason);
        }
        let slot = self.slot(id);
        if slot
            .as_ref()
            .is_some_and(|s| s.current().hash == entry.hash)
        {
            return self.write_status();
        }
        let version = entry.state.current.clone();
        if let Some(r) = entry.state.rolled_back(&entry.hash) {
            let msg = format!(
                "not serving {id} {version}: it was rolled back from ({})",
                r.reason
            );
            return self.problem(id, EventKind::SelfCheckFailed, Some(id), msg);
        }
        let probation = entry
            .state
            .probation
            .as_ref()
            .filter(|p| p.hash == entry.hash);
        if probation.is_some_and(|p| p.errors >= self.options.probation.max_errors) {
            let why = format!(
                "{} adapter errors were counted in its probation before the agent stopped",
                probation.map_or(0, |p| p.errors)
            );
            return self.block(id, &entry, slot, why);
        }
        match reload::prepare(&self.host, id, &version).await {
            Prepared::Ready(next) if next.hash == entry.hash => self.serve(id, &entry, slot, next),
            Prepared::Retry(next, why) if next.hash == entry.hash => {
                self.defer(id, &entry, slot, next, why)
            }
            // A load that failed because the store changed meanwhile is no verdict.
            Prepared::Blocked(why) if self.still_current(id, &entry) => {
                self.block(id, &entry, slot, why)
            }
            // The store changed again while this version was prepared; the next pass
            // takes the newer state.
            _ => self.watch_now.notify_one(),
        }
    }

    /// Serves `next`, the store's current version of `id`, on probation when the store
    /// says so.
    fn serve(
        &self,
        id: &str,
        entry: &Entry,
        slot: Option<Arc<AdapterSlot>>,
        next: Arc<LoadedAdapter>,
    ) {
        self.solved(id);
        let probation = entry
            .state
            .probation
            .as_ref()
            .filter(|p| p.hash == entry.hash)
            .map(|p| OnProbation {
                fallback: self.fallback(id, entry, slot.as_ref()),
                errors: p.errors,
            });
        let watch = probation
            .as_ref()
            .map(|p| self.probation_words(p))
            .unwrap_or_default();
        let version = next.manifest.version.clone();
        let Some(slot) = slot else {
            let resumed = probation.as_ref().is_some_and(|p| p.errors > 0);
            self.new_slot(id, next, probation);
            let how = if resumed { " (probation resumed)" } else { "" };
            let msg = format!("serving {id} {version}{how}{watch}");
            return self.event(EventKind::Serving, Some(id), &msg);
        };
        let still_wanted = || self.still_current(id, entry);
        let Some(old) = slot.swap_if(next, probation, still_wanted) else {
            return self.watch_now.notify_one();
        };
        let was = &old.manifest.version;
        let msg = format!(
            "now serving {id} {version} (was {was}); calls in flight finish on {was}{watch}"
        );
        self.event(EventKind::Swapped, Some(id), &msg);
        // The operator rolled back from what served: the job loop may give jobs back.
        if let Some(r) = entry.state.rolled_back(&old.hash) {
            self.announce_rollback(RolledBack {
                id: id.to_string(),
                from_version: r.version.clone(),
                from_hash: r.hash.clone(),
                to_version: version,
                at_ms: r.at_ms,
            });
        }
    }

    /// True when the store still holds `entry` as it was read: same current package, no
    /// change of version since, and not rolled back from meanwhile.
    fn still_current(&self, id: &str, entry: &Entry) -> bool {
        self.host.store.entry(id).ok().flatten().is_some_and(|e| {
            e.hash == entry.hash
                && e.state.generation == entry.state.generation
                && e.state.rolled_back(&e.hash).is_none()
        })
    }

    /// The version a probation falls back to: the store's previous version, taken from
    /// the slot when it serves it, else loaded.
    fn fallback(
        &self,
        id: &str,
        entry: &Entry,
        slot: Option<&Arc<AdapterSlot>>,
    ) -> Option<Arc<LoadedAdapter>> {
        let previous = entry.state.previous.as_ref()?;
        if let Some(current) = slot
            .map(|s| s.current())
            .filter(|c| &c.manifest.version == previous)
        {
            return Some(current);
        }
        match self.host.load_version(id, previous) {
            Ok(a) => Some(Arc::new(a)),
            Err(e) => {
                let msg = format!("{id} {previous} cannot serve as the fallback of the version on probation: {e:#}");
                self.event(EventKind::Error, Some(id), &msg);
                None
            }
        }
    }

    fn probation_words(&self, p: &OnProbation) -> String {
        let policy = self.options.probation;
        let back = match &p.fallback {
            Some(f) => format!("rolled back to {}", f.manifest.version),
            None => "taken out of service".to_string(),
        };
        format!(
            "; on probation: {} adapter errors in its first {} calls and it is {back} ({} so far)",
            policy.max_errors, policy.window, p.errors
        )
    }

    /// The one place a slot is created.
    pub(super) fn new_slot(
        &self,
        id: &str,
        adapter: Arc<LoadedAdapter>,
        probation: Option<OnProbation>,
    ) {
        let slot = AdapterSlot::new(
            adapter,
            probation,
            self.options.probation,
            self.slot_tx.clone(),
            self.host.store.clone(),
        );
        self.set_slot(id, Some(Arc::new(slot)));
    }

    /// The current version of `id` is broken: the store goes back to the previous
    /// version and remembers why (the agent serves it on the next pass), or, with nothing
    /// to go back to, nothing serves.
    fn block(&self, id: &str, entry: &Entry, slot: Option<Arc<AdapterSlot>>, why: String) {
        let version = &entry.state.current;
        let serving = slot.map(|s| s.current().manifest.version.to_string());
        if entry.state.previous.is_none() {
            let msg = format!("cannot serve {id} {version}: {why}");
            return self.problem(id, EventKind::SelfCheckFailed, Some(id), msg);
        }
        let reason = format!("failed its self-check: {why}");
        match self
            .host
            .store
            .roll_back_from(id, &entry.hash, version, &reason)
        {
            Ok(Some(moved)) => {
                let still = serving
                    .map(|v| format!("; still serving {v}"))
                    .unwrap_or_default();
                let msg = format!("refused to swap in {id} {version}: {why}{still}");
                self.event(EventKind::SelfCheckFailed, Some(id), &msg);
                let msg = format!(
                    "store: {id} is back on {} (`ehr-host list` shows it); {version} is remembered as rolled back from and not installed again unless asked with --retry-rolled-back",
                    moved.to
                );
                self.event(EventKind::StoreRolledBack, Some(id), &msg);
            }
            Ok(None) => {}
            Err(e) => self.event(
                EventKind::Error,
                Some(id),
                &format!("store rollback of {id} failed: {e:#}"),
            ),
        }
        self.watch_now.notify_one();
    }
}
