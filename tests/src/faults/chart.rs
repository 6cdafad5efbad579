//! Failures and limits of the chart itself: rejected values, a changed template, the
//! wrong patient, a locked encounter, text the EHR cannot hold as is, and a write that
//! landed although its answer was lost.

use super::{expect_failure, expect_nothing_written, fault_case, write, write_json};
use crate::cloud::{self, Auth, Target};
use ehr_sandbox::{Fault, FaultMode};
use serde_json::Value;

/// 422 on the write: terminal, with the EHR's per-field validation message.
pub async fn rejected(target: &Target) {
    let (sandbox, run) = fault_case(target, Fault::new(FaultMode::Reject)).await;
    expect_failure(
        &run,
        6,
        "rejected",
        "terminal",
        &["Fields: iopOd: value rejected by EHR rule R-17"],
    );
    expect_nothing_written(&sandbox);
}

/// The EHR renamed template fields: "template changed", terminal, nothing written (the
/// renamed fields are not silently dropped and nothing else is written either).
pub async fn template_changed(target: &Target) {
    let (sandbox, run) = fault_case(target, Fault::new(FaultMode::TemplateChanged)).await;
    expect_failure(
        &run,
        6,
        "template_mismatch",
        "terminal",
        &["The EHR template changed", "nothing was written"],
    );
    expect_nothing_written(&sandbox);
}

/// The encounter belongs to another patient: "Wrong patient", terminal, and not one
/// write request reached the EHR.
pub async fn wrong_patient(target: &Target) {
    let (sandbox, home) = cloud::setup(target, Auth::Bearer, None).await;
    let snapshot = cloud::snapshot(target, |v| v["encounter_id"] = target.other_patient.into());
    let run = write(&home, target.adapter, &snapshot);
    expect_failure(
        &run,
        6,
        "wrong_patient",
        "terminal",
        &[
            "Confirm the correct encounter is open",
            "nothing was written",
        ],
    );
    expect_nothing_written(&sandbox);
    assert!(sandbox.state().requests.iter().all(|r| r.method == "GET"));
}

/// The encounter is signed / locked: "signed or locked", terminal, nothing written.
pub async fn encounter_locked(target: &Target) {
    let (sandbox, home) = cloud::setup(target, Auth::Bearer, None).await;
    // The locked encounter belongs to another seeded patient; write as that patient.
    let state_patient = |v: &mut Value| {
        v["encounter_id"] = target.locked.into();
        let p = &mut v["patient"];
        match target.ehr {
            ehr_sandbox::Ehr::Revolution => p["id"] = "P1003".into(),
            ehr_sandbox::Ehr::Eyefinity => p["id"] = "EF-2003".into(),
        }
        p["first_name"] = "Aisha".into();
        p["last_name"] = "Rahman".into();
        p["date_of_birth"] = "1990-06-21".into();
    };
    let run = write(
        &home,
        target.adapter,
        &cloud::snapshot(target, state_patient),
    );
    expect_failure(
        &run,
        6,
        "encounter_locked",
        "terminal",
        &["add an addendum", "Nothing was written"],
    );
    expect_nothing_written(&sandbox);
}

/// Where the EHR stores three text fields: (section, name) for chief complaint, plan
/// and assessment.
fn text_targets(target: &Target) -> [(&'static str, &'static str); 3] {
    match target.ehr {
        ehr_sandbox::Ehr::Revolution => [
            ("history", "chiefComplaint"),
            ("assessment-plan", "plan"),
            ("assessment-plan", "assessment"),
        ],
        ehr_sandbox::Ehr::Eyefinity => [
            ("elements", "CC"),
            ("elements", "PLAN"),
            ("elements", "ASSESSMENT"),
        ],
    }
}

/// Non-ASCII text and an over-length value: written with warnings, never corrupted. An
/// ASCII-only EHR gets a faithful transliteration (`characters_replaced`) and a field
/// with characters that have none (CJK) skipped `invalid_value` with the reason, never a
/// `?`; a UTF-8 EHR gets the text exactly. The over-length plan is cut at the EHR's limit
/// (`truncated`), on a character boundary.
pub async fn non_ascii_and_over_length(target: &Target) {
    let (sandbox, home) = cloud::setup(target, Auth::Bearer, None).await;
    let complaint = "Douleur — «halos» autour des lumie\u{300}res\u{200B}";
    let assessment = "視界がぼやける";
    let plan = format!("Plan: {}", "é".repeat(7000));
    let snapshot = cloud::snapshot(target, |v| {
        v["fields"]["chief_complaint"] = complaint.into();
        v["fields"]["assessment"] = assessment.into();
        v["fields"]["plan"] = plan.clone().into();
    });
    let (code, report) = write_json(&home, target.adapter, &snapshot);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["outcome"], "succeeded_with_warnings");
    let line = |id: &str| crate::report_field(&report, id).clone();
    let kinds = |id: &str| -> Vec<String> {
        line(id)["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(line("chief_complaint")["status"], "written");
    assert!(
        kinds("plan").contains(&"truncated".to_string()),
        "{report:#}"
    );

    let state = sandbox.state();
    let e = &state.encounters[target.open];
    let [(cs, cn), (ps, pn), (a_s, an)] = text_targets(target);
    let stored_cc = e.sections[cs][cn].as_str().unwrap().to_string();
    let stored_plan = e.sections[ps][pn].as_str().unwrap().to_string();
    let limit = if target.ascii_only { 4000 } else { 6000 };
    assert_eq!(stored_plan.chars().count(), limit);
    if target.ascii_only {
        assert_eq!(kinds("chief_complaint"), ["characters_replaced"]);
        assert_eq!(stored_cc, "Douleur - \"halos\" autour des lumieres");
        assert!(stored_plan.is_ascii() && stored_plan.starts_with("Plan: eee"));
        assert_eq!(line("assessment")["status"], "skipped", "{report:#}");
        assert_eq!(line("assessment")["reason"], "invalid_value");
        let detail = line("assessment")["detail"].as_str().unwrap().to_string();
        assert!(detail.contains("CJK") && !detail.contains('?'), "{detail}");
        assert!(e.sections.get(a_s).is_none_or(|s| s.get(an).is_none()));
    } else {
        assert!(kinds("chief_complaint").is_empty(), "{report:#}");
        assert_eq!(stored_cc, complaint);
        assert!(plan.starts_with(&stored_plan));
        assert_eq!(e.sections[a_s][an], assessment);
    }
}

/// The write landed but its answer never came (client timeout): the first run fails as
/// a retryable timeout; the re-run of the same job completes without writing anything
/// twice (every applied write is applied once; the note or document is not duplicated).
pub async fn landed_then_timed_out(target: &Target) {
    let (sandbox, home) = cloud::setup(target, Auth::Bearer, Some(1.0)).await;
    sandbox.set_fault(Fault::once(FaultMode::LandThenTimeout));
    let snapshot = cloud::snapshot(target, |_| {});
    let (code, report) = write_json(&home, target.adapter, &snapshot);
    assert_eq!(code, 5, "{report:#}");
    assert_eq!(report["error"]["kind"], "timeout");
    let landed = sandbox.state().encounters[target.open].applied_writes;
    assert_eq!(
        landed, 1,
        "the first write landed although the client timed out"
    );

    let (code, report) = write_json(&home, target.adapter, &snapshot);
    assert_eq!(code, 0, "{report:#}");
    let state = sandbox.state();
    let e = &state.encounters[target.open];
    let mut applied: Vec<(String, String)> = state
        .requests
        .iter()
        .filter(|r| r.method != "GET" && (200..300).contains(&r.status) && !r.replayed)
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    let total = applied.len();
    applied.sort();
    applied.dedup();
    assert_eq!(
        applied.len(),
        total,
        "a write was applied twice: {:?}",
        state.requests
    );
    assert_eq!(e.applied_writes as usize, total);
    assert!(
        state.requests.iter().any(|r| r.replayed),
        "the re-run replayed the landed write"
    );
    assert_eq!(e.notes.len(), 1, "one note, not two");
    if target.ehr == ehr_sandbox::Ehr::Eyefinity {
        assert_eq!(e.revision, 1, "one document revision, not two");
        assert_eq!(report["replayed"], true);
    }
}
