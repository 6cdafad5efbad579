//! Catalog field → RevolutionEHR target.
//!
//! Exam fields are written per section with `PUT /api/v1/encounters/{id}/exam/{section}`,
//! so a rule's section is the URL segment and its name is the EHR's JSON field name.
//! Two targets are not exam sections and are written by their own endpoints:
//! [`DIAGNOSES_SECTION`] (the encounter's diagnosis list) and [`NOTES_SECTION`] (an
//! appended chart note).
//!
//! Every string the EHR stores is ASCII-only (its legacy database), so every text rule is
//! `ascii_only` with the EHR's length limit. Values the EHR would refuse (bad Snellen,
//! unknown tonometry method, out-of-range numbers, lens powers off the quarter-dioptre
//! grid) are skipped or rounded by the mapping rather than sent and refused.

use ehr_adapter_sdk::icd10::DiagnosisRules;
use ehr_adapter_sdk::mapping::{Mapping, Unit};
use ehr_adapter_sdk::text::is_clock_time;

/// Pseudo-section for the `diagnoses` field: written with `PUT .../diagnoses`.
pub const DIAGNOSES_SECTION: &str = "diagnoses";
/// Pseudo-section for the `notes` field: written with `POST .../notes`.
pub const NOTES_SECTION: &str = "notes";

/// The EHR's limit on a chart note, in characters.
pub const NOTE_MAX: usize = 2000;
/// What the EHR's diagnosis list takes: dotted codes, ASCII descriptions of at most 500
/// characters, one primary.
pub const DIAGNOSIS_RULES: DiagnosisRules = DiagnosisRules {
    ehr: "RevolutionEHR",
    dotted: true,
    description_max: 500,
    ascii: true,
    max_primary: 1,
};

/// True for the pseudo-sections that are not `exam/{section}` endpoints and whose names
/// are not template fields.
pub fn is_exam_section(section: &str) -> bool {
    section != DIAGNOSES_SECTION && section != NOTES_SECTION
}

/// The tonometry methods the EHR's `iopMethod` accepts, spelled exactly.
pub const IOP_METHODS: [&str; 4] = ["Goldmann", "iCare", "NCT", "Tonopen"];

/// True for one of [`IOP_METHODS`].
pub fn is_iop_method(s: &str) -> bool {
    IOP_METHODS.contains(&s)
}

/// Adds a free-text exam field: ASCII-only, cut to the EHR's limit.
fn text(m: Mapping, field: &str, section: &str, name: &str, max: usize) -> Mapping {
    m.text(field, section, name).ascii_only().max_len(max)
}

/// Adds a visual-acuity field. `20/400-2` is the longest valid value (8 characters), so
/// the length limit never cuts a value that passed the format check.
fn acuity(m: Mapping, field: &str, name: &str) -> Mapping {
    m.text(field, "visual-acuity", name)
        .ascii_only()
        .validate(
            ehr_adapter_sdk::text::is_snellen_acuity,
            "Snellen 20/NN[+-n] or CF, HM, LP, NLP",
        )
        .max_len(8)
}

/// Adds a lens-power field: dioptres within `min..=max` on the catalog's quarter-dioptre
/// step, which the EHR requires: an off-step value (-1.13) is rounded to it (-1.25) with
/// a `rounded` warning naming both, instead of the EHR refusing the whole section.
fn power(m: Mapping, field: &str, name: &str, min: f64, max: f64) -> Mapping {
    m.number(field, "refraction", name)
        .catalog_step()
        .decimals(2)
        .range(min, max)
}

/// Adds a whole-number field within `0..=max`.
fn whole(m: Mapping, field: &str, section: &str, name: &str, max: f64) -> Mapping {
    m.number(field, section, name).integer().range(0.0, max)
}

/// Adds the free-text fields of one eye's slit-lamp or fundus exam.
fn per_eye_text(
    mut m: Mapping,
    section: &str,
    catalog_prefix: &str,
    ehr_prefix: &str,
    parts: &[(&str, &str)],
) -> Mapping {
    for (catalog, ehr) in parts {
        m = text(
            m,
            &format!("{catalog_prefix}.{catalog}"),
            section,
            &format!("{ehr_prefix}{ehr}"),
            1000,
        );
    }
    m
}

const SLIT_LAMP: [(&str, &str); 6] = [
    ("lids", "Lids"),
    ("conjunctiva", "Conjunctiva"),
    ("cornea", "Cornea"),
    ("anterior_chamber", "AnteriorChamber"),
    ("iris", "Iris"),
    ("lens", "Lens"),
];

const FUNDUS: [(&str, &str); 5] = [
    ("disc", "Disc"),
    ("macula", "Macula"),
    ("vessels", "Vessels"),
    ("periphery", "Periphery"),
    ("vitreous", "Vitreous"),
];

/// The whole mapping, in the order a comprehensive exam is charted (which is also the
/// order sections are written in, as sections are written in first-appearance order of
/// the snapshot's fields).
pub fn mapping() -> Mapping {
    let mut m = Mapping::new();

    // History.
    m = text(m, "chief_complaint", "history", "chiefComplaint", 500);
    m = text(m, "hpi", "history", "hpi", 4000);

    // Visual acuity: Snellen strings, checked against the EHR's pattern.
    for (field, name) in [
        ("va.distance.sc.od", "distScOd"),
        ("va.distance.sc.os", "distScOs"),
        ("va.distance.sc.ou", "distScOu"),
        ("va.distance.cc.od", "distCcOd"),
        ("va.distance.cc.os", "distCcOs"),
        ("va.distance.cc.ou", "distCcOu"),
        ("va.near.cc.od", "nearCcOd"),
        ("va.near.cc.os", "nearCcOs"),
        ("va.near.cc.ou", "nearCcOu"),
    ] {
        m = acuity(m, field, name);
    }

    // Manifest refraction.
    for (eye, e) in [("od", "Od"), ("os", "Os")] {
        let f = |part: &str| format!("refraction.manifest.{eye}.{part}");
        let n = |part: &str| format!("mrx{e}{part}");
        m = power(m, &f("sphere"), &n("Sphere"), -30.0, 30.0);
        m = power(m, &f("cylinder"), &n("Cylinder"), -15.0, 15.0);
        m = whole(m, &f("axis"), "refraction", &n("Axis"), 180.0);
        m = power(m, &f("add"), &n("Add"), 0.0, 4.0);
    }

    // Tonometry.
    m = whole(m, "iop.od", "iop", "iopOd", 80.0);
    m = whole(m, "iop.os", "iop", "iopOs", 80.0)
        .text("iop.method", "iop", "iopMethod")
        .ascii_only()
        .validate(is_iop_method, "one of Goldmann, iCare, NCT, Tonopen")
        .max_len(8)
        .text("iop.time", "iop", "iopTime")
        .ascii_only()
        .validate(is_clock_time, "a 24-hour time HH:MM")
        .max_len(5);

    // RevolutionEHR's public API has no keratometry resource: Ks stay in the scribe's
    // record and are reported as not written.
    for eye in ["od", "os"] {
        for part in ["k1", "k2", "axis"] {
            let reason = "RevolutionEHR's API has no keratometry endpoint";
            m = m.unmapped(&format!("keratometry.{eye}.{part}"), reason);
        }
    }

    m = text(m, "pupils", "pupils", "pupils", 200);

    // Slit lamp and fundus, per eye.
    for (eye, ehr_eye) in [("od", "od"), ("os", "os")] {
        m = per_eye_text(
            m,
            "slit-lamp",
            &format!("slit_lamp.{eye}"),
            ehr_eye,
            &SLIT_LAMP,
        );
    }
    m = m
        .number("fundus.od.cup_disc_ratio", "fundus", "odCdRatio")
        .decimals(2)
        .range(0.0, 1.0)
        .number("fundus.os.cup_disc_ratio", "fundus", "osCdRatio")
        .decimals(2)
        .range(0.0, 1.0);
    for (eye, ehr_eye) in [("od", "od"), ("os", "os")] {
        m = per_eye_text(m, "fundus", &format!("fundus.{eye}"), ehr_eye, &FUNDUS);
    }

    // Vitals. The catalog is metric; the EHR stores US units. The ranges are the EHR's
    // own limits (the temperature range is the catalog's 30..45 degC in degF), so an
    // implausible value is reported as invalid instead of failing the whole section.
    m = whole(m, "vitals.bp_systolic", "vitals", "bpSystolic", 300.0);
    m = whole(m, "vitals.bp_diastolic", "vitals", "bpDiastolic", 200.0);
    m = whole(m, "vitals.pulse", "vitals", "pulse", 300.0);
    for (field, name, from, to, max) in [
        (
            "vitals.temperature",
            "tempF",
            Unit::Celsius,
            Unit::Fahrenheit,
            113.0,
        ),
        (
            "vitals.height",
            "heightIn",
            Unit::Centimetre,
            Unit::Inch,
            120.0,
        ),
        (
            "vitals.weight",
            "weightLb",
            Unit::Kilogram,
            Unit::Pound,
            1500.0,
        ),
    ] {
        let min = if name == "tempF" { 86.0 } else { 0.0 };
        m = m
            .number(field, "vitals", name)
            .convert(from, to)
            .decimals(1)
            .range(min, max);
    }

    // Assessment and plan.
    m = text(m, "assessment", "assessment-plan", "assessment", 4000);
    m = text(m, "plan", "assessment-plan", "plan", 4000);

    // Diagnoses are shaped by the SDK (`Plan::shape_diagnoses` with `DIAGNOSIS_RULES`).
    m = m.raw("diagnoses", DIAGNOSES_SECTION, "list").note(
        "replaces the encounter's diagnosis list; ICD-10-CM code, eye OD/OS/OU/none, primary \
         flag; descriptions ASCII, max 500 chars; a code listed twice for one eye written once",
    );

    // Billing lives in the practice-management product, not the exam.
    m = m.unmapped(
        "procedures",
        "procedures are billed in RevolutionPM, not written from the exam",
    );

    // Notes are appended (POST), one per job; the job's idempotency key keeps a retry
    // from appending a second copy.
    m.text("notes", NOTES_SECTION, "text")
        .ascii_only()
        .max_len(NOTE_MAX)
        .note("appended as one chart note per job")
}
