//! The one table of expected schedule-sync reasons per appointment
//! (`tests/fixtures/schedule_cases.json`, loaded by [`ehr_sandbox::cases`], which also
//! seeds it into the cloud sandboxes; `tests/fixtures/population.py` seeds it into the
//! CrystalPM and OfficeMate databases), and the check of an adapter's schedule against it
//! through `ehr-host schedule ID --check --json --at NOW`.

use crate::TestHome;
use ehr_host::schedule::{Effect, Reason};
use std::collections::BTreeMap;

pub use ehr_sandbox::cases::{cases, CaseAppointment, Cases, Role};

/// The EHR whose ids the table's appointments carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ehr {
    /// CrystalPM (MariaDB): appointment 9100 + n.
    CrystalPm,
    /// OfficeMate (SQL Server): appointment 9100 + n.
    OfficeMate,
    /// RevolutionEHR (sandbox).
    Revolution,
    /// Eyefinity (sandbox).
    Eyefinity,
}

impl Ehr {
    /// The adapter id.
    pub fn adapter(self) -> &'static str {
        match self {
            Ehr::CrystalPm => "crystalpm",
            Ehr::OfficeMate => "officemate",
            Ehr::Revolution => "revolution",
            Ehr::Eyefinity => "eyefinity",
        }
    }

    /// The id this EHR gives the table's appointment `n`.
    pub fn appointment_id(self, n: u32) -> String {
        match self {
            Ehr::CrystalPm | Ehr::OfficeMate => (9100 + n).to_string(),
            Ehr::Revolution => ehr_sandbox::cases::appointment_id(ehr_sandbox::Ehr::Revolution, n),
            Ehr::Eyefinity => ehr_sandbox::cases::appointment_id(ehr_sandbox::Ehr::Eyefinity, n),
        }
    }
}

/// What the adapter can tell the check. A 0.1.0 build reads neither providers nor staff
/// nor insurance: the rules that need them are not applied, and the table's reasons
/// from them are not expected.
#[derive(Debug, Clone, Copy)]
pub struct Knows {
    /// The provider list (unknown / disabled providers).
    pub providers: bool,
    /// The staff users' emails.
    pub staff: bool,
    /// Insurance on file (the check then requires it, as the table's practice does).
    pub insurance: bool,
}

/// Everything a 0.2.0 adapter reads.
pub const KNOWS_ALL: Knows = Knows {
    providers: true,
    staff: true,
    insurance: true,
};

/// The `[schedule]` section of the table's practice (insurance required only when the
/// adapter can read it).
pub fn policy_toml(knows: Knows) -> String {
    let p = &cases().policy;
    let types: Vec<String> = p.approved_types.iter().map(|t| format!("{t:?}")).collect();
    format!(
        "\n[schedule]\napproved_types = [{}]\nlead_minutes = {}\nrequire_insurance = {}\n",
        types.join(", "),
        p.lead_minutes,
        p.require_insurance && knows.insurance
    )
}

/// The verdicts of every read of the table (`reads`), by appointment id, and the
/// caveats the check printed, from `ehr-host schedule ADAPTER --check --json --at NOW`.
pub fn check(home: &TestHome, adapter: &str) -> (BTreeMap<String, Vec<Reason>>, Vec<String>) {
    let table = cases();
    let mut verdicts = BTreeMap::new();
    let mut caveats = Vec::new();
    for (from, to) in &table.reads {
        let args = [
            "schedule",
            adapter,
            "--from",
            from.as_str(),
            "--to",
            to.as_str(),
            "--check",
            "--json",
            "--at",
            table.now.as_str(),
        ];
        let (code, out, err) = home.cli(&args);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        let answer: serde_json::Value = serde_json::from_str(&out).expect(&out);
        for v in answer["verdicts"].as_array().expect("verdicts") {
            let id = v["appointment_id"].as_str().unwrap().to_string();
            let reasons: Vec<Reason> = serde_json::from_value(v["reasons"].clone())
                .unwrap_or_else(|e| panic!("{id}: reasons are not typed reasons ({e}): {v}"));
            let syncs = reasons.iter().all(|r| r.effect() == Effect::Note);
            assert_eq!(
                v["syncs"], syncs,
                "{id}: `syncs` disagrees with its reasons: {v}"
            );
            assert!(
                verdicts.insert(id.clone(), reasons).is_none(),
                "{id} read twice"
            );
        }
        for c in answer["caveats"].as_array().expect("caveats") {
            caveats.push(c.as_str().unwrap().to_string());
        }
    }
    (verdicts, caveats)
}

/// The reason codes the table expects for `a`, given what the adapter can tell.
pub fn expected_codes(a: &CaseAppointment, knows: Knows) -> Vec<String> {
    let insurance_only = a.missing.as_deref() == Some(&["insurance".to_string()][..]);
    a.expect
        .iter()
        .filter(|c| knows.providers || *c != "provider_not_enabled")
        .filter(|c| knows.staff || *c != "staff_email")
        .filter(|c| knows.insurance || !(insurance_only && *c == "demographics_incomplete"))
        .cloned()
        .collect()
}

/// Checks every verdict against the table: the same appointments, the same reason codes
/// in order, and the details the table pins (the approved type a near miss resembles,
/// what demographics are missing, the day a far appointment syncs). Lists every
/// mismatch at once.
pub fn assert_matches(ehr: Ehr, verdicts: &BTreeMap<String, Vec<Reason>>, knows: Knows) {
    let table = cases();
    let mut wrong = Vec::new();
    for a in &table.appointments {
        let id = ehr.appointment_id(a.n);
        let Some(reasons) = verdicts.get(&id) else {
            wrong.push(format!("{id} ({}): not read", a.case));
            continue;
        };
        let codes: Vec<&str> = reasons.iter().map(|r| r.code()).collect();
        let expected = expected_codes(a, knows);
        if codes != expected {
            wrong.push(format!(
                "{id} ({}): {codes:?}, expected {expected:?}",
                a.case
            ));
        }
        for r in reasons {
            let detail_ok = match r {
                Reason::TypeNotApproved { resembles, .. } => *resembles == a.resembles,
                Reason::DemographicsIncomplete { missing } => Some(missing) == a.missing.as_ref(),
                Reason::BeyondHorizon { syncs_on } => Some(syncs_on) == a.syncs_on.as_ref(),
                _ => true,
            };
            if !detail_ok {
                wrong.push(format!("{id} ({}): {r:?} does not match the table", a.case));
            }
        }
    }
    let known: Vec<String> = table
        .appointments
        .iter()
        .map(|a| ehr.appointment_id(a.n))
        .collect();
    for id in verdicts.keys().filter(|id| !known.contains(id)) {
        wrong.push(format!("{id}: read, but not in the table"));
    }
    assert!(
        wrong.is_empty(),
        "{}: the schedule check disagrees with tests/fixtures/schedule_cases.json:\n{}",
        ehr.adapter(),
        wrong.join("\n")
    );
}

/// Checks the human output of the December read: a ✔ for the appointment that syncs,
/// a ✘ for one that does not, and the practice guide's words for several reasons.
pub fn assert_human_output(home: &TestHome, ehr: Ehr) {
    let table = cases();
    let (from, to) = &table.reads[0];
    let args = [
        "schedule",
        ehr.adapter(),
        "--from",
        from.as_str(),
        "--to",
        to.as_str(),
        "--check",
        "--at",
        table.now.as_str(),
    ];
    let (code, out, err) = home.cli(&args);
    assert_eq!(code, 0, "{out}{err}");
    let syncs = format!(
        "✔ 2026-12-02T10:00:00  {}  Telemedicine Visit",
        ehr.appointment_id(1)
    );
    let blocked = format!(
        "✘ 2026-12-02T10:30:00  {}  Office Visit",
        ehr.appointment_id(2)
    );
    for words in [
        syncs.as_str(),
        blocked.as_str(),
        "must exactly match the setup instructions",
        "It looks like the approved type \"Telemedicine Visit\"",
        "add a unique, valid email to the patient's record",
        "is in use by a practice staff user (a test visit?)",
        "date of birth, address missing",
        "insurance missing",
        "will not link to the right user and may not show up",
        "Keep a buffer when scheduling",
        "may take at least 24 hours to sync",
        "4 of 15 appointments sync",
    ] {
        assert!(
            out.contains(words),
            "{}: no {words:?} in:\n{out}",
            ehr.adapter()
        );
    }
}
