use super::*;
use crate::runtime::bindings::latest::{FieldValue, Laterality};

fn doc(fields: &str) -> String {
    format!(
        r#"{{"job_id":"J-1","patient":{{"id":"P1","first_name":"Ann","last_name":"Lee","date_of_birth":"1970-03-02"}},
            "encounter_id":"E1","encounter_date":"2026-11-21","template":{{"id":"T"}},"fields":{fields}}}"#
    )
}

// A well-formed snapshot parses, keeping the document's field order and typed values.
#[test]
fn valid_snapshot_parses_in_order() {
    let s = parse(&doc(r#"{"iop.od":17,"chief_complaint":"blur","diagnoses":[{"code":"H40.1131","laterality":"both","primary":true}]}"#)).unwrap();
    let ids: Vec<_> = s.fields.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["iop.od", "chief_complaint", "diagnoses"]);
    assert!(
        matches!(&s.fields[2].value, FieldValue::Diagnoses(d) if d[0].laterality == Laterality::Both)
    );
}

// Every bad field is named in one report: unknown ids, wrong kinds, out-of-range
// numbers, bad codes, a bad date and nulls.
#[test]
fn every_problem_is_named() {
    let text = doc(
        r#"{"iop.od":"seventeen","iop.os":95,"foo.bar":1,"notes":null,
        "diagnoses":[{"code":"not-a-code"}],"procedures":[{"code":"92014","units":0}]}"#,
    )
    .replace("2026-11-21", "2026-02-30");
    let e = parse(&text).unwrap_err();
    let all = e.0.join("\n");
    for needle in [
        "fields.iop.od: expected a number in mmHg",
        "fields.iop.os: 95 is outside 0..80",
        "fields.foo.bar: not a catalog field",
        "fields.notes: is null",
        "fields.diagnoses: [0]: `not-a-code` is not an ICD-10-CM code",
        "fields.procedures: [0]: units must be at least 1",
        "encounter_date: `2026-02-30` is not a date",
    ] {
        assert!(all.contains(needle), "missing `{needle}` in:\n{all}");
    }
    assert_eq!(e.0.len(), 7);
}

// Structural problems (unknown top-level key, missing key) are refused with the key.
#[test]
fn structure_errors() {
    let e = parse(&doc("{}").replace("\"job_id\"", "\"jobid\"")).unwrap_err();
    assert!(e.to_string().contains("jobid"), "{e}");
    let e = parse(&doc("{}")).unwrap_err();
    assert!(e.to_string().contains("no clinical fields"), "{e}");
}

// A UTF-8 byte-order mark (as Windows editors save) is accepted.
#[test]
fn byte_order_mark_is_accepted() {
    let text = format!("\u{feff}{}", doc(r#"{"iop.od":17}"#));
    assert_eq!(parse(&text).unwrap().fields.len(), 1);
}

// A key given twice anywhere is refused, naming it; nothing resolves silently.
#[test]
fn duplicate_keys_are_refused() {
    let e = parse(&doc(r#"{"iop.od":17,"iop.od":30}"#)).unwrap_err();
    assert!(
        e.to_string().contains("`fields.iop.od` appears twice"),
        "{e}"
    );
}

// An oversized snapshot is refused before it is read, naming the limit.
#[test]
fn oversized_snapshot_is_refused() {
    let note = "x".repeat(limits::MAX_SNAPSHOT_BYTES);
    let e = parse(&doc(&format!(r#"{{"notes":"{note}"}}"#))).unwrap_err();
    assert!(
        e.to_string().contains(&format!(
            "the limit is {} bytes",
            limits::MAX_SNAPSHOT_BYTES
        )),
        "{e}"
    );
}

// Control characters in echoed input cannot reach the terminal raw.
#[test]
fn echoed_input_is_clean() {
    let e = parse(&doc(r#"{"iop.od":17}"#).replace("2026-11-21", "\u{1b}[2J")).unwrap_err();
    assert!(!e.to_string().contains('\u{1b}'), "{e}");
}
