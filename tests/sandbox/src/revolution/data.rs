//! The RevolutionEHR-style records the sandbox serves, and what has been written to them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::state::EncounterState;

/// A patient as `GET /api/v1/patients/{id}` returns it. Absent values are `null`, never
/// left out, as the real API does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Patient {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<Address>,
    /// The primary insurance on file, or `null`.
    pub insurance: Option<Insurance>,
}

/// An insurance policy on file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Insurance {
    pub payer: String,
    pub plan: Option<String>,
}

/// A provider as `GET /api/v1/providers` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Provider {
    pub name: String,
    /// False for a provider no longer bookable (kept for history).
    pub active: bool,
}

/// A staff user as `GET /api/v1/users` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StaffUser {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub role: String,
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub state: String,
    pub postal_code: String,
}

/// Whether an encounter can still be written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum EncounterStatus {
    Open,
    Signed,
}

/// An encounter as `GET /api/v1/encounters/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Encounter {
    pub id: String,
    pub patient_id: String,
    pub date: String,
    pub provider_id: String,
    pub template_id: String,
    pub status: EncounterStatus,
}

/// An exam template: the EHR field names an encounter using it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    pub id: String,
    pub name: String,
    /// Canonical field names; the `TemplateChanged` fault renames some on the way out.
    pub fields: Vec<&'static str>,
}

/// A scheduled visit. The patient is joined in when answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Appointment {
    pub id: String,
    pub start: String,
    pub duration_minutes: u32,
    pub kind: String,
    pub provider_id: String,
    pub status: String,
    pub encounter_id: Option<String>,
    pub patient_id: String,
}

/// Everything the RevolutionEHR dialect holds. Replaced wholesale by a reset.
#[derive(Debug, Clone)]
pub(crate) struct RevolutionData {
    pub patients: BTreeMap<String, Patient>,
    pub encounters: BTreeMap<String, Encounter>,
    pub templates: BTreeMap<String, Template>,
    /// Provider id → name and active flag. Appointments may name providers missing here.
    pub providers: BTreeMap<String, Provider>,
    /// The practice's staff users.
    pub staff: Vec<StaffUser>,
    pub appointments: Vec<Appointment>,
    /// What has been written, per encounter id; every seeded encounter has an entry.
    pub records: BTreeMap<String, EncounterState>,
    pub next_note_id: u32,
}

impl RevolutionData {
    /// The per-encounter part of [`State`](crate::State).
    pub fn snapshot(&self) -> BTreeMap<String, EncounterState> {
        self.records.clone()
    }

    /// Marks encounter `id` signed; `false` when there is no such encounter.
    pub fn sign(&mut self, id: &str) -> bool {
        match self.encounters.get_mut(id) {
            Some(e) => {
                e.status = EncounterStatus::Signed;
                true
            }
            None => false,
        }
    }
}
