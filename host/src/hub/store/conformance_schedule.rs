//! The synced schedule's part of the store suite: changes applied in order and once,
//! cancellations removing the appointment, runs kept newest, practices apart.

use super::{HubStore, Practice, PracticeSettings};
use crate::link::protocol::ScheduleBatch;
use crate::schedule::sync::{
    ChangeKind, ScheduleChange, SyncOutcome, SyncRun, SyncedAppointment, Timing,
};
use crate::schedule::Reason;

const T0: u64 = 1_800_000_000_000;

fn appointment(id: &str, start: &str, syncs: bool) -> SyncedAppointment {
    SyncedAppointment {
        id: id.into(),
        start: start.into(),
        duration_minutes: 30,
        appointment_type: "Telehealth Visit".into(),
        provider_id: Some("DR1".into()),
        status: "scheduled".into(),
        patient: None,
        syncs,
        reasons: if syncs { vec![] } else { vec![Reason::NoEmail] },
    }
}

fn change(seq: u64, kind: ChangeKind, a: Option<SyncedAppointment>, id: &str) -> ScheduleChange {
    ScheduleChange {
        seq,
        ehr: "crystalpm".into(),
        kind,
        appointment_id: id.into(),
        appointment: a,
    }
}

fn run(at_ms: u64, appointments: u32) -> SyncRun {
    SyncRun {
        ehr: "crystalpm".into(),
        at_ms,
        last_good_ms: Some(at_ms),
        outcome: SyncOutcome::Ok,
        appointments,
        syncing: 1,
        by_reason: [("no_email".to_string(), 1)].into(),
        changes: 2,
        timing: Timing {
            min_poll_seconds: 60,
            normal_minutes: 15,
            abnormal_minutes: 30,
        },
    }
}

pub async fn synced_schedule<S: HubStore>(s: &S) {
    for id in ["east", "west"] {
        s.create_practice(&Practice {
            id: id.into(),
            name: id.into(),
            created_ms: T0,
            settings: PracticeSettings::default(),
        })
        .await
        .unwrap();
    }
    let first = ScheduleBatch {
        source: "agent-1:abc".into(),
        changes: vec![
            change(
                1,
                ChangeKind::New,
                Some(appointment("A1", "2027-01-04T09:00:00", true)),
                "A1",
            ),
            change(
                2,
                ChangeKind::New,
                Some(appointment("A2", "2027-01-04T10:00:00", false)),
                "A2",
            ),
        ],
        runs: vec![run(T0, 2)],
    };
    let r = s
        .apply_schedule("east", "agent-1:abc", &first, T0)
        .await
        .unwrap();
    assert_eq!((r.applied_through, r.applied, r.duplicates), (2, 2, 0));
    // The same batch again (its answer was lost): applied once.
    let r = s
        .apply_schedule("east", "agent-1:abc", &first, T0)
        .await
        .unwrap();
    assert_eq!((r.applied_through, r.applied, r.duplicates), (2, 0, 2));
    // An overlapping batch: only the new numbers apply.
    let mut moved = appointment("A1", "2027-01-05T09:00:00", true);
    moved.duration_minutes = 45;
    let second = ScheduleBatch {
        source: "agent-1:abc".into(),
        changes: vec![
            first.changes[1].clone(),
            change(3, ChangeKind::Rescheduled, Some(moved.clone()), "A1"),
            change(4, ChangeKind::Cancelled, None, "A2"),
        ],
        runs: vec![run(T0 - 1, 99)],
    };
    let r = s
        .apply_schedule("east", "agent-1:abc", &second, T0 + 5)
        .await
        .unwrap();
    assert_eq!((r.applied_through, r.applied, r.duplicates), (4, 2, 1));
    let east = s.schedule("east").await.unwrap();
    assert_eq!(east.appointments.len(), 1, "A2 was cancelled");
    assert_eq!(east.appointments[0].appointment, moved);
    assert_eq!(east.appointments[0].ehr, "crystalpm");
    assert_eq!(east.appointments[0].updated_ms, T0 + 5);
    // The older run did not replace the newer one.
    assert_eq!(east.runs, vec![run(T0, 2)]);
    let received: Vec<(&str, u64)> = east
        .received
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(received, [("cancelled", 1), ("new", 2), ("rescheduled", 1)]);
    // Another source's numbers are its own; another practice sees nothing of east's.
    let other = ScheduleBatch {
        source: "agent-2:def".into(),
        changes: vec![change(
            1,
            ChangeKind::New,
            Some(appointment("B1", "2027-01-06T09:00:00", true)),
            "B1",
        )],
        runs: vec![],
    };
    let r = s
        .apply_schedule("west", "agent-2:def", &other, T0)
        .await
        .unwrap();
    assert_eq!((r.applied_through, r.applied), (1, 1));
    let west = s.schedule("west").await.unwrap();
    assert_eq!(west.appointments.len(), 1);
    assert_eq!(west.appointments[0].appointment.id, "B1");
    assert!(west.runs.is_empty());
    assert_eq!(s.schedule("east").await.unwrap().appointments.len(), 1);
    assert!(s.schedule("north").await.unwrap().appointments.is_empty());
}
