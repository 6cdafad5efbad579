//! Adapter and manifest text that tries to act on the operator's terminal or forge log
//! lines, driven through the real `hostile` component and the `ehr-host` binary: every
//! escape sequence comes out visible and inert, every adapter line stays one line, and a
//! manifest with such text (or a 30 MB description) is refused when signing and when
//! verifying, naming the field and the limit.

use ehr_e2e::{component, TempDir, TestHome};
use ehr_host::package::manifest::{Manifest, Requested};

/// The hostile text's screen clear, as the raw bytes that would act on a terminal.
const CLEAR_SCREEN: &str = "\x1b[2J";
/// The same, as the host must show it.
const SHOWN: &str = "\\u{1b}[2J";

fn config(mode: &str) -> String {
    format!("[adapters.hostile.settings]\nmode = \"{mode}\"\n")
}

async fn installed(mode: &str) -> TestHome {
    let home = TestHome::new(&config(mode));
    home.install("hostile").await;
    home
}

/// Asserts `text` holds no control character at all (but line breaks), shows the hostile
/// text's escapes visibly, and starts no line with the forged log line.
fn inert(text: &str) {
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\n' || c == '\u{202e}'),
        "raw control characters reached the output: {text:?}"
    );
    assert!(text.contains(SHOWN), "the escapes are not shown: {text}");
    assert!(
        !text
            .lines()
            .any(|l| l.trim_start().starts_with("INFO job J-FAKE")),
        "a forged line: {text}"
    );
}

// An adapter error full of escapes, printed by `ehr-host check`: exit 4 as the typed
// error says, and the escapes shown, inert, on the error's own line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escapes_in_an_adapter_error_cannot_act() {
    let home = installed("escape").await;
    let (code, out, err) = home.cli(&["check", "hostile"]);
    assert_eq!(code, 4, "{out}{err}");
    inert(&format!("{out}{err}"));
    assert!(
        !err.contains("EHR write succeeded, all fields written\n"),
        "{err}"
    );
    let (code, out, _) = home.cli(&["check", "hostile", "--json"]);
    assert_eq!(code, 4);
    inert(
        &serde_json::from_str::<serde_json::Value>(&out)
            .unwrap()
            .to_string(),
    );
}

// What `check`, `schedule` and `patient` print from a successful answer is inert too,
// in the human and the JSON forms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escapes_in_answers_cannot_act() {
    let home = installed("escape-report").await;
    let (code, out, err) = home.cli(&["check", "hostile"]);
    assert_eq!(code, 0, "{out}{err}");
    inert(&out);
    let home = installed("escape").await;
    for args in [
        &["schedule", "hostile", "--from", "2026-11-16"][..],
        &["schedule", "hostile", "--from", "2026-11-16", "--json"],
        &["patient", "hostile", "P1"],
        &["patient", "hostile", "P1", "--json"],
    ] {
        let (code, out, err) = home.cli(args);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        let shown = if args.contains(&"--json") {
            serde_json::from_str::<serde_json::Value>(&out)
                .unwrap()
                .to_string()
        } else {
            out
        };
        inert(&shown);
    }
}

// One adapter log line is one host log line: the newline cannot start a forged
// "job J-FAKE succeeded" line, the screen clear is shown, not sent, and a 100 000-
// character line is cut with a count of what was cut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_adapter_log_line_is_one_host_log_line() {
    let home = installed("log-forge").await;
    let (code, out, err) = home.cli(&["-v", "check", "hostile"]);
    assert_eq!(code, 0, "{out}{err}");
    let forged: Vec<&str> = err.lines().filter(|l| l.contains("J-FAKE")).collect();
    assert_eq!(forged.len(), 1, "{err}");
    assert!(
        forged[0].contains("hostile") && forged[0].contains("boom"),
        "{}",
        forged[0]
    );
    assert!(
        !err.lines().any(|l| l.starts_with("INFO job J-FAKE")),
        "{err}"
    );
    assert!(
        !err.contains(CLEAR_SCREEN) && !err.contains('\r'),
        "{err:?}"
    );
    assert!(err.contains(SHOWN), "{err}");
    let long = err.lines().find(|l| l.contains("xxxxxxxxxx")).unwrap();
    assert!(
        long.contains("more characters cut]") && long.len() < 5000,
        "{}",
        long.len()
    );
}

/// The built `hostile` component with its description replaced by `text` (same length).
fn patched(text: &str) -> Vec<u8> {
    let slot = b"hostile-description-slot-0123456789abcdefghijklmnopqrstuvwxyz";
    assert_eq!(
        text.len(),
        slot.len(),
        "the replacement must keep the length"
    );
    let mut wasm = component("hostile");
    let at = wasm
        .windows(slot.len())
        .position(|w| w == slot)
        .expect("the description slot is in the component");
    wasm[at..at + slot.len()].copy_from_slice(text.as_bytes());
    wasm
}

// A component that describes itself with escapes and a line break cannot be signed:
// `ehr-host sign` refuses, naming the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_describe_text_is_refused_when_signing() {
    let home = TestHome::new("");
    let dir = TempDir::new("hostile-sign");
    let (key, _) = home.key.write_pair(&dir.path().join("publisher")).unwrap();
    let wasm = dir.path().join("hostile.wasm");
    let text = "ok\x1b[2J\x1b[32mall fields written\x1b[0m\nINFO job J-FAKE ok!!!";
    std::fs::write(&wasm, patched(&format!("{text:<61}"))).unwrap();
    let out = dir.path().join("out.ehrpkg");
    let (code, stdout, err) = home.cli(&[
        "sign",
        wasm.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_ne!(code, 0, "{stdout}{err}");
    assert!(
        err.contains("manifest field `description` holds control characters"),
        "{err}"
    );
    assert!(
        !err.contains(CLEAR_SCREEN) && err.contains(SHOWN),
        "{err:?}"
    );
    assert!(!out.exists(), "a package was written");
}

// Packages signed by a trusted key but carrying a 30 MB description or an EHR name with
// escapes (built with the library, as a hostile publisher's own tool would) are refused
// by `verify` and `install` with exit 3, naming the field and the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_manifest_text_is_refused_when_verifying() {
    let home = TestHome::new("");
    let dir = TempDir::new("hostile-verify");
    let base = Manifest {
        id: "hostile".into(),
        version: "0.1.0".parse().unwrap(),
        ehr: "Test".into(),
        contract: "0.1.0".parse().unwrap(),
        description: String::new(),
        capabilities: Requested::default(),
    };
    let huge = Manifest {
        description: "x".repeat(30 << 20),
        ..base.clone()
    };
    let escaped = Manifest {
        ehr: "Test\x1b[2J\nINFO job J-FAKE succeeded".into(),
        ..base
    };
    for (manifest, words) in [
        (
            huge,
            "manifest field `description` is 31457280 characters long; the limit is 1000",
        ),
        (escaped, "manifest field `ehr` holds control characters"),
    ] {
        let bytes =
            ehr_host::package::verify::build_signed(&manifest, component("hostile"), &home.key);
        let path = dir.path().join("p.ehrpkg");
        std::fs::write(&path, bytes).unwrap();
        for cmd in ["verify", "install"] {
            let (code, out, err) = home.cli(&[cmd, path.to_str().unwrap()]);
            assert_eq!(code, 3, "{cmd}: {out}{err}");
            assert!(err.contains(words), "{cmd}: {err}");
            assert!(
                err.len() < 2000 && !err.contains(CLEAR_SCREEN),
                "{cmd}: {err:?}"
            );
        }
    }
}
