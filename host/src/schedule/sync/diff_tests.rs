use super::*;
use crate::schedule::sync::model::SyncedPatient;
use crate::schedule::Reason;

fn appt(id: &str, start: &str) -> SyncedAppointment {
    SyncedAppointment {
        id: id.into(),
        start: start.into(),
        duration_minutes: 30,
        appointment_type: "Telehealth Visit".into(),
        provider_id: Some("DR1".into()),
        status: "scheduled".into(),
        patient: Some(SyncedPatient {
            id: format!("P-{id}"),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            date_of_birth: Some("1980-01-01".into()),
            email: Some("ada@example.com".into()),
        }),
        syncs: true,
        reasons: vec![],
    }
}

fn state(list: &[SyncedAppointment]) -> BTreeMap<String, SyncedAppointment> {
    list.iter().map(|a| (a.id.clone(), a.clone())).collect()
}

fn kinds(c: &[Pending]) -> Vec<(ChangeKind, &str)> {
    c.iter()
        .map(|p| (p.kind, p.appointment_id.as_str()))
        .collect()
}

const FROM: &str = "2027-01-04";

// Everything is new the first time; nothing changes when the EHR says the same again.
#[test]
fn first_read_is_new_then_quiet() {
    let now = vec![
        appt("A", "2027-01-04T09:00:00"),
        appt("B", "2027-01-05T09:00:00"),
    ];
    let c = changes(&BTreeMap::new(), &now, FROM);
    assert_eq!(kinds(&c), [(ChangeKind::New, "A"), (ChangeKind::New, "B")]);
    let sent = next_state(&BTreeMap::new(), &c, FROM);
    assert_eq!(sent, state(&now));
    assert!(changes(&sent, &now, FROM).is_empty());
}

// Added, moved, cancelled by status, gone from the EHR, demographics fixed: each once,
// with the right kind; the state after is what the EHR says.
#[test]
fn each_kind_of_change_once() {
    let before = vec![
        appt("A", "2027-01-04T09:00:00"),
        appt("B", "2027-01-05T09:00:00"),
        appt("C", "2027-01-06T09:00:00"),
        appt("D", "2027-01-07T09:00:00"),
        {
            let mut e = appt("E", "2027-01-08T09:00:00");
            e.syncs = false;
            e.reasons = vec![Reason::NoEmail];
            e.patient.as_mut().unwrap().email = None;
            e
        },
    ];
    let sent = state(&before);
    let mut now = vec![
        appt("A", "2027-01-04T09:00:00"),
        appt("B", "2027-01-05T10:30:00"),
        appt("C", "2027-01-06T09:00:00"),
        appt("E", "2027-01-08T09:00:00"),
        appt("F", "2027-01-09T09:00:00"),
    ];
    now[2].status = "Cancelled".into();
    let c = changes(&sent, &now, FROM);
    assert_eq!(
        kinds(&c),
        [
            (ChangeKind::Rescheduled, "B"),
            (ChangeKind::Cancelled, "C"),
            (ChangeKind::VerdictChanged, "E"),
            (ChangeKind::New, "F"),
            (ChangeKind::Cancelled, "D"),
        ]
    );
    assert!(c
        .iter()
        .filter(|p| p.kind == ChangeKind::Cancelled)
        .all(|p| p.appointment.is_none()));
    let after = next_state(&sent, &c, FROM);
    let ids: Vec<&str> = after.keys().map(String::as_str).collect();
    assert_eq!(ids, ["A", "B", "E", "F"]);
    assert!(
        changes(&after, &now, FROM).is_empty(),
        "nothing travels twice"
    );
}

// Details that change nothing but the record (another provider) travel as updates; a
// length change is a reschedule.
#[test]
fn updates_and_lengths() {
    let sent = state(&[
        appt("A", "2027-01-04T09:00:00"),
        appt("B", "2027-01-04T10:00:00"),
    ]);
    let mut a = appt("A", "2027-01-04T09:00:00");
    a.provider_id = Some("DR2".into());
    let mut b = appt("B", "2027-01-04T10:00:00");
    b.duration_minutes = 60;
    let c = changes(&sent, &[a, b], FROM);
    assert_eq!(
        kinds(&c),
        [(ChangeKind::Updated, "A"), (ChangeKind::Rescheduled, "B")]
    );
}

// An appointment that left the window because its day passed is forgotten, not
// cancelled; one cancelled before it was ever sent is not sent; a duplicate listing is
// one change.
#[test]
fn age_cancelled_unsent_and_duplicates() {
    let sent = state(&[appt("OLD", "2027-01-03T16:00:00")]);
    let mut x = appt("X", "2027-01-05T09:00:00");
    x.status = "cancelled".into();
    let y = appt("Y", "2027-01-05T11:00:00");
    let c = changes(&sent, &[x, y.clone(), y], FROM);
    assert_eq!(kinds(&c), [(ChangeKind::New, "Y")]);
    let after = next_state(&sent, &c, FROM);
    assert_eq!(after.keys().collect::<Vec<_>>(), ["Y"]);
}
