use super::*;
use crate::testing::SnapshotBuilder;

fn snapshot() -> EncounterSnapshot {
    SnapshotBuilder::new()
        .patient("P1004", "José", "Núñez", "1969-01-30")
        .encounter("E5005", "2026-11-19")
        .template("T-COMP", &[])
        .build()
}

fn ehr<'a>(last: &'a str, first: Option<&'a str>, dob: Option<&'a str>) -> EhrEncounter<'a> {
    EhrEncounter {
        id: "E5005",
        patient: EhrPatient {
            id: "P1004",
            first_name: first,
            last_name: Some(last),
            date_of_birth: dob,
        },
        locked: false,
        date: Some("2026-11-19"),
        template_id: Some("T-COMP"),
    }
}

fn refusal(r: Result<Vec<EncounterNotice>, AdapterError>) -> String {
    match r {
        Err(AdapterError::WrongPatient(m)) => m,
        other => panic!("expected wrong-patient, got {other:?}"),
    }
}

// The same patient however the names are spelled: NFD or NFC accents, case, a nickname
// or a middle name on one side, a date-time for the birth date.
#[test]
fn same_patient_in_any_spelling() {
    let nfd = "Nu\u{301}n\u{303}ez";
    for (last, first, dob) in [
        ("Núñez", Some("José"), Some("1969-01-30")),
        (nfd, Some("Jose"), Some("1969-01-30T00:00:00")),
        ("NUNEZ", Some("JOSE MARIA"), Some("1969-01-30")),
        ("nunez", None, Some("1969-01-30")),
        ("Núñez", Some("Pepe"), Some("1969-01-30")),
    ] {
        assert_eq!(check(&snapshot(), &ehr(last, first, dob)).unwrap(), vec![]);
    }
    // And the snapshot side decomposed, the EHR's precomposed.
    let mut s = snapshot();
    s.patient.last_name = nfd.into();
    assert!(check(&s, &ehr("Núñez", Some("José"), Some("1969-01-30"))).is_ok());
}

// Each identifier that differs refuses, naming the patient id and never the name or the
// birth date; missing last name or birth date refuses (fail closed).
#[test]
fn differences_refuse_with_ids_only() {
    let s = snapshot();
    for (e, what) in [
        (ehr("Nunes", Some("José"), Some("1969-01-30")), "last name"),
        (
            ehr("Núñez", Some("Maria"), Some("1969-01-30")),
            "first name",
        ),
        (
            ehr("Núñez", Some("José"), Some("1969-01-31")),
            "date of birth",
        ),
        (ehr("Núñez", Some("José"), None), "no date of birth"),
        (ehr("", Some("José"), Some("1969-01-30")), "no last name"),
    ] {
        let m = refusal(check(&s, &e));
        assert!(m.contains(what) && m.contains("P1004"), "{m}");
        for phi in ["Núñez", "Nunez", "José", "Maria", "1969"] {
            assert!(!m.contains(phi), "{phi} leaked into: {m}");
        }
    }
    let mut other = ehr("Núñez", Some("José"), Some("1969-01-30"));
    other.patient.id = "P1002";
    let m = refusal(check(&s, &other));
    assert!(
        m.contains("E5005") && m.contains("P1002") && m.contains("P1004"),
        "{m}"
    );
}

// A locked encounter of the right patient is `encounter-locked`; a wrong patient on a
// locked encounter is still reported as the wrong patient (it is what matters most).
#[test]
fn locked_after_identity() {
    let mut e = ehr("Núñez", Some("José"), Some("1969-01-30"));
    e.locked = true;
    assert!(matches!(
        check(&snapshot(), &e),
        Err(AdapterError::EncounterLocked(m)) if m.contains("E5005")
    ));
    e.patient.id = "P1";
    assert!(matches!(
        check(&snapshot(), &e),
        Err(AdapterError::WrongPatient(_))
    ));
}

// Notices: another date than the EHR's, a date far in the future, another template; the
// messages carry ids and template ids, never dates.
#[test]
fn notices_are_typed_and_ids_only() {
    let mut s = snapshot();
    s.encounter_date = "2099-01-01".into();
    s.template.id = "T-BRIEF".into();
    let e = ehr("Núñez", Some("José"), Some("1969-01-30"));
    let today = days_from_date("2026-11-19");
    let n = notices(&s, &e, today);
    assert_eq!(
        n,
        vec![
            EncounterNotice::DateDiffers {
                snapshot: "2099-01-01".into(),
                ehr: "2026-11-19".into()
            },
            EncounterNotice::DateInFuture {
                snapshot: "2099-01-01".into()
            },
            EncounterNotice::TemplateDiffers {
                snapshot: "T-BRIEF".into(),
                ehr: "T-COMP".into()
            },
        ]
    );
    for notice in &n {
        let m = notice.message("E5005");
        assert!(m.contains("E5005") && !m.contains("2099"), "{m}");
    }
    // Tomorrow is fine; no EHR date or template means nothing to compare.
    s.encounter_date = "2026-11-20".into();
    s.template.id = String::new();
    let mut e = e;
    e.date = None;
    assert_eq!(notices(&s, &e, today), vec![]);
}

// Civil dates to day numbers, against known values.
#[test]
fn day_numbers() {
    assert_eq!(days_from_date("1970-01-01"), Some(0));
    assert_eq!(days_from_date("2000-03-01"), Some(11_017));
    assert_eq!(days_from_date("2026-13-01"), None);
    assert_eq!(days_from_date("soon"), None);
}
