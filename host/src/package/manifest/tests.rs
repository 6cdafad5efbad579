use super::*;

fn manifest() -> Manifest {
    Manifest {
        id: "demo".into(),
        version: "1.0.0".parse().unwrap(),
        ehr: "Demo EHR".into(),
        contract: "0.1.0".parse().unwrap(),
        description: "Writes exams into Demo EHR — für Ärzte ✓".into(),
        capabilities: Requested {
            http: vec!["https://*.demo.com".into(), "config:base_url".into()],
            databases: vec!["ehr".into()],
        },
    }
}

// A normal manifest, accents and symbols included, passes.
#[test]
fn plain_manifest_passes() {
    manifest().check().unwrap();
}

// A 30 MB description, or an oversized EHR name, is refused naming the field and limit.
#[test]
fn oversized_fields_are_named() {
    let mut m = manifest();
    m.description = "x".repeat(30 << 20);
    let e = m.check().unwrap_err();
    assert!(
        e.contains("`description`")
            && e.contains("31457280 characters")
            && e.contains("limit is 1000"),
        "{e}"
    );
    let mut m = manifest();
    m.ehr = "E".repeat(101);
    assert!(m
        .check()
        .unwrap_err()
        .contains("`ehr` is 101 characters long; the limit is 100"));
    let mut m = manifest();
    m.version = format!("1.0.0-{}", "a".repeat(80)).parse().unwrap();
    assert!(m.check().unwrap_err().contains("`version`"));
    let mut m = manifest();
    m.version = "1.0.0".parse().unwrap();
    m.contract = format!("0.1.0+{}", "b".repeat(70)).parse().unwrap();
    assert!(m.check().unwrap_err().contains("`contract`"));
}

// Escapes, newlines and bidi overrides are refused in every text field, and the message
// shows them neutralised.
#[test]
fn control_characters_are_refused() {
    for bad in [
        "Rev\x1b[2J",
        "Rev\nINFO forged",
        "Rev\u{202e}gpj.exe",
        "Rev\r",
    ] {
        let mut m = manifest();
        m.ehr = bad.into();
        let e = m.check().unwrap_err();
        assert!(e.contains("`ehr` holds control characters"), "{e}");
        assert!(crate::untrusted::is_clean(&e), "{e:?}");
        let mut m = manifest();
        m.description = bad.into();
        assert!(m.check().unwrap_err().contains("`description`"));
        let mut m = manifest();
        m.capabilities.http = vec![format!("https://{bad}")];
        assert!(m.check().unwrap_err().contains("`capabilities.http`"));
    }
}

// Origins must look like origins or `config:` keys; labels like labels; both are counted.
#[test]
fn requests_are_shaped_and_counted() {
    let mut m = manifest();
    m.capabilities.http = vec!["javascript:alert(1)".into()];
    assert!(m.check().unwrap_err().contains("neither an origin"));
    let mut m = manifest();
    m.capabilities.databases = vec!["EHR; DROP".into()];
    assert!(m.check().unwrap_err().contains("not a database label"));
    let mut m = manifest();
    m.capabilities.http = vec!["https://a.com".into(); 33];
    assert!(m
        .check()
        .unwrap_err()
        .contains("33 entries; the limit is 32"));
}
