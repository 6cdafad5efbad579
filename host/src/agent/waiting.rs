//! A new version whose self-check could not run because of the EHR (unreachable, slow,
//! session expired, a setting missing) is not held against it: the version before it
//! serves and the store says so ([`Inner::defer`]: the store is back on the previous
//! version, the new one recorded as waiting), and the check is tried again with a
//! growing wait ([`super::retry`]) until it passes ([`Inner::promote`]: the store makes
//! it current on probation and the watch pass swaps it in) or finds an adapter fault.

use super::core::Inner;
use super::events::EventKind;
use super::reload::{self, Prepared};
use super::slot::AdapterSlot;
use crate::runtime::LoadedAdapter;
use crate::store::Entry;
use std::sync::Arc;

impl Inner {
    /// The self-check of the current version could not run because of the EHR: the
    /// previous version serves until a retry passes. A first version (nothing to fall
    /// back to) serves anyway; jobs will report the EHR problem in the users' words.
    pub(super) fn defer(
        &self,
        id: &str,
        entry: &Entry,
        slot: Option<Arc<AdapterSlot>>,
        next: Arc<LoadedAdapter>,
        why: String,
    ) {
        let version = &entry.state.current;
        if entry.state.previous.is_none() {
            self.solved(id);
            if slot.is_none() {
                self.new_slot(id, next, None);
            }
            let msg = format!("serving {id} {version}; warning: {why}");
            return self.event(EventKind::Serving, Some(id), &msg);
        }
        match self.host.store.defer(id, &entry.hash, &why) {
            Ok(Some(moved)) => {
                self.retries
                    .lock()
                    .expect("retries lock")
                    .schedule(id, version, &entry.hash, &why);
                let msg = format!(
                    "not swapping in {id} {version} yet: {why}; {} serves until its self-check passes (tried again in {}s; `ehr-host list` shows {} waiting)",
                    moved.to, super::retry::FIRST.as_secs(), version
                );
                self.event(EventKind::SelfCheckDeferred, Some(id), &msg);
            }
            Ok(None) => {}
            Err(e) => self.event(
                EventKind::Error,
                Some(id),
                &format!("cannot defer {id} {version}: {e:#}"),
            ),
        }
        self.watch_now.notify_one();
    }

    /// Tries the self-check of every waiting version that is due.
    pub(super) async fn retry_due(&self) {
        let due = self.retries.lock().expect("retries lock").due();
        for (id, r) in due {
            let entry = match self.host.store.entry(&id) {
                Ok(Some(e)) if e.state.waiting.as_ref().is_some_and(|w| w.hash == r.hash) => e,
                _ => {
                    self.retries.lock().expect("retries lock").forget(&id);
                    continue;
                }
            };
            match reload::prepare(&self.host, &id, &r.version).await {
                Prepared::Ready(next) => self.promote(&id, &entry, next),
                Prepared::Retry(_, why) => {
                    self.retries
                        .lock()
                        .expect("retries lock")
                        .failed_again(&id, &why);
                    self.write_status();
                }
                Prepared::Blocked(why) => {
                    self.retries.lock().expect("retries lock").forget(&id);
                    let reason = format!("failed its self-check: {why}");
                    if let Err(e) = self
                        .host
                        .store
                        .remember_refused(&id, &r.hash, &r.version, &reason)
                    {
                        self.event(EventKind::Error, Some(&id), &format!("{e:#}"));
                    }
                    let msg = format!(
                        "{id} {} will not be served: {why}; {} keeps serving",
                        r.version, entry.state.current
                    );
                    self.event(EventKind::SelfCheckFailed, Some(&id), &msg);
                }
            }
        }
    }

    /// A waiting version passed its self-check: the store makes it current on
    /// probation, and the next watch pass swaps it in (checking it once more, so a swap
    /// always follows a self-check that just passed).
    fn promote(&self, id: &str, entry: &Entry, next: Arc<LoadedAdapter>) {
        self.retries.lock().expect("retries lock").forget(id);
        match self.host.store.promote_waiting(id, &entry.hash, &next.hash) {
            Ok(Some(_)) => {
                self.event(
                    EventKind::Info,
                    Some(id),
                    &format!(
                        "the self-check of {id} {} passed now",
                        next.manifest.version
                    ),
                );
                self.watch_now.notify_one();
            }
            Ok(None) => {}
            Err(e) => self.event(
                EventKind::Error,
                Some(id),
                &format!("cannot promote {id}: {e:#}"),
            ),
        }
    }
}
