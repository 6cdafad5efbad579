//! A hub with the operator's own certificate: agents check it against the system's
//! roots, so pairing needs no fingerprint. A test CA made with `openssl` stands in for a
//! public one; it is the only root the agent processes trust (`SSL_CERT_FILE`, which the
//! platform verifier reads on Linux as the system's bundle). Without it, the same hub is
//! refused and nothing is paired.

use ehr_e2e::hub::{AgentProc, HubProc};
use ehr_e2e::{ehr_host_bin, TestHome};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("this test needs the openssl command: apt-get install -y openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA (`ca.pem`) and a certificate for 127.0.0.1 signed by it (`hub.pem`, `hub.key`).
fn make_ca_and_certificate(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=ehr-host test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(dir, &ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "hub.key",
        "-out",
        "hub.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    openssl(dir, &csr);
    std::fs::write(
        dir.join("hub.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "hub.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "hub.pem",
            "-days",
            "2",
            "-extfile",
            "hub.ext",
        ],
    );
}

fn pair(home: &TestHome, code: &str, hub: &str, roots: &Path) -> (i32, String) {
    let out = Command::new(ehr_host_bin())
        .args(["pair", code, "--hub", hub, "--name", "front desk"])
        .env("EHR_HOST_HOME", home.dir.path())
        .env("SSL_CERT_FILE", roots)
        .env_remove("SSL_CERT_DIR")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_certificate_is_checked_against_the_system_roots() {
    let pki = ehr_e2e::TempDir::new("pki");
    make_ca_and_certificate(pki.path());
    let (cert, key) = (pki.path().join("hub.pem"), pki.path().join("hub.key"));
    let hub = HubProc::start(
        TestHome::new(""),
        None,
        &[
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    hub.practice("east");
    let code = hub.pair_code("east", "15m");

    // Roots without the test CA: the hub is not trusted and nothing is paired.
    let empty = pki.path().join("no-roots.pem");
    std::fs::write(&empty, "").unwrap();
    let stranger = TestHome::new("");
    let (c, out) = pair(&stranger, &code, &hub.url(), &empty);
    assert_ne!(c, 0, "a hub no root vouches for is refused: {out}");
    assert!(out.to_lowercase().contains("certificate"), "{out}");
    assert!(!stranger.dir.path().join("link.json").exists());

    // The test CA among the roots: paired with no fingerprint, and the running agent
    // connects through the same check.
    let mut agent = AgentProc::new(TestHome::new(""));
    let (c, out) = pair(&agent.home, &code, &hub.url(), &pki.path().join("ca.pem"));
    assert_eq!(c, 0, "{out}");
    // The agent process inherits the roots from this test process (this file holds
    // only this test, so no other test sees the variable).
    std::env::set_var("SSL_CERT_FILE", pki.path().join("ca.pem"));
    agent.start();
    let s = agent
        .wait_status(Duration::from_secs(30), |_, v| v["status"] == "Connected")
        .await;
    assert_eq!(s["report"]["practice_id"], "east", "{s}");
}
