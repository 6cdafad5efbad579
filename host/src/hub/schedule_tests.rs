use super::*;
use crate::hub::store::HeldAppointment;
use crate::schedule::sync::{SyncedAppointment, Timing};
use crate::schedule::Reason;

const MIN: u64 = 60_000;
const T0: u64 = 1_800_000_000_000;

fn run(at_ms: u64, outcome: SyncOutcome, last_good_ms: Option<u64>) -> SyncRun {
    SyncRun {
        ehr: "crystalpm".into(),
        at_ms,
        last_good_ms,
        outcome,
        appointments: 0,
        syncing: 0,
        by_reason: BTreeMap::new(),
        changes: 0,
        timing: Timing {
            min_poll_seconds: 60,
            normal_minutes: 5,
            abnormal_minutes: 15,
        },
    }
}

fn failed() -> SyncOutcome {
    SyncOutcome::Failed {
        message: "cannot connect".into(),
    }
}

// A sync is late once its last good pass is older than the adapter's abnormal time,
// whether the passes since failed or none ran; a pass that never read is never synced.
#[test]
fn late_after_the_abnormal_time() {
    let ok = run(T0, SyncOutcome::Ok, Some(T0));
    assert_eq!(health(&ok, T0 + 15 * MIN), (SyncHealth::Ok, Some(15)));
    assert_eq!(health(&ok, T0 + 15 * MIN + 1).0, SyncHealth::Late);
    let failing = run(T0 + 20 * MIN, failed(), Some(T0));
    assert_eq!(
        health(&failing, T0 + 20 * MIN),
        (SyncHealth::Late, Some(20))
    );
    let recent_failure = run(T0 + 2 * MIN, failed(), Some(T0));
    assert_eq!(health(&recent_failure, T0 + 3 * MIN).0, SyncHealth::Ok);
    assert_eq!(
        health(&run(T0, failed(), None), T0).0,
        SyncHealth::NeverSynced
    );
}

// The view counts reasons over the appointments held, lists those that do not sync
// with the guide's advice, and is abnormal while any EHR is late or none synced.
#[test]
fn view_counts_and_flags() {
    let appt = |id: &str, reasons: Vec<Reason>| HeldAppointment {
        ehr: "crystalpm".into(),
        updated_ms: T0,
        appointment: SyncedAppointment {
            id: id.into(),
            start: "2027-01-04T09:00:00".into(),
            duration_minutes: 30,
            appointment_type: "Telehealth Visit".into(),
            provider_id: None,
            status: "scheduled".into(),
            patient: None,
            syncs: reasons.iter().all(|r| r.effect() == Effect::Note),
            reasons,
        },
    };
    let schedule = PracticeSchedule {
        appointments: vec![
            appt("A", vec![]),
            appt("B", vec![Reason::NoEmail]),
            appt("C", vec![Reason::BeyondSevenBusinessDays]),
        ],
        runs: vec![run(T0, SyncOutcome::Ok, Some(T0))],
        received: BTreeMap::new(),
    };
    let v = view(
        "east",
        &PracticeSettings::default(),
        schedule.clone(),
        T0 + MIN,
    );
    assert_eq!((v.appointments, v.syncing), (3, 2));
    assert_eq!(v.by_reason.get("no_email"), Some(&1));
    assert_eq!(v.by_reason.get("beyond_seven_business_days"), Some(&1));
    assert_eq!(v.not_synced.len(), 1);
    assert_eq!(v.not_synced[0].id, "B");
    assert!(v.not_synced[0].reasons[0]
        .advice
        .contains("no email address"));
    assert!(!v.abnormal);
    assert!(
        view(
            "east",
            &PracticeSettings::default(),
            schedule,
            T0 + 16 * MIN
        )
        .abnormal
    );
    let empty = PracticeSchedule {
        appointments: vec![],
        runs: vec![],
        received: BTreeMap::new(),
    };
    assert!(view("east", &PracticeSettings::default(), empty, T0).abnormal);
}
