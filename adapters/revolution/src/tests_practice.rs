//! Native tests of what schedule sync reads (the SDK's `testing::Harness`): providers with
//! their active flag, staff users with their emails, insurance on the patient.

use crate::tests::{harness, BASE};
use crate::Revolution;
use ehr_adapter_sdk::http::Method;
use ehr_adapter_sdk::prelude::*;

// An inactive provider reads as inactive; one without the flag as active.
#[test]
fn providers_carry_their_active_flag() {
    let h = harness();
    h.http(Method::Get, &format!("{BASE}/providers"))
        .reply_json(
            200,
            r#"[{"id":"DR1","name":"Dr. Rivera","active":true},
            {"id":"DR3","name":"Dr. Victor Hale","active":false},
            {"id":"DR4","name":" Dr. Sato "}]"#,
        );
    let list = Revolution::read_providers().unwrap();
    let seen: Vec<(&str, &str, bool)> = list
        .iter()
        .map(|p| (p.id.as_str(), p.name.as_str(), p.active))
        .collect();
    assert_eq!(
        seen,
        [
            ("DR1", "Dr. Rivera", true),
            ("DR3", "Dr. Victor Hale", false),
            ("DR4", "Dr. Sato", true)
        ]
    );
}

// Staff users keep their emails; a blank or null email is none.
#[test]
fn staff_users_carry_their_emails() {
    let h = harness();
    h.http(Method::Get, &format!("{BASE}/users")).reply_json(
        200,
        r#"[{"id":"U1","firstName":"Dana","lastName":"Frost","email":"frontdesk@brightview-eyes.example","role":"front desk"},
            {"id":"U2","firstName":"Owen","lastName":"Park","email":" ","role":"billing"}]"#,
    );
    let list = Revolution::read_staff().unwrap();
    assert_eq!(list[0].name, "Dana Frost");
    assert_eq!(
        list[0].email.as_deref(),
        Some("frontdesk@brightview-eyes.example")
    );
    assert_eq!(list[1].email, None);
}

// The insurance reads as payer and plan; null, or a payer left blank, is none; an API
// version without the field still reads the patient.
#[test]
fn patients_carry_their_insurance() {
    let h = harness();
    let patient = |insurance: &str| {
        format!(
            r#"{{"id":"P1401","firstName":"Clara","lastName":"Wendt","dateOfBirth":"1972-04-18",
               "email":"clara.wendt@example.org","phone":null,"address":null{insurance}}}"#
        )
    };
    for (insurance, expected) in [
        (
            r#","insurance":{"payer":"Blue Cross","plan":"PPO"}"#,
            Some("Blue Cross (PPO)"),
        ),
        (
            r#","insurance":{"payer":"Medicare","plan":null}"#,
            Some("Medicare"),
        ),
        (r#","insurance":{"payer":" ","plan":"PPO"}"#, None),
        (r#","insurance":null"#, None),
        ("", None),
    ] {
        h.http(Method::Get, &format!("{BASE}/patients/P1401"))
            .times(1)
            .reply_json(200, &patient(insurance));
        let p = Revolution::read_patient("P1401".into()).unwrap();
        assert_eq!(p.insurance.as_deref(), expected, "{insurance}");
    }
}
