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
//! unknown tonometry method, out-of-range numbers) are skipped as `invalid-value` by the
//! mapping rather than sent and refused, which would fail the whole section.

use ehr_adapter_sdk::mapping::{Mapping, Unit};

/// Pseudo-section for the `diagnoses` field: written with `PUT .../diagnoses`.
pub const DIAGNOSES_SECTION: &str = "diagnoses";
/// Pseudo-section for the `notes` field: written with `POST .../notes`.
pub const NOTES_SECTION: &str = "notes";

/// The EHR's limit on a chart note, in characters.
pub const NOTE_MAX: usize = 2000;
/// The EHR's limit on a diagnosis description, in characters.
pub const DIAGNOSIS_DESCRIPTION_MAX: usize = 500;

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

/// 24-hour `HH:MM`, 00:00 to 23:59.
pub fn is_clock_time(s: &str) -> bool {
    let Some((h, m)) = s.split_once(':') else {
        return false;
    };
    let two_digits = |t: &str| t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit());
    two_digits(h)
        && two_digits(m)
        && h.parse::<u8>().is_ok_and(|h| h < 24)
        && m.parse::<u8>().is_ok_and(|m| m < 60)
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

/// Adds a lens-power field: dioptres to two decimals within `min..=max`. The EHR also
/// requires quarter-dioptre steps; the catalog already records powers in 0.25 steps, so
/// values are passed through unchanged rather than silently snapped to the grid, and an
/// off-grid value comes back as a `rejected` error naming the field.
fn power(m: Mapping, field: &str, name: &str, min: f64, max: f64) -> Mapping {
    m.number(field, "refraction", name)
        .decimals(2)
        .range(min, max)
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
    for (eye, ehr_eye) in [("od", "Od"), ("os", "Os")] {
        m = power(
            m,
            &format!("refraction.manifest.{eye}.sphere"),
            &format!("mrx{ehr_eye}Sphere"),
            -30.0,
            30.0,
        );
        m = power(
            m,
            &format!("refraction.manifest.{eye}.cylinder"),
            &format!("mrx{ehr_eye}Cylinder"),
            -15.0,
            15.0,
        );
        m = m
            .number(
                &format!("refraction.manifest.{eye}.axis"),
                "refraction",
                &format!("mrx{ehr_eye}Axis"),
            )
            .integer()
            .range(0.0, 180.0);
        m = power(
            m,
            &format!("refraction.manifest.{eye}.add"),
            &format!("mrx{ehr_eye}Add"),
            0.0,
            4.0,
        );
    }

    // Tonometry.
    m = m
        .number("iop.od", "iop", "iopOd")
        .integer()
        .range(0.0, 80.0)
        .number("iop.os", "iop", "iopOs")
        .integer()
        .range(0.0, 80.0)
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
    for k in [
        "keratometry.od.k1",
        "keratometry.od.k2",
        "keratometry.od.axis",
        "keratometry.os.k1",
        "keratometry.os.k2",
        "keratometry.os.axis",
    ] {
        m = m.unmapped(k, "RevolutionEHR's API has no keratometry endpoint");
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
    m = m
        .number("vitals.bp_systolic", "vitals", "bpSystolic")
        .integer()
        .range(0.0, 300.0)
        .number("vitals.bp_diastolic", "vitals", "bpDiastolic")
        .integer()
        .range(0.0, 200.0)
        .number("vitals.pulse", "vitals", "pulse")
        .integer()
        .range(0.0, 300.0)
        .number("vitals.temperature", "vitals", "tempF")
        .convert(Unit::Celsius, Unit::Fahrenheit)
        .decimals(1)
        .range(86.0, 113.0)
        .number("vitals.height", "vitals", "heightIn")
        .convert(Unit::Centimetre, Unit::Inch)
        .decimals(1)
        .range(0.0, 120.0)
        .number("vitals.weight", "vitals", "weightLb")
        .convert(Unit::Kilogram, Unit::Pound)
        .decimals(1)
        .range(0.0, 1500.0);

    // Assessment and plan.
    m = text(m, "assessment", "assessment-plan", "assessment", 4000);
    m = text(m, "plan", "assessment-plan", "plan", 4000);

    // Diagnoses are shaped by the write flow (see `write::shape_diagnoses`).
    m = m.raw("diagnoses", DIAGNOSES_SECTION, "list");

    // Billing lives in the practice-management product, not the exam.
    m = m.unmapped(
        "procedures",
        "procedures are billed in RevolutionPM, not written from the exam",
    );

    // Notes are appended (POST), one per job; the job's idempotency key keeps a retry
    // from appending a second copy.
    m = m
        .text("notes", NOTES_SECTION, "text")
        .ascii_only()
        .max_len(NOTE_MAX);

    m
}

/// What `describe` adds to a rule's note, for rules whose handling is not expressed by
/// the mapping's modifiers.
pub fn extra_note(field: &str) -> Option<&'static str> {
    match field {
        "diagnoses" => Some(
            "replaces the encounter's diagnosis list; ICD-10-CM code, eye OD/OS/OU/none, \
             primary flag; descriptions ASCII (other characters replaced), max 500 chars",
        ),
        "notes" => Some("appended as one chart note per job"),
        _ => None,
    }
}
