//! The practice guide's schedule-sync cases (`tests/fixtures/schedule_cases.json`, the one
//! table shared with the CrystalPM and OfficeMate seeds and the end-to-end tests), and the
//! ids each cloud dialect gives them. The sandboxes seed these patients, appointments,
//! providers and staff users beside their own data.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::Ehr;

const JSON: &str = include_str!("../../fixtures/schedule_cases.json");

/// The whole table.
#[derive(Debug, Clone, Deserialize)]
pub struct Cases {
    /// The practice time the expectations hold at, `YYYY-MM-DDTHH:MM:SS`.
    pub now: String,
    /// The date ranges (`from`, `to`) to read; together they hold every case.
    pub reads: Vec<(String, String)>,
    /// The practice's settings the expectations assume.
    pub policy: CasePolicy,
    /// The provider the EHR lists as not active.
    pub inactive_provider: Name,
    /// The practice's staff users.
    pub staff: Vec<CaseStaff>,
    /// The cases' patients.
    pub patients: Vec<CasePatient>,
    /// The cases' appointments, each with the reasons it must get.
    pub appointments: Vec<CaseAppointment>,
}

/// The schedule settings of the practice the cases assume (`[schedule]`).
#[derive(Debug, Clone, Deserialize)]
pub struct CasePolicy {
    /// Approved appointment types.
    pub approved_types: Vec<String>,
    /// Lead time, minutes.
    pub lead_minutes: u32,
    /// Whether insurance is required.
    pub require_insurance: bool,
}

/// A person's name.
#[derive(Debug, Clone, Deserialize)]
pub struct Name {
    /// Given name.
    pub first: String,
    /// Family name.
    pub last: String,
}

/// A staff user.
#[derive(Debug, Clone, Deserialize)]
pub struct CaseStaff {
    /// Number within the table.
    pub n: u32,
    /// Given name.
    pub first: String,
    /// Family name.
    pub last: String,
    /// Email, when recorded.
    pub email: Option<String>,
}

/// A patient; absent values are `None`.
#[derive(Debug, Clone, Deserialize)]
pub struct CasePatient {
    /// Number within the table.
    pub n: u32,
    /// Given name.
    pub first: String,
    /// Family name.
    pub last: String,
    /// Date of birth.
    pub dob: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Street address.
    pub street: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State.
    pub state: Option<String>,
    /// ZIP code.
    pub zip: Option<String>,
    /// Insurance carrier.
    pub carrier: Option<String>,
    /// Insurance plan.
    pub plan: Option<String>,
}

impl CasePatient {
    /// The address on one line, or `None` without a street.
    pub fn address_line(&self) -> Option<String> {
        let street = self.street.as_ref()?;
        Some(format!(
            "{street}, {}, {} {}",
            self.city.as_deref().unwrap_or(""),
            self.state.as_deref().unwrap_or(""),
            self.zip.as_deref().unwrap_or("")
        ))
    }
}

/// The role an appointment's provider plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A provider the EHR lists as active.
    Active,
    /// A provider the EHR lists as not active.
    Inactive,
    /// A provider id the EHR does not list.
    Unknown,
}

/// An appointment and what the check must say about it.
#[derive(Debug, Clone, Deserialize)]
pub struct CaseAppointment {
    /// Number within the table.
    pub n: u32,
    /// The case, in words.
    pub case: String,
    /// The patient's number.
    pub patient: u32,
    /// Start, `YYYY-MM-DDTHH:MM:SS`.
    pub start: String,
    /// Appointment type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The provider's role.
    pub provider: Role,
    /// The reason codes expected, in the order the rules give them.
    pub expect: Vec<String>,
    /// For a near miss: the approved type it resembles.
    #[serde(default)]
    pub resembles: Option<String>,
    /// For incomplete demographics: what is missing.
    #[serde(default)]
    pub missing: Option<Vec<String>>,
    /// Beyond the horizon: the day it syncs.
    #[serde(default)]
    pub syncs_on: Option<String>,
}

/// The table, parsed once.
pub fn cases() -> &'static Cases {
    static CASES: OnceLock<Cases> = OnceLock::new();
    CASES.get_or_init(|| {
        serde_json::from_str(JSON).expect("tests/fixtures/schedule_cases.json is valid")
    })
}

/// The appointment id a dialect gives case appointment `n`.
pub fn appointment_id(ehr: Ehr, n: u32) -> String {
    match ehr {
        Ehr::Revolution => format!("A{}", 9100 + n),
        Ehr::Eyefinity => format!("S-{}", 9100 + n),
    }
}

/// The patient id a dialect gives case patient `n`.
pub fn patient_id(ehr: Ehr, n: u32) -> String {
    match ehr {
        Ehr::Revolution => format!("P{}", 1400 + n),
        Ehr::Eyefinity => format!("EF-{}", 2400 + n),
    }
}

/// The provider id a dialect gives a role.
pub fn provider_id(ehr: Ehr, role: Role) -> &'static str {
    match (ehr, role) {
        (Ehr::Revolution, Role::Active) => "DR1",
        (Ehr::Revolution, Role::Inactive) => "DR3",
        (Ehr::Revolution, Role::Unknown) => "DR9",
        (Ehr::Eyefinity, Role::Active) => "OD-11",
        (Ehr::Eyefinity, Role::Inactive) => "OD-13",
        (Ehr::Eyefinity, Role::Unknown) => "OD-99",
    }
}

/// The staff user id a dialect gives staff user `n`.
pub fn staff_id(ehr: Ehr, n: u32) -> String {
    match ehr {
        Ehr::Revolution => format!("U{n}"),
        Ehr::Eyefinity => format!("USR-{n}"),
    }
}
