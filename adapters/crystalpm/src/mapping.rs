//! Catalog field → CrystalPM table and column.
//!
//! A rule's section names the table (and, for refraction, the eye's row); its name is
//! the column, or for `ehr_findings` the finding code. These names are constants of this
//! crate and are the only text ever placed into SQL; every value travels as a parameter.

use ehr_adapter_sdk::icd10::DiagnosisRules;
use ehr_adapter_sdk::mapping::Mapping;
use ehr_adapter_sdk::text::is_snellen_acuity;

/// The exam header and free text (`ehr_file`).
pub const FILE: &str = "ehr_file";
/// Visual acuity (`ehr_va`).
pub const VA: &str = "ehr_va";
/// Manifest refraction, right eye (`ehr_refraction`, eye `OD`).
pub const RX_OD: &str = "ehr_refraction.od";
/// Manifest refraction, left eye (`ehr_refraction`, eye `OS`).
pub const RX_OS: &str = "ehr_refraction.os";
/// Intraocular pressure (`ehr_iop`).
pub const IOP: &str = "ehr_iop";
/// Exam findings by code (`ehr_findings`).
pub const FINDINGS: &str = "ehr_findings";
/// The encounter's diagnosis list (`ehr_diagnoses`).
pub const DIAGNOSES: &str = "ehr_diagnoses";
/// Appended chart notes (`ehr_notes`).
pub const NOTES: &str = "ehr_notes";

/// What `ehr_diagnoses` takes: dotted codes (at most 8 characters, in a 10-wide
/// column), UTF-8 descriptions of at most 255 characters, one primary.
pub const DIAGNOSIS_RULES: DiagnosisRules = DiagnosisRules {
    ehr: "CrystalPM",
    dotted: true,
    description_max: 255,
    ascii: false,
    max_primary: 1,
};

fn is_iop_method(s: &str) -> bool {
    s.chars().count() <= 20 && !s.trim().is_empty()
}

/// The whole mapping, in charting order.
pub fn mapping() -> Mapping {
    let mut m = Mapping::new()
        .text("chief_complaint", FILE, "chief_complaint")
        .max_len(255)
        .text("hpi", FILE, "hpi")
        .max_len(20000);
    for (field, column) in [
        ("va.distance.sc.od", "dist_sc_od"),
        ("va.distance.sc.os", "dist_sc_os"),
        ("va.distance.cc.od", "dist_cc_od"),
        ("va.distance.cc.os", "dist_cc_os"),
        ("va.near.cc.od", "near_cc_od"),
        ("va.near.cc.os", "near_cc_os"),
    ] {
        m = m
            .text(field, VA, column)
            .validate(is_snellen_acuity, "Snellen 20/NN[+-n] or CF, HM, LP, NLP");
    }
    for (eye, section) in [("od", RX_OD), ("os", RX_OS)] {
        let f = |part: &str| format!("refraction.manifest.{eye}.{part}");
        m = m
            .number(&f("sphere"), section, "sphere")
            .decimals(2)
            .range(-30.0, 30.0)
            .number(&f("cylinder"), section, "cylinder")
            .decimals(2)
            .range(-15.0, 15.0)
            .number(&f("axis"), section, "axis")
            .integer()
            .range(0.0, 180.0)
            .number(&f("add"), section, "add_power")
            .decimals(2)
            .range(0.0, 4.0);
    }
    m = m
        .number("iop.od", IOP, "iop_od")
        .integer()
        .range(0.0, 80.0)
        .number("iop.os", IOP, "iop_os")
        .integer()
        .range(0.0, 80.0)
        .text("iop.method", IOP, "method")
        .validate(is_iop_method, "a method name of at most 20 characters")
        .findings_by_code(FINDINGS, 1000);
    m.text("assessment", FILE, "assessment")
        .max_len(20000)
        .text("plan", FILE, "plan")
        .max_len(20000)
        .raw("diagnoses", DIAGNOSES, "icd10")
        .text("notes", NOTES, "note_text")
        .max_len(20000)
        .unmapped("va.distance.sc.ou", "CrystalPM records acuity per eye only")
        .unmapped("va.distance.cc.ou", "CrystalPM records acuity per eye only")
        .unmapped("va.near.cc.ou", "CrystalPM records acuity per eye only")
        .unmapped("iop.time", "CrystalPM's IOP record has no time column")
        .unmapped(
            "procedures",
            "procedures are billed in CrystalPM's billing module, which this adapter does not write",
        )
}
