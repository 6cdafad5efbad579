//! Why an appointment does not sync (or syncs with a caveat): one typed reason per rule
//! of the practice guide "Why didn't my appointment sync?", each with a stable machine
//! code and the guide's plain-language advice.

use serde::{Deserialize, Serialize};

/// Whether a reason keeps the appointment from syncing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The appointment does not sync until this is fixed.
    Blocks,
    /// The appointment syncs, with this caveat.
    Note,
}

/// One reason, with what the rule found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    /// The appointment type is not one the practice approved (exact match).
    TypeNotApproved {
        /// The type on the appointment.
        appointment_type: String,
        /// The approved type it resembles (case, spacing or a small misspelling).
        resembles: Option<String>,
    },
    /// The patient has no email.
    NoEmail,
    /// The patient's email is not a valid address.
    InvalidEmail {
        /// The address.
        email: String,
    },
    /// Another patient has the same email.
    EmailShared {
        /// The other patients' ids.
        other_patients: Vec<String>,
    },
    /// The email belongs to a practice staff user.
    StaffEmail,
    /// Demographics the integration needs are missing.
    DemographicsIncomplete {
        /// What is missing (`first name`, `date of birth`, `address`, `insurance`, ...).
        missing: Vec<String>,
    },
    /// The appointment is in the past.
    InThePast,
    /// The appointment starts too soon for the sync to process it.
    TooClose {
        /// The practice's lead time, minutes.
        lead_minutes: u32,
    },
    /// The provider is not known to the integration or not enabled: it syncs, but is not
    /// linked to the right user.
    ProviderNotEnabled {
        /// The provider id (or `none`).
        provider: String,
    },
    /// More than three months out: it syncs once it falls inside the window.
    BeyondHorizon {
        /// The day it comes inside the window (`YYYY-MM-DD`).
        syncs_on: String,
    },
    /// More than seven business days out: it may take 24 hours to sync.
    BeyondSevenBusinessDays,
}

impl Reason {
    /// Every reason's machine code, so a count by reason can say zero for the absent ones.
    pub const CODES: [&'static str; 11] = [
        "type_not_approved",
        "no_email",
        "invalid_email",
        "email_shared",
        "staff_email",
        "demographics_incomplete",
        "in_the_past",
        "too_close",
        "provider_not_enabled",
        "beyond_horizon",
        "beyond_seven_business_days",
    ];

    /// Whether the appointment still syncs.
    pub fn effect(&self) -> Effect {
        match self {
            Reason::ProviderNotEnabled { .. } | Reason::BeyondSevenBusinessDays => Effect::Note,
            _ => Effect::Blocks,
        }
    }

    /// The stable machine code (`type_not_approved`).
    pub fn code(&self) -> &'static str {
        match self {
            Reason::TypeNotApproved { .. } => "type_not_approved",
            Reason::NoEmail => "no_email",
            Reason::InvalidEmail { .. } => "invalid_email",
            Reason::EmailShared { .. } => "email_shared",
            Reason::StaffEmail => "staff_email",
            Reason::DemographicsIncomplete { .. } => "demographics_incomplete",
            Reason::InThePast => "in_the_past",
            Reason::TooClose { .. } => "too_close",
            Reason::ProviderNotEnabled { .. } => "provider_not_enabled",
            Reason::BeyondHorizon { .. } => "beyond_horizon",
            Reason::BeyondSevenBusinessDays => "beyond_seven_business_days",
        }
    }

    /// What to do, in the words of the practice guide.
    pub fn advice(&self) -> String {
        let clean = |s: &str| crate::untrusted::clean(s, crate::untrusted::LABEL);
        match self {
            Reason::TypeNotApproved { appointment_type, resembles } => {
                let near = resembles
                    .as_deref()
                    .map(|r| format!(" It looks like the approved type \"{}\": check its spelling.", clean(r)))
                    .unwrap_or_default();
                format!(
                    "The appointment type \"{}\" is not an approved appointment type. The type must exactly match the setup instructions.{near}",
                    clean(appointment_type)
                )
            }
            Reason::NoEmail => "The patient's record has no email address. Patients log into their visit with it: add a unique, valid email to the patient's record.".into(),
            Reason::InvalidEmail { email } => format!(
                "The patient's email \"{}\" is not a valid address: correct it on the patient's record.",
                clean(email)
            ),
            Reason::EmailShared { other_patients } => format!(
                "The patient's email is also on another patient's record ({}). Each patient needs a unique email: replace it on one of the records.",
                other_patients.iter().map(|p| clean(p)).collect::<Vec<_>>().join(", ")
            ),
            Reason::StaffEmail => "The patient's email is in use by a practice staff user (a test visit?). Replace the email on the patient record and try the appointment again.".into(),
            Reason::DemographicsIncomplete { missing } => format!(
                "The patient's demographics are incomplete: {} missing. Complete the patient's record.",
                missing.join(", ")
            ),
            Reason::InThePast => "The appointment is in the past.".into(),
            Reason::TooClose { lead_minutes } => format!(
                "The appointment starts in less than {lead_minutes} minutes, too close for the sync to process it. Keep a buffer when scheduling."
            ),
            Reason::ProviderNotEnabled { provider } => format!(
                "The provider ({}) is not enabled for the service: the appointment syncs but will not link to the right user and may not show up.",
                clean(provider)
            ),
            Reason::BeyondHorizon { syncs_on } => format!(
                "The appointment is more than 3 months out: it syncs once it falls inside 3 months, on {syncs_on}."
            ),
            Reason::BeyondSevenBusinessDays => "The appointment is more than 7 business days out: it may take at least 24 hours to sync.".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Reason;

    // CODES lists every variant's code, once.
    #[test]
    fn codes_are_complete() {
        let all = [
            Reason::TypeNotApproved {
                appointment_type: "x".into(),
                resembles: None,
            },
            Reason::NoEmail,
            Reason::InvalidEmail { email: "x".into() },
            Reason::EmailShared {
                other_patients: vec![],
            },
            Reason::StaffEmail,
            Reason::DemographicsIncomplete { missing: vec![] },
            Reason::InThePast,
            Reason::TooClose { lead_minutes: 30 },
            Reason::ProviderNotEnabled {
                provider: "p".into(),
            },
            Reason::BeyondHorizon {
                syncs_on: "2027-03-01".into(),
            },
            Reason::BeyondSevenBusinessDays,
        ];
        let codes: Vec<&str> = all.iter().map(Reason::code).collect();
        assert_eq!(codes, Reason::CODES);
    }
}
