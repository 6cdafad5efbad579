//! The fixed data a sandbox starts with and returns to on reset.
//!
//! The patients cover the awkward cases an adapter must survive: no email, no birth
//! date or address, a shared family email, and a non-ASCII name the EHR's legacy
//! database could not store if it were written back.

use std::collections::BTreeMap;

use super::data::{
    Address, Appointment, Encounter, EncounterStatus, Insurance, Patient, Provider, RevolutionData,
    Template,
};
use super::sections;
use crate::state::EncounterState;

impl RevolutionData {
    /// A fresh copy of the seed data.
    pub fn seed() -> RevolutionData {
        let patients = patients().into_iter().map(|p| (p.id.clone(), p)).collect();
        let encounters: BTreeMap<String, Encounter> = encounters()
            .into_iter()
            .map(|e| (e.id.clone(), e))
            .collect();
        let records = encounters
            .keys()
            .map(|id| (id.clone(), EncounterState::default()))
            .collect();
        let mut data = RevolutionData {
            patients,
            encounters,
            templates: templates().into_iter().map(|t| (t.id.clone(), t)).collect(),
            providers: [("DR1", "Dr. Rivera"), ("DR2", "Dr. Chen")]
                .into_iter()
                .map(|(id, name)| {
                    let p = Provider {
                        name: name.to_string(),
                        active: true,
                    };
                    (id.to_string(), p)
                })
                .collect(),
            staff: Vec::new(),
            appointments: appointments(),
            records,
            next_note_id: 9001,
        };
        super::cases::add(&mut data);
        data
    }
}

fn s(v: &str) -> String {
    v.to_string()
}

fn address(line1: &str, city: &str, state: &str, zip: &str) -> Option<Address> {
    Some(Address {
        line1: s(line1),
        line2: None,
        city: s(city),
        state: s(state),
        postal_code: s(zip),
    })
}

fn patient(
    id: &str,
    first: &str,
    last: &str,
    dob: Option<&str>,
    email: Option<&str>,
    phone: Option<&str>,
    address: Option<Address>,
) -> Patient {
    Patient {
        id: s(id),
        first_name: s(first),
        last_name: s(last),
        date_of_birth: dob.map(s),
        email: email.map(s),
        phone: phone.map(s),
        address,
        // Self-registered patients (no email) have not given insurance either.
        insurance: email.map(|_| Insurance {
            payer: s("Blue Cross Blue Shield of Texas"),
            plan: Some(s("PPO")),
        }),
    }
}

fn patients() -> Vec<Patient> {
    vec![
        patient(
            "P1001",
            "Margaret",
            "Okafor",
            Some("1958-03-14"),
            Some("m.okafor@example.com"),
            Some("+1-512-555-0141"),
            address("12 Cedar Lane", "Austin", "TX", "78701"),
        ),
        patient(
            "P1002",
            "David",
            "Lindqvist",
            Some("1976-11-02"),
            Some("dlindqvist@example.com"),
            Some("+1-512-555-0177"),
            address("880 Barton Springs Rd", "Austin", "TX", "78704"),
        ),
        patient(
            "P1003",
            "Aisha",
            "Rahman",
            Some("1990-06-21"),
            Some("aisha.rahman@example.com"),
            Some("+1-737-555-0102"),
            address("4 Riverside Dr", "Round Rock", "TX", "78664"),
        ),
        patient(
            "P1004",
            "José",
            "Núñez",
            Some("1969-01-30"),
            Some("jose.nunez@example.com"),
            Some("+1-512-555-0190"),
            address("221 Calle Ocho", "Austin", "TX", "78702"),
        ),
        // No email on file.
        patient(
            "P1005",
            "Harold",
            "Beaumont",
            Some("1944-09-09"),
            None,
            Some("+1-512-555-0123"),
            address("77 Oak Hollow", "Pflugerville", "TX", "78660"),
        ),
        // Walk-in registered in a hurry: no birth date, no address.
        patient(
            "P1006",
            "Grace",
            "Whitfield",
            None,
            Some("gwhitfield@example.com"),
            Some("+1-512-555-0156"),
            None,
        ),
        // P1007 and P1008 share a family email.
        patient(
            "P1007",
            "Tomasz",
            "Kowalski",
            Some("1982-04-17"),
            Some("kowalski.family@example.com"),
            Some("+1-512-555-0168"),
            address("9 Maple Ct", "Austin", "TX", "78745"),
        ),
        patient(
            "P1008",
            "Ewa",
            "Kowalski",
            Some("2012-08-05"),
            Some("kowalski.family@example.com"),
            None,
            address("9 Maple Ct", "Austin", "TX", "78745"),
        ),
        patient(
            "P1009",
            "Samuel",
            "Adeyemi",
            Some("1955-12-12"),
            Some("sam.adeyemi@example.com"),
            Some("+1-737-555-0111"),
            address("301 Congress Ave", "Austin", "TX", "78701"),
        ),
        patient(
            "P1010",
            "Linh",
            "Tran",
            Some("1998-02-28"),
            Some("linh.tran@example.com"),
            Some("+1-512-555-0133"),
            address("56 Lamar Blvd", "Austin", "TX", "78703"),
        ),
    ]
}

fn encounter(
    id: &str,
    patient: &str,
    date: &str,
    provider: &str,
    template: &str,
    status: EncounterStatus,
) -> Encounter {
    Encounter {
        id: s(id),
        patient_id: s(patient),
        date: s(date),
        provider_id: s(provider),
        template_id: s(template),
        status,
    }
}

fn encounters() -> Vec<Encounter> {
    use EncounterStatus::{Open, Signed};
    vec![
        encounter("E5001", "P1001", "2026-11-16", "DR1", "T-COMP", Open),
        encounter("E5002", "P1002", "2026-11-16", "DR2", "T-COMP", Open),
        encounter("E5003", "P1003", "2026-11-17", "DR1", "T-COMP", Signed),
        encounter("E5004", "P1001", "2026-11-18", "DR1", "T-BRIEF", Open),
        encounter("E5005", "P1004", "2026-11-19", "DR2", "T-COMP", Open),
    ]
}

fn templates() -> Vec<Template> {
    vec![
        Template {
            id: s("T-COMP"),
            name: s("Comprehensive eye exam"),
            fields: sections::all_field_names(),
        },
        Template {
            id: s("T-BRIEF"),
            name: s("Brief visit"),
            fields: vec![
                "chiefComplaint",
                "hpi",
                "distCcOd",
                "distCcOs",
                "iopOd",
                "iopOs",
                "assessment",
                "plan",
            ],
        },
    ]
}

#[allow(clippy::too_many_arguments)]
fn appointment(
    id: &str,
    start: &str,
    minutes: u32,
    kind: &str,
    provider: &str,
    patient: &str,
    status: &str,
    encounter: Option<&str>,
) -> Appointment {
    Appointment {
        id: s(id),
        start: s(start),
        duration_minutes: minutes,
        kind: s(kind),
        provider_id: s(provider),
        status: s(status),
        encounter_id: encounter.map(s),
        patient_id: s(patient),
    }
}

fn appointments() -> Vec<Appointment> {
    vec![
        appointment(
            "A7001",
            "2026-11-16T09:00:00",
            30,
            "Comprehensive exam",
            "DR1",
            "P1001",
            "completed",
            Some("E5001"),
        ),
        appointment(
            "A7002",
            "2026-11-16T10:30:00",
            30,
            "Comprehensive exam",
            "DR2",
            "P1002",
            "completed",
            Some("E5002"),
        ),
        appointment(
            "A7003",
            "2026-11-17T08:30:00",
            45,
            "Comprehensive exam",
            "DR1",
            "P1003",
            "completed",
            Some("E5003"),
        ),
        appointment(
            "A7004",
            "2026-11-18T11:00:00",
            15,
            "Follow-up",
            "DR1",
            "P1001",
            "arrived",
            Some("E5004"),
        ),
        appointment(
            "A7005",
            "2026-11-19T14:00:00",
            30,
            "Comprehensive exam",
            "DR2",
            "P1004",
            "arrived",
            Some("E5005"),
        ),
        // Booked against a provider id the EHR no longer knows.
        appointment(
            "A7006",
            "2026-11-19T15:30:00",
            20,
            "Contact lens fitting",
            "DR9",
            "P1005",
            "scheduled",
            None,
        ),
        appointment(
            "A7007",
            "2026-11-20T09:15:00",
            30,
            "Glaucoma check",
            "DR1",
            "P1006",
            "scheduled",
            None,
        ),
        appointment(
            "A7008",
            "2026-11-20T13:00:00",
            30,
            "Comprehensive exam",
            "DR2",
            "P1007",
            "cancelled",
            None,
        ),
        appointment(
            "A7009",
            "2026-11-23T10:00:00",
            30,
            "Comprehensive exam",
            "DR2",
            "P1008",
            "confirmed",
            None,
        ),
        appointment(
            "A7010",
            "2026-11-24T16:00:00",
            15,
            "Follow-up",
            "DR1",
            "P1009",
            "scheduled",
            None,
        ),
        appointment(
            "A7011",
            "2026-11-25T08:00:00",
            45,
            "Post-op",
            "DR2",
            "P1010",
            "scheduled",
            None,
        ),
        appointment(
            "A7012",
            "2026-11-27T11:30:00",
            30,
            "Comprehensive exam",
            "DR1",
            "P1002",
            "scheduled",
            None,
        ),
    ]
}
