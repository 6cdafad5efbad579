//! Catalog field → Eyefinity exam-document element.
//!
//! The whole exam is one document per visit, so every rule's section is
//! [`ELEMENTS`] (the document's `elements` object) and its name is the form's element id.
//! Two targets are not elements: [`DIAGNOSES`] (the document's diagnosis list, shaped by
//! the write flow) and [`NOTE`] (the document's note).
//!
//! Eyefinity stores UTF-8, so text is never transliterated; it is only cut to each
//! element's length limit, with a warning. Its form has keratometry but no vitals, and
//! billing lives elsewhere.

use ehr_adapter_sdk::icd10::DiagnosisRules;
use ehr_adapter_sdk::mapping::Mapping;
use ehr_adapter_sdk::text::is_clock_time;

/// Section of the rules whose targets are document elements.
pub const ELEMENTS: &str = "elements";
/// Pseudo-section for the `diagnoses` field: the document's diagnosis list.
pub const DIAGNOSES: &str = "diagnoses";
/// Pseudo-section for the `notes` field: the document's note.
pub const NOTE: &str = "note";

/// The EHR's limit on the document note, in characters.
pub const NOTE_MAX: usize = 4000;
/// What the document's diagnosis list takes: dotted codes, UTF-8 texts of at most 255
/// characters, one primary.
pub const DIAGNOSIS_RULES: DiagnosisRules = DiagnosisRules {
    ehr: "Eyefinity",
    dotted: true,
    description_max: 255,
    ascii: false,
    max_primary: 1,
};

fn text(m: Mapping, field: &str, element: &str, max: usize) -> Mapping {
    m.text(field, ELEMENTS, element).max_len(max)
}

fn number(m: Mapping, field: &str, element: &str, decimals: u32, min: f64, max: f64) -> Mapping {
    m.number(field, ELEMENTS, element)
        .decimals(decimals)
        .range(min, max)
}

fn whole(m: Mapping, field: &str, element: &str, min: f64, max: f64) -> Mapping {
    m.number(field, ELEMENTS, element).integer().range(min, max)
}

const EYES: [(&str, &str); 2] = [("od", "OD"), ("os", "OS")];

const SLIT_LAMP: [(&str, &str); 6] = [
    ("lids", "LIDS"),
    ("conjunctiva", "CONJ"),
    ("cornea", "CORNEA"),
    ("anterior_chamber", "AC"),
    ("iris", "IRIS"),
    ("lens", "LENS"),
];

const FUNDUS: [(&str, &str); 5] = [
    ("disc", "DISC"),
    ("macula", "MACULA"),
    ("vessels", "VESSELS"),
    ("periphery", "PERIPHERY"),
    ("vitreous", "VITREOUS"),
];

/// The whole mapping, in the order of the EHR's exam form.
pub fn mapping() -> Mapping {
    let mut m = Mapping::new();
    m = text(m, "chief_complaint", "CC", 1000);
    m = text(m, "hpi", "HPI", 8000);

    for (field, element) in [
        ("va.distance.sc.od", "VA_DSC_OD"),
        ("va.distance.sc.os", "VA_DSC_OS"),
        ("va.distance.sc.ou", "VA_DSC_OU"),
        ("va.distance.cc.od", "VA_DCC_OD"),
        ("va.distance.cc.os", "VA_DCC_OS"),
        ("va.distance.cc.ou", "VA_DCC_OU"),
        ("va.near.cc.od", "VA_NCC_OD"),
        ("va.near.cc.os", "VA_NCC_OS"),
        ("va.near.cc.ou", "VA_NCC_OU"),
    ] {
        m = text(m, field, element, 12);
    }

    for (eye, e) in EYES {
        let f = |part: &str| format!("refraction.manifest.{eye}.{part}");
        m = number(m, &f("sphere"), &format!("MRX_{e}_SPH"), 2, -30.0, 30.0);
        m = number(m, &f("cylinder"), &format!("MRX_{e}_CYL"), 2, -15.0, 15.0);
        m = whole(m, &f("axis"), &format!("MRX_{e}_AXIS"), 0.0, 180.0);
        m = number(m, &f("add"), &format!("MRX_{e}_ADD"), 2, 0.0, 4.0);
    }

    m = whole(m, "iop.od", "IOP_OD", 0.0, 80.0);
    m = whole(m, "iop.os", "IOP_OS", 0.0, 80.0);
    m = text(m, "iop.method", "IOP_METHOD", 20);
    m = m
        .text("iop.time", ELEMENTS, "IOP_TIME")
        .validate(is_clock_time, "a 24-hour time HH:MM")
        .max_len(5);

    // Eyefinity's form has keratometry, unlike RevolutionEHR's API.
    for (eye, e) in EYES {
        m = number(
            m,
            &format!("keratometry.{eye}.k1"),
            &format!("K_{e}_K1"),
            2,
            30.0,
            60.0,
        );
        m = number(
            m,
            &format!("keratometry.{eye}.k2"),
            &format!("K_{e}_K2"),
            2,
            30.0,
            60.0,
        );
        m = whole(
            m,
            &format!("keratometry.{eye}.axis"),
            &format!("K_{e}_AXIS"),
            0.0,
            180.0,
        );
    }

    m = text(m, "pupils", "PUPILS", 250);
    for (eye, e) in EYES {
        for (part, code) in SLIT_LAMP {
            m = text(
                m,
                &format!("slit_lamp.{eye}.{part}"),
                &format!("SLE_{e}_{code}"),
                500,
            );
        }
    }
    for (eye, e) in EYES {
        m = number(
            m,
            &format!("fundus.{eye}.cup_disc_ratio"),
            &format!("DFE_{e}_CD"),
            2,
            0.0,
            1.0,
        );
        for (part, code) in FUNDUS {
            m = text(
                m,
                &format!("fundus.{eye}.{part}"),
                &format!("DFE_{e}_{code}"),
                500,
            );
        }
    }

    for vital in [
        "vitals.bp_systolic",
        "vitals.bp_diastolic",
        "vitals.pulse",
        "vitals.temperature",
        "vitals.height",
        "vitals.weight",
    ] {
        m = m.unmapped(vital, "Eyefinity's exam form has no vitals elements");
    }

    m = text(m, "assessment", "ASSESSMENT", 6000);
    m = text(m, "plan", "PLAN", 6000);
    m = m.raw("diagnoses", DIAGNOSES, "list").note(
        "the document's diagnosis list; ICD-10-CM code, eye R/L/B/none, primary flag; text \
         UTF-8, max 255 chars; a code listed twice for one eye written once",
    );
    m = m.unmapped(
        "procedures",
        "procedures are billed in Eyefinity's practice management, not in the exam document",
    );
    m.text("notes", NOTE, "text")
        .max_len(NOTE_MAX)
        .note("the document's note (one per visit, replaced by each save)")
}
