//! One appointment per rule, each checked for its reason and whether it syncs.

use super::*;
use crate::runtime::bindings::latest::Patient;

fn patient(id: &str, email: Option<&str>) -> Patient {
    Patient {
        id: id.into(),
        first_name: "Ann".into(),
        last_name: "Lee".into(),
        date_of_birth: Some("1970-03-02".into()),
        email: email.map(Into::into),
        phone: None,
        address: Some("1 Main St, Springfield".into()),
        insurance: Some("Acme Vision PPO".into()),
    }
}

fn appt(id: &str, start: &str, kind: &str, p: Patient) -> Appointment {
    Appointment {
        id: id.into(),
        start: start.into(),
        duration_minutes: 30,
        appointment_type: kind.into(),
        provider_id: Some("DR1".into()),
        provider_name: None,
        patient_id: p.id.clone(),
        patient: Some(p),
        status: "scheduled".into(),
        encounter_id: None,
    }
}

fn policy() -> SyncPolicy {
    SyncPolicy {
        approved_types: vec!["Telehealth Follow-Up".into(), "Comprehensive Exam".into()],
        enabled_providers: vec!["DR1".into()],
        require_insurance: true,
        ..SyncPolicy::default()
    }
}

/// Monday 2026-11-30, 09:00.
fn now() -> DateTime {
    "2026-11-30T09:00:00".parse().unwrap()
}

fn codes(v: &Verdict) -> Vec<&'static str> {
    v.reasons.iter().map(Reason::code).collect()
}

// The table of the guide's cases: each appointment, its reasons and whether it syncs.
#[test]
fn every_rule_by_example() {
    let ok = || patient("P1", Some("ann@example.com"));
    let mut no_dob = patient("P5", Some("p5@example.com"));
    no_dob.date_of_birth = None;
    no_dob.insurance = None;
    let mut no_provider = appt(
        "A10",
        "2026-12-01T10:00:00",
        "Comprehensive Exam",
        patient("P10", Some("p10@example.com")),
    );
    no_provider.provider_id = Some("DR9".into());
    let appointments = vec![
        appt("A1", "2026-12-01T10:00:00", "Comprehensive Exam", ok()),
        appt(
            "A2",
            "2026-12-01T10:00:00",
            "telehealth follow up",
            patient("P2", Some("p2@example.com")),
        ),
        appt(
            "A3",
            "2026-12-01T10:00:00",
            "Comprehensive Exam",
            patient("P3", None),
        ),
        appt(
            "A4",
            "2026-12-01T10:00:00",
            "Comprehensive Exam",
            patient("P4", Some("p4@example")),
        ),
        appt("A5", "2026-12-01T10:00:00", "Comprehensive Exam", no_dob),
        appt(
            "A6",
            "2026-11-29T10:00:00",
            "Comprehensive Exam",
            patient("P6", Some("p6@example.com")),
        ),
        appt(
            "A7",
            "2026-11-30T09:10:00",
            "Comprehensive Exam",
            patient("P7", Some("p7@example.com")),
        ),
        appt(
            "A8",
            "2027-04-15T10:00:00",
            "Comprehensive Exam",
            patient("P8", Some("p8@example.com")),
        ),
        appt(
            "A9",
            "2026-12-21T10:00:00",
            "Comprehensive Exam",
            patient("P9", Some("p9@example.com")),
        ),
        no_provider,
        appt(
            "A11",
            "2026-12-01T11:00:00",
            "Comprehensive Exam",
            patient("P11", Some("ANN@example.com")),
        ),
        appt(
            "A12",
            "2026-12-01T12:00:00",
            "Comprehensive Exam",
            patient("P12", Some("frontdesk@clinic.com")),
        ),
    ];
    let staff = vec![StaffUser {
        id: "U1".into(),
        name: "Front Desk".into(),
        email: Some("frontdesk@clinic.com".into()),
    }];
    let practice = Practice {
        providers: None,
        staff: Some(&staff),
    };
    let v = check(&appointments, practice, &policy(), now());
    let table: Vec<(&str, bool, Vec<&str>)> = v
        .iter()
        .map(|v| (v.appointment_id.as_str(), v.syncs, codes(v)))
        .collect();
    assert_eq!(
        table,
        [
            ("A1", false, vec!["email_shared"]),
            ("A2", false, vec!["type_not_approved"]),
            ("A3", false, vec!["no_email"]),
            ("A4", false, vec!["invalid_email"]),
            ("A5", false, vec!["demographics_incomplete"]),
            ("A6", false, vec!["in_the_past"]),
            ("A7", false, vec!["too_close"]),
            ("A8", false, vec!["beyond_horizon"]),
            ("A9", true, vec!["beyond_seven_business_days"]),
            ("A10", true, vec!["provider_not_enabled"]),
            ("A11", false, vec!["email_shared"]),
            ("A12", false, vec!["staff_email"]),
        ]
    );
    // The details the advice names.
    assert_eq!(
        v[1].reasons[0],
        Reason::TypeNotApproved {
            appointment_type: "telehealth follow up".into(),
            resembles: Some("Telehealth Follow-Up".into())
        }
    );
    assert!(v[1].reasons[0]
        .advice()
        .contains("It looks like the approved type \"Telehealth Follow-Up\""));
    assert_eq!(
        v[4].reasons[0],
        Reason::DemographicsIncomplete {
            missing: vec!["date of birth".into(), "insurance".into()]
        }
    );
    assert_eq!(
        v[7].reasons[0],
        Reason::BeyondHorizon {
            syncs_on: "2027-01-13".into()
        }
    );
    assert!(v[0].reasons[0].advice().contains("P11"));
}

// A cancelled appointment syncs as a cancellation: no rule applies.
#[test]
fn cancelled_appointments_sync() {
    let mut a = appt("A", "2020-01-01T10:00:00", "Nope", patient("P", None));
    a.status = "cancelled".into();
    let v = check(&[a], Practice::default(), &policy(), now());
    assert!(v[0].syncs && v[0].reasons.is_empty());
}

// With no enabled list, the EHR's provider list decides; without either, nothing is said.
#[test]
fn providers_from_the_ehr() {
    let mut p = policy();
    p.enabled_providers.clear();
    let a = appt(
        "A",
        "2026-12-01T10:00:00",
        "Comprehensive Exam",
        patient("P", Some("p@example.com")),
    );
    let inactive = [Provider {
        id: "DR1".into(),
        name: "Dr One".into(),
        active: false,
    }];
    let v = check(
        std::slice::from_ref(&a),
        Practice {
            providers: Some(&inactive),
            staff: None,
        },
        &p,
        now(),
    );
    assert_eq!(codes(&v[0]), ["provider_not_enabled"]);
    let v = check(&[a], Practice::default(), &p, now());
    assert!(v[0].reasons.is_empty());
}

// Emails: the usual forms pass, malformed ones do not.
#[test]
fn email_forms() {
    for ok in ["a@b.co", "first.last+tag@mail.example.org"] {
        assert!(valid_email(ok), "{ok}");
    }
    for bad in [
        "", "a@", "@b.co", "a@b", "a b@c.co", "a@b@c.co", "a@-b.co", "a@b.c0",
    ] {
        assert!(!valid_email(bad), "{bad}");
    }
}
