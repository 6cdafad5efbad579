//! A job that landed is never reported as failed, and a brief template is not a changed
//! one: the EHR's state changes after a write whose answer was lost, and the retry of the
//! same job ends succeeded (replayed), through the real binary and the built adapter.

use super::write_json;
use crate::cloud::{self, Auth, Target};
use crate::TestHome;
use ehr_sandbox::{Fault, FaultMode, Sandbox};
use serde_json::Value;

/// The job's last write lands but its answer is lost (the client times out): the first
/// run fails as retryable, and every write of the job is in the chart.
async fn land_and_lose_the_answer(target: &Target) -> (Sandbox, TestHome, Value) {
    let (sandbox, home) = cloud::setup(target, Auth::Bearer, Some(1.0)).await;
    sandbox.set_fault(Fault::once(FaultMode::LandThenTimeout).on_path(target.last_write_path));
    let snapshot = cloud::snapshot(target, |_| {});
    let (code, report) = write_json(&home, target.adapter, &snapshot);
    assert_eq!(code, 5, "{report:#}");
    assert_eq!(report["error"]["kind"], "timeout");
    (sandbox, home, snapshot)
}

/// The retry's report: succeeded, replayed, the same field lines as a first write, and
/// nothing applied by the retry.
fn expect_replayed(sandbox: &Sandbox, target: &Target, applied_before: u32, report: &Value) {
    assert_eq!(report["replayed"], true, "{report:#}");
    assert_eq!(report["outcome"], "succeeded_with_warnings", "{report:#}");
    assert!(report["error"].is_null(), "{report:#}");
    let written = report["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "written")
        .count();
    assert!(written >= 15, "the first write's field lines: {report:#}");
    let e = &sandbox.state().encounters[target.open];
    assert_eq!(e.applied_writes, applied_before, "the retry wrote nothing");
}

/// Landed, answer lost, then the provider signed the encounter: the retry of the same
/// job ends succeeded (replayed), not "encounter locked, nothing was written".
pub async fn landed_then_signed(target: &Target) {
    let (sandbox, home, snapshot) = land_and_lose_the_answer(target).await;
    let applied = sandbox.state().encounters[target.open].applied_writes;
    assert!(sandbox.sign_encounter(target.open));
    let (code, report) = write_json(&home, target.adapter, &snapshot);
    assert_eq!(code, 0, "{report:#}");
    expect_replayed(&sandbox, target, applied, &report);

    // Another job into the signed encounter, with other values, is still refused: nothing
    // of it landed. (The read-back compares values: a job whose values are all in the
    // chart already would be reported written, which is what the chart says.)
    let other = cloud::snapshot(target, |v| {
        v["job_id"] = "J-OTHER-1".into();
        v["fields"]["iop.od"] = 21.into();
    });
    let (code, report) = write_json(&home, target.adapter, &other);
    assert_eq!(code, 6, "{report:#}");
    assert_eq!(report["error"]["kind"], "encounter_locked");
}

/// Landed, answer lost, then the EHR renamed template fields: the retry ends succeeded
/// (replayed), not "the EHR template changed".
pub async fn landed_then_template_changed(target: &Target) {
    let (sandbox, home, snapshot) = land_and_lose_the_answer(target).await;
    let applied = sandbox.state().encounters[target.open].applied_writes;
    sandbox.set_fault(Fault::new(FaultMode::TemplateChanged));
    let (code, report) = write_json(&home, target.adapter, &snapshot);
    assert_eq!(code, 0, "{report:#}");
    expect_replayed(&sandbox, target, applied, &report);
}

/// A full snapshot to an encounter whose (brief) template takes fewer fields: succeeded
/// with warnings, the fields outside it skipped `outside_template`, the rest written; the
/// encounter signed afterwards, the retry is a replay.
pub async fn brief_template(target: &Target) {
    let (sandbox, home) = cloud::setup(target, Auth::Bearer, None).await;
    let snapshot = cloud::snapshot(target, |v| v["encounter_id"] = target.brief.into());
    let (code, report) = write_json(&home, target.adapter, &snapshot);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["outcome"], "succeeded_with_warnings");
    let status = |id: &str| crate::report_field(&report, id).clone();
    assert_eq!(status("iop.od")["status"], "written", "{report:#}");
    assert_eq!(status("chief_complaint")["status"], "written");
    for outside in [
        "pupils",
        "slit_lamp.od.lens",
        "refraction.manifest.od.sphere",
    ] {
        assert_eq!(
            status(outside)["status"],
            "skipped",
            "{outside}: {report:#}"
        );
        assert_eq!(status(outside)["reason"], "outside_template", "{outside}");
    }
    let applied = sandbox.state().encounters[target.brief].applied_writes;
    assert!(applied >= 1);

    // Signed afterwards, the same job is recognised by what the brief template took.
    assert!(sandbox.sign_encounter(target.brief));
    let (code, again) = write_json(&home, target.adapter, &snapshot);
    assert_eq!(code, 0, "{again:#}");
    assert_eq!(again["replayed"], true, "{again:#}");
    assert_eq!(
        crate::report_field(&again, "pupils")["reason"],
        "outside_template"
    );
    assert_eq!(
        sandbox.state().encounters[target.brief].applied_writes,
        applied
    );
}
