use super::parts::{write_parts, Part};
use super::*;
use crate::mapping::Mapping;
use crate::testing::{Harness, SnapshotBuilder};
use crate::{FieldError, FieldStatus, Rejection, SkipReason};
use std::cell::RefCell;

fn plan() -> Plan {
    let m = Mapping::new()
        .number("iop.od", "iop", "iopOd")
        .number("iop.os", "iop", "iopOs")
        .text("pupils", "pupils", "pupils");
    let s = SnapshotBuilder::new()
        .number("iop.od", 17.0)
        .number("iop.os", 18.0)
        .text("pupils", "PERRL")
        .build();
    m.apply(&s)
}

fn locked() -> AdapterError {
    AdapterError::EncounterLocked("E1 is signed".into())
}

// The guard refuses for a state reason and the job had landed: success, replayed, with
// the plan's lines; write is never called.
#[test]
fn landed_job_is_a_replay_not_a_refusal() {
    let _h = Harness::new();
    let r = guarded(
        "J1",
        plan(),
        |_| Err(locked()),
        |p| {
            assert_eq!(p.lines().count(), 3);
            Ok(Some(Landed {
                record_id: Some("E1".into()),
            }))
        },
        |_| panic!("nothing may be written to a locked encounter"),
    )
    .unwrap();
    assert!(r.replayed);
    assert_eq!(r.record_id.as_deref(), Some("E1"));
    assert!(r.fields.iter().all(|f| f.status == FieldStatus::Written));
}

// Not landed: the refusal stands. A refusal that does not depend on the EHR's state is
// returned without asking. A check that cannot be made now (EHR unreachable) is reported
// as such, so the job is retried rather than refused.
#[test]
fn refusals_stand_when_nothing_landed() {
    let _h = Harness::new();
    let asked = RefCell::new(0);
    let r = guarded(
        "J1",
        plan(),
        |_| Err(locked()),
        |_| {
            *asked.borrow_mut() += 1;
            Ok(None)
        },
        |_| unreachable!(),
    );
    assert!(matches!(r, Err(AdapterError::EncounterLocked(_))));
    let r = guarded(
        "J1",
        plan(),
        |_| Err(AdapterError::NotFound("no E1".into())),
        |_| {
            *asked.borrow_mut() += 1;
            Ok(None)
        },
        |_| unreachable!(),
    );
    assert!(matches!(r, Err(AdapterError::NotFound(_))));
    assert_eq!(*asked.borrow(), 1);
    let r = guarded(
        "J1",
        plan(),
        |_| Err(locked()),
        |_| Err(AdapterError::Unreachable("down".into())),
        |_| unreachable!(),
    );
    assert!(matches!(r, Err(AdapterError::Unreachable(_))));
}

// The EHR refuses the write itself for a state reason (signed between read and write):
// the landed check decides, exactly as for the guard.
#[test]
fn state_refusal_from_the_write_asks_too() {
    let _h = Harness::new();
    let r = guarded(
        "J1",
        plan(),
        |_| Ok(()),
        |_| Ok(Some(Landed { record_id: None })),
        |_| Err(locked()),
    )
    .unwrap();
    assert!(r.replayed);
    let r = guarded("J1", plan(), |_| Ok(()), |_| Ok(None), |_| Err(locked()));
    assert!(matches!(r, Err(AdapterError::EncounterLocked(_))));
}

fn refused(field: &str) -> AdapterError {
    AdapterError::Rejected(Rejection {
        code: Some("validation_failed".into()),
        message: "refused".into(),
        field_errors: vec![FieldError {
            field: field.into(),
            message: format!("{field} must be a multiple of 0.25"),
        }],
    })
}

// A 422 naming a field of the part: that field is skipped with the EHR's message and the
// rest of the part is sent again; what landed is tracked part by part.
#[test]
fn refused_fields_are_skipped_and_the_rest_goes_on() {
    let _h = Harness::new();
    let mut p = plan();
    let sent = RefCell::new(Vec::new());
    let progress = write_parts(
        "J1",
        &mut p,
        &[Part::section("pupils"), Part::section("iop")],
        |part, plan| {
            let body = plan.section_json(&part.sections[0]);
            sent.borrow_mut()
                .push(serde_json::Value::Object(body.clone()));
            if body.contains_key("iopOd") {
                return Err(refused("iopOd"));
            }
            Ok(false)
        },
    )
    .unwrap();
    assert_eq!(progress.parts(), ["pupils", "iop"]);
    assert!(!progress.all_replayed());
    assert_eq!(
        *sent.borrow(),
        [
            serde_json::json!({"pupils": "PERRL"}),
            serde_json::json!({"iopOd": 17.0, "iopOs": 18.0}),
            serde_json::json!({"iopOs": 18.0}),
        ]
    );
    let r = p.into_write_result(None, false);
    assert!(matches!(
        &r.fields[0].status,
        FieldStatus::Skipped((SkipReason::InvalidValue, m)) if m.contains("multiple of 0.25")
    ));
    assert_eq!(r.fields[1].status, FieldStatus::Written);
}

// A refusal naming no field of the part: with nothing landed the job fails (nothing was
// written); after another part landed, the part is skipped and reported, never lost.
#[test]
fn unattributable_refusals() {
    let _h = Harness::new();
    let mut p = plan();
    let r = write_parts("J1", &mut p, &[Part::section("iop")], |_, _| {
        Err(refused("elsewhere"))
    });
    assert!(matches!(r, Err(AdapterError::Rejected(_))));

    let mut p = plan();
    let progress = write_parts(
        "J1",
        &mut p,
        &[Part::section("pupils"), Part::of("rest", &["iop"])],
        |part, _| match part.name.as_str() {
            "pupils" => Ok(true),
            _ => Err(refused("elsewhere")),
        },
    )
    .unwrap();
    assert!(progress.all_replayed());
    let r = p.into_write_result(None, false);
    let iop = r.fields.iter().find(|f| f.field == "iop.od").unwrap();
    assert!(matches!(
        &iop.status,
        FieldStatus::Skipped((SkipReason::InvalidValue, m)) if m.contains("refused rest")
    ));
}
