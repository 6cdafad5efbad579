//! Native tests of what schedule sync reads (the SDK's `testing::Harness`): providers with
//! their status, staff users with their emails, the primary coverage on the patient.

use crate::tests::{harness, BASE};
use crate::Eyefinity;
use ehr_adapter_sdk::http::Method;
use ehr_adapter_sdk::prelude::*;

// `inactive` (any case) reads as inactive; any other status as active.
#[test]
fn providers_carry_their_status() {
    let h = harness();
    h.http(Method::Get, &format!("{BASE}/providers"))
        .reply_json(
            200,
            r#"{"providers":[{"providerId":"OD-11","displayName":"Dr. Patel","status":"active"},
            {"providerId":"OD-13","displayName":"Dr. Hale","status":"INACTIVE"},
            {"providerId":"OD-14","displayName":"Dr. Sato"}]}"#,
        );
    let list = Eyefinity::read_providers().unwrap();
    let active: Vec<(&str, bool)> = list.iter().map(|p| (p.id.as_str(), p.active)).collect();
    assert_eq!(active, [("OD-11", true), ("OD-13", false), ("OD-14", true)]);
}

// Staff users keep their emails; a null email is none.
#[test]
fn staff_users_carry_their_emails() {
    let h = harness();
    h.http(Method::Get, &format!("{BASE}/staff")).reply_json(
        200,
        r#"{"staff":[{"userId":"USR-1","displayName":"Dana Frost","email":"frontdesk@brightview-eyes.example"},
            {"userId":"USR-2","displayName":"Owen Park","email":null}]}"#,
    );
    let list = Eyefinity::read_staff().unwrap();
    assert_eq!(
        list[0].email.as_deref(),
        Some("frontdesk@brightview-eyes.example")
    );
    assert_eq!(
        (list[1].name.as_str(), &list[1].email),
        ("Owen Park", &None)
    );
}

// The primary coverage (lowest priority with a carrier) is the insurance; an empty or
// absent list is none.
#[test]
fn patients_carry_their_primary_coverage() {
    let h = harness();
    let patient = |coverage: &str| {
        format!(
            r#"{{"patientId":"EF-2401","name":{{"given":"Clara","family":"Wendt"}},
               "birthDate":"1972-04-18","contact":{{"email":null,"phone":null}},"address":null{coverage}}}"#
        )
    };
    for (coverage, expected) in [
        (
            r#","coverage":[{"priority":2,"carrier":"Aetna","plan":null},{"priority":1,"carrier":"VSP","plan":"Choice"}]"#,
            Some("VSP (Choice)"),
        ),
        (
            r#","coverage":[{"priority":1,"carrier":"","plan":"X"},{"priority":2,"carrier":"Aetna"}]"#,
            Some("Aetna"),
        ),
        (r#","coverage":[]"#, None),
        ("", None),
    ] {
        h.http(Method::Get, &format!("{BASE}/patients/EF-2401"))
            .times(1)
            .reply_json(200, &patient(coverage));
        let p = Eyefinity::read_patient("EF-2401".into()).unwrap();
        assert_eq!(p.insurance.as_deref(), expected, "{coverage}");
    }
}
