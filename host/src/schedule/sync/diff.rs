//! The change set of one sync pass: what the EHR says now against the last state sent,
//! as new, rescheduled, cancelled, verdict changed or updated — each change once. Pure:
//! the caller numbers the changes and stores the new state.

use super::model::{ChangeKind, SyncedAppointment};
use std::collections::BTreeMap;

/// One change before it is numbered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// What happened.
    pub kind: ChangeKind,
    /// The appointment's id.
    pub appointment_id: String,
    /// The appointment now (absent for a cancellation).
    pub appointment: Option<SyncedAppointment>,
}

/// True when the EHR calls the appointment cancelled.
pub fn is_cancelled(status: &str) -> bool {
    status.to_ascii_lowercase().contains("cancel")
}

/// The changes from `sent` (the last state sent, by id) to `now` (this read, over days
/// from `from_date`, `YYYY-MM-DD`). An appointment gone from the read is cancelled,
/// unless it started before `from_date` (it left the window by age: forgotten, not
/// cancelled). A cancelled appointment never sent is not sent.
pub fn changes(
    sent: &BTreeMap<String, SyncedAppointment>,
    now: &[SyncedAppointment],
    from_date: &str,
) -> Vec<Pending> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for a in now {
        if !seen.insert(a.id.as_str()) {
            continue; // the EHR listed it twice: one change
        }
        let cancelled = is_cancelled(&a.status);
        let kind = match (sent.get(&a.id), cancelled) {
            (None, true) => None,
            (None, false) => Some(ChangeKind::New),
            (Some(_), true) => Some(ChangeKind::Cancelled),
            (Some(before), false) if a.moved_from(before) => Some(ChangeKind::Rescheduled),
            (Some(before), false) if a.verdict_differs(before) => Some(ChangeKind::VerdictChanged),
            (Some(before), false) if a != before => Some(ChangeKind::Updated),
            (Some(_), false) => None,
        };
        if let Some(kind) = kind {
            out.push(Pending {
                kind,
                appointment_id: a.id.clone(),
                appointment: (kind != ChangeKind::Cancelled).then(|| a.clone()),
            });
        }
    }
    for (id, before) in sent {
        if !seen.contains(id.as_str()) && !left_by_age(before, from_date) {
            out.push(Pending {
                kind: ChangeKind::Cancelled,
                appointment_id: id.clone(),
                appointment: None,
            });
        }
    }
    out
}

/// Whether an appointment missing from a read started before the read's first day.
pub fn left_by_age(a: &SyncedAppointment, from_date: &str) -> bool {
    a.start.get(..10).is_some_and(|day| day < from_date)
}

/// The state after `changes` are applied to `sent`, given the read `now` and `from_date`
/// (appointments that left the window by age are dropped too).
pub fn next_state(
    sent: &BTreeMap<String, SyncedAppointment>,
    changes: &[Pending],
    from_date: &str,
) -> BTreeMap<String, SyncedAppointment> {
    let mut state: BTreeMap<String, SyncedAppointment> = sent
        .iter()
        .filter(|(_, a)| !left_by_age(a, from_date))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for c in changes {
        match &c.appointment {
            Some(a) => {
                state.insert(c.appointment_id.clone(), a.clone());
            }
            None => {
                state.remove(&c.appointment_id);
            }
        }
    }
    state
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
