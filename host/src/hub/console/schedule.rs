//! The "Last schedule sync" section of a practice's page: each EHR's last pass (ok, late
//! or never), counts by reason, and every appointment that does not sync with the
//! practice guide's advice — what `ehr-host hub schedule --practice P` prints.

use super::html::{esc, untrusted};
use crate::hub::schedule::{load, ScheduleView, SyncHealth};
use crate::hub::state::Hub;
use crate::hub::store::HubStore;
use crate::jobs::Queue;
use std::fmt::Write as _;

/// The section for `practice`, or a line saying why it cannot be shown.
pub async fn last_sync<Q: Queue, S: HubStore>(hub: &Hub<Q, S>, practice: &str) -> String {
    match load(hub.store.as_ref(), practice, hub.now()).await {
        Ok(v) => render(&v),
        Err(e) => format!(
            "<section><h2>Last schedule sync</h2><p class=\"bad\">The schedule cannot be read now: {}</p></section>",
            untrusted(&e.to_string(), 300)
        ),
    }
}

/// The section's HTML for `v`.
pub fn render(v: &ScheduleView) -> String {
    let mut out = String::from("<section><h2>Last schedule sync</h2>");
    if v.ehrs.is_empty() {
        out.push_str("<p>No schedule sync has reached the hub yet.</p></section>");
        return out;
    }
    out.push_str("<ul>");
    for e in &v.ehrs {
        let state = match e.health {
            SyncHealth::Ok => "ok",
            SyncHealth::Late => "late: changes are not reaching the hub",
            SyncHealth::NeverSynced => "never synced",
        };
        let ago = e
            .minutes_since_good
            .map(|m| format!(", last good pass {m} min ago"))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<li>{}: <strong>{}</strong>{}</li>",
            esc(&e.ehr),
            esc(state),
            esc(&ago)
        );
    }
    let _ = write!(
        out,
        "</ul><p>{} of {} appointments sync.</p>",
        v.syncing, v.appointments
    );
    if !v.by_reason.is_empty() {
        out.push_str("<ul>");
        for (code, n) in &v.by_reason {
            let _ = write!(out, "<li>{}: {n}</li>", esc(code));
        }
        out.push_str("</ul>");
    }
    out.push_str(&render_not_synced(v));
    out.push_str("</section>");
    out
}

/// Each appointment that does not sync, with its reasons and the guide's advice.
fn render_not_synced(v: &ScheduleView) -> String {
    let mut out = String::new();
    for a in &v.not_synced {
        let _ = write!(
            out,
            "<details><summary>{} {} ({})</summary><ul>",
            untrusted(&a.start, 40),
            untrusted(&a.appointment_type, 120),
            esc(&a.id)
        );
        for r in &a.reasons {
            let _ = write!(
                out,
                "<li><code>{}</code> {}</li>",
                esc(r.code),
                untrusted(&r.advice, 500)
            );
        }
        out.push_str("</ul></details>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::hub::schedule::{NotSynced, ScheduleView, ShownReason};
    use crate::schedule::Effect;

    fn view(not_synced: Vec<NotSynced>) -> ScheduleView {
        ScheduleView {
            practice: "east".into(),
            settings: crate::schedule::sync::SyncSettings::default(),
            sync_requested_ms: None,
            abnormal: true,
            ehrs: Vec::new(),
            appointments: 0,
            syncing: 0,
            by_reason: Default::default(),
            received: Default::default(),
            not_synced,
        }
    }

    // Nothing synced yet says so.
    #[test]
    fn nothing_yet() {
        assert!(render(&view(vec![])).contains("No schedule sync has reached the hub yet"));
    }

    // What an EHR wrote (an appointment type) cannot open a tag; the advice shows.
    #[test]
    fn ehr_text_is_escaped() {
        let mut v = view(vec![NotSynced {
            ehr: "crystalpm".into(),
            id: "9101".into(),
            start: "2026-12-02T10:00:00".into(),
            appointment_type: "<script>alert(1)</script>".into(),
            reasons: vec![ShownReason {
                code: "no_email",
                effect: Effect::Blocks,
                advice: "The patient's record has no email address.".into(),
            }],
        }]);
        v.ehrs = Vec::new();
        let html = super::render_not_synced(&v);
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("no email address"), "{html}");
    }
}
