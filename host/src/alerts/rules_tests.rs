//! The rules with times the tests choose.

use super::*;
use crate::alerts::observe::{ScheduleSeen, ServerErrors, TokenFailures};
use crate::jobs::JobRecord;

const T0: u64 = 1_800_000_000_000;
const MIN: u64 = 60_000;

fn kinds(seen: &Seen, claimed: &[JobRecord], agents: &[AgentRecord], now: u64) -> Vec<String> {
    let settings = AlertSettings::default();
    evaluate(&Inputs {
        seen,
        claimed,
        agents,
        settings: &settings,
        now_ms: now,
    })
    .iter()
    .map(Condition::key)
    .collect()
}

// Success rate: nothing under the minimum sample, an alert under 95 %, none at 95 %.
#[test]
fn success_rate_needs_enough_attempts_and_a_low_rate() {
    let mut seen = Seen::default();
    for i in 0..10 {
        seen.attempts.push_back((T0 + i, i % 2 == 0));
    }
    assert!(
        kinds(&seen, &[], &[], T0 + 100).is_empty(),
        "10 attempts are too few"
    );
    seen.attempts.clear();
    for i in 0..40 {
        seen.attempts
            .push_back((T0 + i, i != 0 && i != 1 && i != 2));
    }
    assert_eq!(kinds(&seen, &[], &[], T0 + 100), ["success_rate:"]);
    // Out of the 15-minute window, they no longer count.
    assert!(kinds(&seen, &[], &[], T0 + 16 * MIN).is_empty());
    seen.attempts.clear();
    for i in 0..40 {
        seen.attempts.push_back((T0 + i, i != 0 && i != 1));
    }
    assert!(
        kinds(&seen, &[], &[], T0 + 100).is_empty(),
        "exactly 95 % is fine"
    );
}

// A 5xx streak holds until a good answer AND the quiet period; tokens until issued.
#[test]
fn server_errors_and_tokens() {
    let mut seen = Seen::default();
    let mut e = ServerErrors {
        count: 3,
        first_ms: T0,
        last_ms: T0 + 1000,
        ok_after_ms: None,
        last_status: 503,
    };
    seen.server_errors.insert("revolution".into(), e.clone());
    assert_eq!(
        kinds(&seen, &[], &[], T0 + 10 * MIN),
        ["ehr_server_error:revolution"]
    );
    e.ok_after_ms = Some(T0 + 2000);
    seen.server_errors.insert("revolution".into(), e);
    assert_eq!(
        kinds(&seen, &[], &[], T0 + 30_000).len(),
        1,
        "still within the quiet period"
    );
    assert!(kinds(&seen, &[], &[], T0 + 62_000).is_empty());
    seen.tokens.insert(
        "eyefinity".into(),
        TokenFailures {
            count: 1,
            last_ms: T0,
        },
    );
    assert_eq!(
        kinds(&seen, &[], &[], T0 + 62_000),
        ["token_refresh:eyefinity"]
    );
}

// Certificates within 30 days, agents silent past 10 minutes, jobs stuck past 5,
// schedules late past their grace.
#[test]
fn certificates_agents_jobs_schedules() {
    let day = 24 * 60 * MIN;
    let mut seen = Seen::default();
    seen.tls.insert("https://a.example".into(), T0 + 29 * day);
    seen.tls.insert("https://b.example".into(), T0 + 31 * day);
    seen.schedules.insert(
        "east".into(),
        ScheduleSeen {
            due_ms: Some(T0),
            last_ms: Some(T0 - MIN),
        },
    );
    let agent = AgentRecord {
        id: "a1".into(),
        practice_id: "east".into(),
        name: "front desk".into(),
        public_key: String::new(),
        paired_ms: T0 - day,
        expires_ms: None,
        revoked_ms: None,
        version: "0.1.0".into(),
        last_heartbeat_ms: Some(T0),
        heartbeat: None,
    };
    let job = JobRecord {
        id: "J1".into(),
        ehr: "revolution".into(),
        scope: Some("east".into()),
        status: Status::Claimed,
        attempts: 1,
        failures_in_row: 0,
        next_attempt_ms: T0,
        claimed_by: Some("hub-w0".into()),
        lease_until_ms: Some(T0 + day),
        last_progress_ms: Some(T0),
        progress: None,
        cancel_requested: false,
        given_back: false,
        created_ms: T0,
        updated_ms: T0,
        report: None,
        error: None,
        payload: None,
    };
    let claimed = [job];
    let agents = [agent];
    assert_eq!(
        kinds(&seen, &claimed, &agents, T0 + 4 * MIN),
        ["tls_expiry:https://a.example"]
    );
    assert_eq!(
        kinds(&seen, &claimed, &agents, T0 + 16 * MIN),
        [
            "tls_expiry:https://a.example",
            "agent_disconnected:a1",
            "job_stuck:J1",
            "schedule_overdue:east"
        ]
    );
    seen.schedules.get_mut("east").unwrap().last_ms = Some(T0 + MIN);
    assert!(!kinds(&seen, &claimed, &agents, T0 + 16 * MIN)
        .contains(&"schedule_overdue:east".to_string()));
}
