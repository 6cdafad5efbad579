use super::*;
use crate::schedule::sync::diff::Pending;
use crate::schedule::sync::model::{ChangeKind, SyncOutcome, Timing};

fn appt(id: &str) -> SyncedAppointment {
    SyncedAppointment {
        id: id.into(),
        start: "2027-01-04T09:00:00".into(),
        duration_minutes: 30,
        appointment_type: "Telehealth Visit".into(),
        provider_id: None,
        status: "scheduled".into(),
        patient: None,
        syncs: true,
        reasons: vec![],
    }
}

fn run(at_ms: u64) -> SyncRun {
    SyncRun {
        ehr: "crystalpm".into(),
        at_ms,
        last_good_ms: Some(at_ms),
        outcome: SyncOutcome::Ok,
        appointments: 1,
        syncing: 1,
        by_reason: Default::default(),
        changes: 1,
        timing: Timing {
            min_poll_seconds: 60,
            normal_minutes: 15,
            abnormal_minutes: 30,
        },
    }
}

/// A fresh directory for one test (removed when the test passes).
struct Dir(std::path::PathBuf);

impl Dir {
    fn new() -> Dir {
        let mut n = [0u8; 8];
        getrandom::fill(&mut n).unwrap();
        let d = std::env::temp_dir().join(format!("ehr-outbox-test-{}", hex::encode(n)));
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn new(id: &str) -> Pending {
    Pending {
        kind: ChangeKind::New,
        appointment_id: id.into(),
        appointment: Some(appt(id)),
    }
}

// Changes are numbered in order and kept until acknowledged, across a reopen (a killed
// agent); numbers are never reused after an acknowledgement; the source id stays.
#[test]
fn numbered_kept_and_never_reused() {
    let dir = Dir::new();
    let path = dir.path().join("schedule.sqlite");
    let ob = Outbox::open(&path).unwrap();
    let source = ob.source().to_string();
    let st: BTreeMap<_, _> = [("A".to_string(), appt("A")), ("B".to_string(), appt("B"))].into();
    let numbered = ob
        .record("crystalpm", &[new("A"), new("B")], &st, &run(1))
        .unwrap();
    assert_eq!(numbered.iter().map(|c| c.seq).collect::<Vec<_>>(), [1, 2]);
    drop(ob);
    let ob = Outbox::open(&path).unwrap();
    assert_eq!(ob.source(), source);
    assert_eq!(ob.state("crystalpm").unwrap(), st);
    assert_eq!(ob.pending(10).unwrap(), numbered);
    assert_eq!(ob.pending(1).unwrap().len(), 1);
    ob.acknowledge(2).unwrap();
    assert_eq!(ob.pending_count().unwrap(), 0);
    let again = ob.record("crystalpm", &[new("C")], &st, &run(2)).unwrap();
    assert_eq!(again[0].seq, 3, "numbers are never reused");
    assert_eq!(ob.run("crystalpm").unwrap(), Some(run(2)));
    ob.acknowledge(1).unwrap();
    assert_eq!(
        ob.pending_count().unwrap(),
        1,
        "an old acknowledgement forgets nothing newer"
    );
}

// A failed pass records its run and leaves the state and the outbox alone; EHRs keep
// their own state.
#[test]
fn failed_pass_and_ehrs_apart() {
    let dir = Dir::new();
    let ob = Outbox::open(&dir.path().join("s.sqlite")).unwrap();
    let st: BTreeMap<_, _> = [("A".to_string(), appt("A"))].into();
    ob.record("crystalpm", &[new("A")], &st, &run(1)).unwrap();
    let mut failed = run(2);
    failed.outcome = SyncOutcome::Failed {
        message: "cannot connect".into(),
    };
    failed.last_good_ms = Some(1);
    ob.record_run(&failed).unwrap();
    assert_eq!(ob.state("crystalpm").unwrap(), st);
    assert_eq!(ob.pending_count().unwrap(), 1);
    assert_eq!(ob.runs().unwrap(), vec![failed]);
    assert!(ob.state("officemate").unwrap().is_empty());
    let other = Outbox::open(&dir.path().join("t.sqlite")).unwrap();
    assert_ne!(other.source(), ob.source(), "a new file is a new source");
}
