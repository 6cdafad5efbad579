//! Native tests of what schedule sync reads (the SDK's `testing::Harness`): providers
//! with their active flag, staff users with their emails, insurance on the patient.

use crate::OfficeMate;
use ehr_adapter_sdk::prelude::*;
use ehr_adapter_sdk::sql::Value;
use ehr_adapter_sdk::testing::Harness;

fn t(s: &str) -> Value {
    Value::Text(s.into())
}

// A provider the EHR marks inactive reads as inactive; the others as active.
#[test]
fn providers_carry_their_active_flag() {
    let h = Harness::new();
    h.sql("FROM dbo.Resources").rows(
        &["id", "first", "last", "active"],
        vec![
            vec![Value::Int(1), t("Anna"), t("Reyes"), Value::Boolean(true)],
            vec![Value::Int(5), t("Victor"), t("Hale"), Value::Boolean(false)],
        ],
    );
    let list = OfficeMate::read_providers().unwrap();
    let seen: Vec<(&str, &str, bool)> = list
        .iter()
        .map(|p| (p.id.as_str(), p.name.as_str(), p.active))
        .collect();
    assert_eq!(
        seen,
        [("1", "Anna Reyes", true), ("5", "Victor Hale", false)]
    );
}

// Staff users keep their emails; a user without one has none.
#[test]
fn staff_users_carry_their_emails() {
    let h = Harness::new();
    h.sql("FROM dbo.Users").rows(
        &["id", "first", "last", "email"],
        vec![
            vec![
                Value::Int(1),
                t("Dana"),
                t("Frost"),
                t("frontdesk@brightview-eyes.example"),
            ],
            vec![Value::Int(2), t("Owen"), t("Park"), Value::Null],
        ],
    );
    let list = OfficeMate::read_staff().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        list[0].email.as_deref(),
        Some("frontdesk@brightview-eyes.example")
    );
    assert_eq!(list[1].email, None);
}

// The patient's primary insurance (priority 1 only, so one row per patient) reads as
// carrier and plan; a patient without a policy has no insurance.
#[test]
fn patients_carry_their_primary_insurance() {
    let h = Harness::new();
    let row = |carrier: Value, plan: Value| {
        vec![
            Value::Int(1401),
            t("Clara"),
            t("Wendt"),
            Value::Date("1972-04-18".into()),
            t("clara.wendt@example.org"),
            Value::Null,
            t("14 Birch Rd"),
            t("Springfield"),
            t("IL"),
            t("62704"),
            carrier,
            plan,
        ]
    };
    let cols = &["c"; 12];
    h.sql("FROM dbo.Patients p")
        .times(1)
        .rows(cols, vec![row(t("Blue Cross"), t("PPO"))]);
    let p = OfficeMate::read_patient("1401".into()).unwrap();
    assert_eq!(p.insurance.as_deref(), Some("Blue Cross (PPO)"));
    let (_, sql, _) = h.statements().pop().unwrap();
    assert!(sql.contains("i.Priority = 1"), "{sql}");
    h.sql("FROM dbo.Patients p")
        .rows(cols, vec![row(Value::Null, Value::Null)]);
    assert_eq!(
        OfficeMate::read_patient("1401".into()).unwrap().insurance,
        None
    );
}
