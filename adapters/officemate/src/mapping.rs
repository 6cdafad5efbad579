//! Catalog field → OfficeMate table and column.
//!
//! A rule's section names the table (and, for refraction and keratometry, the eye's
//! row); its name is the column, or for `ExamFindings` the finding code. These names are
//! constants of this crate and are the only text ever placed into SQL; every value
//! travels as a parameter.

use ehr_adapter_sdk::icd10::DiagnosisRules;
use ehr_adapter_sdk::mapping::Mapping;
use ehr_adapter_sdk::text::is_snellen_acuity;

/// The exam header and free text (`dbo.Exams`).
pub const EXAM: &str = "Exams";
/// Visual acuity (`dbo.ExamVisualAcuity`).
pub const VA: &str = "ExamVisualAcuity";
/// Manifest refraction, right eye (`dbo.ExamRefraction`, eye `OD`).
pub const RX_OD: &str = "ExamRefraction.OD";
/// Manifest refraction, left eye (`dbo.ExamRefraction`, eye `OS`).
pub const RX_OS: &str = "ExamRefraction.OS";
/// Keratometry, right eye (`dbo.ExamKeratometry`, eye `OD`).
pub const K_OD: &str = "ExamKeratometry.OD";
/// Keratometry, left eye (`dbo.ExamKeratometry`, eye `OS`).
pub const K_OS: &str = "ExamKeratometry.OS";
/// Intraocular pressure (`dbo.ExamIOP`).
pub const IOP: &str = "ExamIOP";
/// Exam findings by code (`dbo.ExamFindings`).
pub const FINDINGS: &str = "ExamFindings";
/// The exam's diagnosis list (`dbo.ExamDiagnoses`).
pub const DIAGNOSES: &str = "ExamDiagnoses";
/// Appended exam notes (`dbo.ExamNotes`).
pub const NOTES: &str = "ExamNotes";

/// What `dbo.ExamDiagnoses` takes: dotted codes (at most 8 characters, in a 10-wide
/// column), descriptions of at most 255 characters, one primary.
pub const DIAGNOSIS_RULES: DiagnosisRules = DiagnosisRules {
    ehr: "OfficeMate",
    dotted: true,
    description_max: 255,
    ascii: false,
    max_primary: 1,
};

/// A time of day as `HH:MM` (24-hour).
pub fn is_time_of_day(s: &str) -> bool {
    let Some((h, m)) = s.split_once(':') else {
        return false;
    };
    let two = |t: &str| t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit());
    two(h) && two(m) && h < "24" && m < "60"
}

fn is_iop_method(s: &str) -> bool {
    s.chars().count() <= 20 && !s.trim().is_empty()
}

/// The whole mapping, in charting order.
pub fn mapping() -> Mapping {
    let mut m = Mapping::new()
        .text("chief_complaint", EXAM, "ChiefComplaint")
        .max_len(255)
        .text("hpi", EXAM, "HPI")
        .max_len(20000);
    for (field, column) in [
        ("va.distance.sc.od", "DistanceScOD"),
        ("va.distance.sc.os", "DistanceScOS"),
        ("va.distance.sc.ou", "DistanceScOU"),
        ("va.distance.cc.od", "DistanceCcOD"),
        ("va.distance.cc.os", "DistanceCcOS"),
        ("va.distance.cc.ou", "DistanceCcOU"),
        ("va.near.cc.od", "NearCcOD"),
        ("va.near.cc.os", "NearCcOS"),
        ("va.near.cc.ou", "NearCcOU"),
    ] {
        m = m
            .text(field, VA, column)
            .validate(is_snellen_acuity, "Snellen 20/NN[+-n] or CF, HM, LP, NLP");
    }
    for (eye, section) in [("od", RX_OD), ("os", RX_OS)] {
        let f = |part: &str| format!("refraction.manifest.{eye}.{part}");
        m = m
            .number(&f("sphere"), section, "Sphere")
            .decimals(2)
            .range(-30.0, 30.0)
            .number(&f("cylinder"), section, "Cylinder")
            .decimals(2)
            .range(-15.0, 15.0)
            .number(&f("axis"), section, "Axis")
            .integer()
            .range(0.0, 180.0)
            .number(&f("add"), section, "AddPower")
            .decimals(2)
            .range(0.0, 4.0);
    }
    for (eye, section) in [("od", K_OD), ("os", K_OS)] {
        let f = |part: &str| format!("keratometry.{eye}.{part}");
        m = m
            .number(&f("k1"), section, "K1")
            .decimals(2)
            .range(30.0, 60.0)
            .number(&f("k2"), section, "K2")
            .decimals(2)
            .range(30.0, 60.0)
            .number(&f("axis"), section, "K1Axis")
            .integer()
            .range(0.0, 180.0);
    }
    m = m
        .number("iop.od", IOP, "IopOD")
        .integer()
        .range(0.0, 80.0)
        .number("iop.os", IOP, "IopOS")
        .integer()
        .range(0.0, 80.0)
        .text("iop.method", IOP, "Method")
        .validate(is_iop_method, "a method name of at most 20 characters")
        .text("iop.time", IOP, "MeasuredAt")
        .validate(is_time_of_day, "a time of day HH:MM")
        .findings_by_code(FINDINGS, 1000);
    m.text("assessment", EXAM, "Assessment")
        .max_len(20000)
        .text("plan", EXAM, "TreatmentPlan")
        .max_len(20000)
        .raw("diagnoses", DIAGNOSES, "ICD10Code")
        .text("notes", NOTES, "NoteText")
        .max_len(20000)
        .unmapped(
            "procedures",
            "procedures are billed in OfficeMate's fee slips, which this adapter does not write",
        )
}
