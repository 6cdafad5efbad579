//! The Eyefinity-style records the sandbox serves, and what has been written to them.

use std::collections::BTreeMap;

use crate::state::EncounterState;

/// A patient as the EHR holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Patient {
    pub id: String,
    pub given: String,
    pub family: String,
    pub birth_date: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// One line, as the EHR stores it.
    pub address: Option<String>,
    /// Insurance coverage on file, primary (priority 1) first; empty when none.
    pub coverage: Vec<Coverage>,
}

/// One insurance coverage of a patient.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Coverage {
    pub priority: u32,
    pub carrier: String,
    pub plan: Option<String>,
}

/// A provider, with whether it can still be booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Provider {
    pub name: String,
    pub active: bool,
}

/// A staff user of the practice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StaffUser {
    pub id: String,
    pub display_name: String,
    pub email: Option<String>,
}

/// A visit: the encounter a document belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Visit {
    pub id: String,
    pub patient_id: String,
    pub date: String,
    pub provider_id: String,
    /// The exam form version the visit's document follows.
    pub form_version: String,
    /// Finalized visits are locked: their document cannot change.
    pub locked: bool,
}

/// An exam form version: the element ids a document may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Form {
    pub version: String,
    pub title: String,
    /// Canonical element ids; the `TemplateChanged` fault renames some on the way out.
    pub elements: Vec<&'static str>,
}

/// A schedule slot. The patient is joined in when answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Slot {
    pub id: String,
    pub date: String,
    /// `HH:MM`.
    pub time: String,
    pub minutes: u32,
    pub reason: String,
    pub provider_id: String,
    pub state: String,
    pub visit_id: Option<String>,
    pub patient_id: String,
}

/// Everything the Eyefinity dialect holds. Replaced wholesale by a reset.
#[derive(Debug, Clone)]
pub(crate) struct EyefinityData {
    pub patients: BTreeMap<String, Patient>,
    pub visits: BTreeMap<String, Visit>,
    pub forms: BTreeMap<String, Form>,
    /// Provider id → name and whether it can be booked.
    pub providers: BTreeMap<String, Provider>,
    /// The practice's staff users.
    pub staff: Vec<StaffUser>,
    pub slots: Vec<Slot>,
    /// What has been written, per visit id; every seeded visit has an entry.
    pub records: BTreeMap<String, EncounterState>,
}

impl EyefinityData {
    /// The per-visit part of [`State`](crate::State).
    pub fn snapshot(&self) -> BTreeMap<String, EncounterState> {
        self.records.clone()
    }

    /// Finalizes (locks) visit `id`; `false` when there is no such visit.
    pub fn lock(&mut self, id: &str) -> bool {
        match self.visits.get_mut(id) {
            Some(v) => {
                v.locked = true;
                true
            }
            None => false,
        }
    }
}
