use super::*;

/// What a case expects: the ASCII text written, or `Err` with a word the reason contains.
enum Want {
    Text(&'static str),
    Refused(&'static str),
}

// The table of text cases for ASCII-only targets (issue 11 point 8): NFC before
// anything, faithful transliteration, invisible characters removed, and no bare `?` ever:
// what has no faithful form is refused with a reason naming it.
#[test]
fn ascii_text_cases() {
    use Want::*;
    let cases: &[(&str, Want)] = &[
        ("plain ASCII stays", Text("plain ASCII stays")),
        ("Visión borrosa", Text("Vision borrosa")),
        // Decomposed (NFD) and precomposed accents give the same text.
        ("Vi\u{73}i\u{301}on", Text("Vision")),
        ("Nu\u{301}n\u{303}ez", Text("Nunez")),
        ("Straße", Text("Strasse")),
        ("Œdème cornéen, Ærø", Text("OEdeme corneen, AEro")),
        ("“quoted” ‘single’", Text("\"quoted\" 'single'")),
        ("«halos»", Text("\"halos\"")),
        ("OD — OS – OU −0.50", Text("OD - OS - OU -0.50")),
        ("½ tab, ¼ dose", Text("1/2 tab, 1/4 dose")),
        ("IOP 18° ± 2", Text("IOP 18 deg +/- 2")),
        ("wait…", Text("wait...")),
        ("non\u{a0}breaking", Text("non breaking")),
        // Zero-width characters vanish instead of becoming visible `?`.
        ("no\u{200B} APD\u{200D}", Text("no APD")),
        ("\u{FEFF}BOM first", Text("BOM first")),
        ("soft\u{AD}hyphen", Text("softhyphen")),
        ("視界がぼやける", Refused("CJK")),
        ("pain 😣", Refused("emoji")),
        ("Глаз", Refused("Cyrillic")),
        ("next line \u{85}", Refused("control")),
    ];
    for (input, want) in cases {
        let got = to_ascii(input, &NonAscii::Refuse);
        match (want, got) {
            (Text(t), Ok(a)) => {
                assert_eq!(a.text, *t, "{input:?}");
                assert!(a.text.is_ascii() && !a.text.contains('?'), "{input:?}");
            }
            (Refused(word), Err(reason)) => {
                assert!(reason.contains(word), "{input:?}: {reason}");
                assert!(reason.contains("non_ascii_marker"), "{reason}");
            }
            (_, got) => panic!("{input:?}: unexpected {got:?}"),
        }
    }
}

// With the practice's marker, unwritable characters become the marker (each one), and
// the warning names them; transliterations are listed with what they became.
#[test]
fn marker_and_warning() {
    let marker = NonAscii::Marker("[?]".into());
    let a = to_ascii("Douleur — 視界", &marker).unwrap();
    assert_eq!(a.text, "Douleur - [?][?]");
    let w = a.warning().unwrap();
    assert_eq!(w.kind, WarningKind::CharactersReplaced);
    assert!(w.message.contains("'—' as '-'"), "{}", w.message);
    assert!(w.message.contains("'視' (U+8996, CJK)"), "{}", w.message);

    // Invisible characters alone change nothing a reader sees: no warning.
    let a = to_ascii("no\u{200B} APD", &NonAscii::Refuse).unwrap();
    assert_eq!(a.warning(), None);
    // Long lists are cut at five characters.
    let e = to_ascii("一二三四五六七", &NonAscii::Refuse).unwrap_err();
    assert!(e.contains("and 2 more"), "{e}");
}

// Acuities EHR columns accept, and near misses they reject.
#[test]
fn snellen_acuities() {
    for ok in ["20/20", "20/40-2", "20/400", "20/25+1", "CF", "NLP"] {
        assert!(is_snellen_acuity(ok), "{ok}");
    }
    for bad in [
        "20/4", "20/4000", "20/40-", "20/40-12", "6/6", "cf", "20/ 40", "",
    ] {
        assert!(!is_snellen_acuity(bad), "{bad}");
    }
}
