//! The fixed data an Eyefinity-style sandbox starts with and returns to on reset: the same
//! cases as the RevolutionEHR seed (an open visit, a locked one, one of another patient,
//! a brief form, a patient without birth date, a non-ASCII name), under Eyefinity ids.

use std::collections::BTreeMap;

use super::data::{Coverage, EyefinityData, Form, Patient, Provider, Slot, Visit};
use super::elements;
use crate::state::EncounterState;

impl EyefinityData {
    /// A fresh copy of the seed data.
    pub fn seed() -> EyefinityData {
        let visits: BTreeMap<String, Visit> =
            visits().into_iter().map(|v| (v.id.clone(), v)).collect();
        let records = visits
            .keys()
            .map(|id| (id.clone(), EncounterState::default()))
            .collect();
        let mut data = EyefinityData {
            patients: patients().into_iter().map(|p| (p.id.clone(), p)).collect(),
            visits,
            forms: forms()
                .into_iter()
                .map(|f| (f.version.clone(), f))
                .collect(),
            providers: [("OD-11", "Dr. Patel"), ("OD-12", "Dr. Moreau")]
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
            slots: slots(),
            records,
        };
        super::cases::add(&mut data);
        data
    }
}

fn s(v: &str) -> String {
    v.to_string()
}

fn patient(
    id: &str,
    given: &str,
    family: &str,
    dob: Option<&str>,
    address: Option<&str>,
) -> Patient {
    Patient {
        id: s(id),
        given: s(given),
        family: s(family),
        birth_date: dob.map(s),
        email: Some(format!("{}@example.com", given.to_lowercase())),
        phone: Some(s("+1-206-555-0100")),
        address: address.map(s),
        coverage: vec![Coverage {
            priority: 1,
            carrier: s("VSP"),
            plan: Some(s("Choice")),
        }],
    }
}

fn patients() -> Vec<Patient> {
    vec![
        patient(
            "EF-2001",
            "Margaret",
            "Okafor",
            Some("1958-03-14"),
            Some("12 Cedar Lane, Seattle, WA 98101"),
        ),
        patient(
            "EF-2002",
            "David",
            "Lindqvist",
            Some("1976-11-02"),
            Some("880 Pine St, Seattle, WA 98122"),
        ),
        patient("EF-2003", "Aisha", "Rahman", Some("1990-06-21"), None),
        patient(
            "EF-2004",
            "José",
            "Núñez",
            Some("1969-01-30"),
            Some("221 Calle Ocho, Tacoma, WA 98402"),
        ),
        // Walk-in registered in a hurry: no birth date.
        patient("EF-2005", "Grace", "Whitfield", None, None),
    ]
}

fn visit(id: &str, patient: &str, date: &str, provider: &str, form: &str, locked: bool) -> Visit {
    Visit {
        id: s(id),
        patient_id: s(patient),
        date: s(date),
        provider_id: s(provider),
        form_version: s(form),
        locked,
    }
}

fn visits() -> Vec<Visit> {
    vec![
        visit("V-9001", "EF-2001", "2026-11-16", "OD-11", "EXAM-3", false),
        visit("V-9002", "EF-2002", "2026-11-16", "OD-12", "EXAM-3", false),
        visit("V-9003", "EF-2003", "2026-11-17", "OD-11", "EXAM-3", true),
        visit("V-9004", "EF-2001", "2026-11-18", "OD-11", "BRIEF-1", false),
        visit("V-9005", "EF-2004", "2026-11-19", "OD-12", "EXAM-3", false),
        visit("V-9006", "EF-2005", "2026-11-19", "OD-12", "EXAM-3", false),
    ]
}

fn forms() -> Vec<Form> {
    vec![
        Form {
            version: s("EXAM-3"),
            title: s("Comprehensive exam v3"),
            elements: elements::all_ids(),
        },
        Form {
            version: s("BRIEF-1"),
            title: s("Brief visit v1"),
            elements: vec![
                "CC",
                "HPI",
                "VA_DCC_OD",
                "VA_DCC_OS",
                "IOP_OD",
                "IOP_OS",
                "ASSESSMENT",
                "PLAN",
            ],
        },
    ]
}

#[allow(clippy::too_many_arguments)]
fn slot(
    id: &str,
    date: &str,
    time: &str,
    minutes: u32,
    reason: &str,
    provider: &str,
    patient: &str,
    state: &str,
    visit: Option<&str>,
) -> Slot {
    Slot {
        id: s(id),
        date: s(date),
        time: s(time),
        minutes,
        reason: s(reason),
        provider_id: s(provider),
        state: s(state),
        visit_id: visit.map(s),
        patient_id: s(patient),
    }
}

fn slots() -> Vec<Slot> {
    vec![
        slot(
            "S-1",
            "2026-11-16",
            "09:00",
            30,
            "Comprehensive exam",
            "OD-11",
            "EF-2001",
            "completed",
            Some("V-9001"),
        ),
        slot(
            "S-2",
            "2026-11-16",
            "10:30",
            30,
            "Comprehensive exam",
            "OD-12",
            "EF-2002",
            "completed",
            Some("V-9002"),
        ),
        slot(
            "S-3",
            "2026-11-17",
            "08:30",
            45,
            "Comprehensive exam",
            "OD-11",
            "EF-2003",
            "completed",
            Some("V-9003"),
        ),
        slot(
            "S-4",
            "2026-11-18",
            "11:00",
            15,
            "Follow-up",
            "OD-11",
            "EF-2001",
            "arrived",
            Some("V-9004"),
        ),
        slot(
            "S-5",
            "2026-11-19",
            "14:00",
            30,
            "Comprehensive exam",
            "OD-12",
            "EF-2004",
            "arrived",
            Some("V-9005"),
        ),
        slot(
            "S-6",
            "2026-11-19",
            "15:30",
            20,
            "Contact lens fitting",
            "OD-99",
            "EF-2005",
            "booked",
            Some("V-9006"),
        ),
    ]
}
