//! Pairing and who may talk to the hub, with real processes: codes that are wrong,
//! malformed, used or expired are refused with the reason; wrong guesses are rate
//! limited; a hub certificate other than the pinned one is refused; signed session
//! requests cannot be replayed or forged; a revoked device and an expired pairing show
//! "Pairing expired", take no jobs, and work again once paired with a new code; an agent
//! below the hub's minimum version is handed nothing until the floor allows it.

use ehr_e2e::hub::{crystalpm_home, local_snapshot, AgentProc, HubProc};
use ehr_e2e::mariadb::MariaDb;
use ehr_e2e::{root, TestHome};
use ehr_host::link::protocol::{
    signing_input, AGENT_HEADER, NONCE_HEADER, SIGNATURE_HEADER, TIME_HEADER,
};
use std::time::Duration;

// Wrong, malformed, reused and expired codes each say what is wrong; nothing is paired
// by them; too many attempts from one address are answered 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_codes_are_refused_with_the_reason() {
    let hub = HubProc::start(TestHome::new(""), None, &[]);
    hub.practice("east");
    let mut a = AgentProc::new(TestHome::new(""));
    let b = AgentProc::new(TestHome::new(""));
    // Started before it is paired (no terminal to ask at): it says how to pair.
    a.start();
    let s = a
        .wait_status(Duration::from_secs(30), |_, v| v["status"] == "Not paired")
        .await;
    assert_eq!(s["tray"]["colour"], "red");
    assert!(
        a.log()
            .contains("To take jobs from Doctora, pair this agent"),
        "{}",
        a.log()
    );

    let (c, _, err) = a.pair(&hub, "BCDF-GHJ0");
    assert_ne!(c, 0);
    assert!(err.contains("`0` does not occur in pairing codes"), "{err}");
    let (c, _, err) = a.pair(&hub, "BCDF-GHJK");
    assert_ne!(c, 0);
    assert!(err.contains("not valid: check it for typos"), "{err}");

    let code = hub.pair_code("east", "15m");
    let (c, out, err) = a.pair(&hub, &code.to_lowercase());
    assert_eq!(c, 0, "codes are read however they are typed: {out}{err}");
    // The running agent picks the pairing up without a restart.
    a.wait_status(Duration::from_secs(30), |_, v| v["status"] == "Connected")
        .await;
    let (c, _, err) = b.pair(&hub, &code);
    assert_ne!(c, 0);
    assert!(err.contains("already used"), "{err}");

    let short = hub.pair_code("east", "1s");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (c, _, err) = b.pair(&hub, &short);
    assert_ne!(c, 0);
    assert!(err.contains("expired"), "{err}");
    assert_eq!(hub.agents().len(), 1, "only the good code paired");
    assert!(!b.home.dir.path().join("link.json").exists());

    // Five attempts a minute per address: guessing is slow.
    let mut limited = false;
    for _ in 0..6 {
        let (_, _, err) = b.pair(&hub, "BCDF-GHJK");
        limited |= err.contains("too many requests");
    }
    assert!(limited, "pairing attempts are rate limited");
}

// An agent given the wrong fingerprint refuses the hub's certificate (and pairs with
// nothing); the message says what may be going on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_certificate_than_the_pinned_one_is_refused() {
    let hub = HubProc::start(TestHome::new(""), None, &[]);
    hub.practice("east");
    let code = hub.pair_code("east", "15m");
    let a = AgentProc::new(TestHome::new(""));
    let wrong = ehr_host::link::pin::Fingerprint::of(b"another certificate").to_string();
    let (c, _, err) = a
        .home
        .cli(&["pair", &code, "--hub", &hub.url(), "--fingerprint", &wrong]);
    assert_ne!(c, 0);
    assert!(err.contains("not the one pinned at pairing"), "{err}");
    let (c, _, err) = a
        .home
        .cli(&["pair", &code, "--hub", &hub.url().replace("https", "http")]);
    assert_ne!(c, 0);
    assert!(err.contains("must start with https://"), "{err}");
    // The code was not used up by the refused attempts.
    let (c, out, err) = a.pair(&hub, &code);
    assert_eq!(c, 0, "{out}{err}");

    // A hub on the operator's certificate and key (here: files made elsewhere) presents
    // that certificate; agents pin its fingerprint.
    let files = ehr_e2e::TempDir::new("operator-cert");
    let (cert, key) = (files.path().join("chain.pem"), files.path().join("key.pem"));
    std::fs::copy(hub.home.dir.path().join("hub-cert.pem"), &cert).unwrap();
    std::fs::copy(hub.home.dir.path().join("hub-key.pem"), &key).unwrap();
    let args = [
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ];
    let operator = HubProc::start(TestHome::new(""), None, &args);
    assert!(
        !operator.home.dir.path().join("hub-cert.pem").exists(),
        "no certificate made"
    );
    operator.practice("east");
    let b = AgentProc::new(TestHome::new(""));
    let fp = ehr_host::hub::tls::fingerprint_file(&cert)
        .unwrap()
        .to_string();
    let code = operator.pair_code("east", "15m");
    let (c, out, err) = b.home.cli(&[
        "pair",
        &code,
        "--hub",
        &operator.url(),
        "--fingerprint",
        &fp,
    ]);
    assert_eq!(c, 0, "{out}{err}");
}

/// A signed `POST /link/v1/session` from the agent paired in `home`, at `time`, with
/// `nonce`; returns the status.
async fn session(hub: &HubProc, home: &TestHome, time: u64, nonce: &str, tamper: bool) -> u16 {
    let h = home.home();
    let p = ehr_host::link::pairing::load(&h).unwrap().unwrap();
    let key = ehr_host::link::device::load_or_create(&ehr_host::link::device::path(&h)).unwrap();
    let mut sig = key.sign(&signing_input("POST", "/link/v1/session", time, nonce, b""));
    if tamper {
        sig = ehr_host::package::SecretKey::generate()
            .unwrap()
            .sign(b"something else");
    }
    let http = ehr_host::link::client::http(Some(hub.fingerprint())).unwrap();
    http.post(format!("{}/link/v1/session", hub.url()))
        .header(AGENT_HEADER, &p.agent_id)
        .header(TIME_HEADER, time.to_string())
        .header(NONCE_HEADER, nonce)
        .header(SIGNATURE_HEADER, sig)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

// Only the device key gets a session, once per signed request, and only close to the
// hub's time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_sessions_cannot_be_replayed_or_forged() {
    let hub = HubProc::start(TestHome::new(""), None, &[]);
    hub.practice("east");
    let a = AgentProc::new(TestHome::new(""));
    let (c, out, err) = a.pair(&hub, &hub.pair_code("east", "15m"));
    assert_eq!(c, 0, "{out}{err}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let nonce = "0123456789abcdef0123456789abcdef";
    assert_eq!(session(&hub, &a.home, now, nonce, false).await, 200);
    assert_eq!(
        session(&hub, &a.home, now, nonce, false).await,
        401,
        "a replay is refused"
    );
    assert_eq!(
        session(&hub, &a.home, now, "1123456789abcdef0123456789abcdef", true).await,
        401,
        "a forged signature is refused"
    );
    assert_eq!(
        session(
            &hub,
            &a.home,
            now - 10 * 60 * 1000,
            "2123456789abcdef0123456789abcdef",
            false
        )
        .await,
        401,
        "a stale time is refused"
    );
    assert_eq!(
        session(
            &hub,
            &a.home,
            now,
            "3123456789abcdef0123456789abcdef",
            false
        )
        .await,
        200
    );
}

// The operator revokes a running agent: it shows "Pairing expired" (red, with the
// guide's advice), its practice's jobs wait, and the hub shows it revoked. Paired again
// with a new code while running, it takes the waiting job. A hub whose pairings last 2s
// sees the next agent's pairing expire the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_and_expired_pairings_take_no_jobs_until_paired_again() {
    let db = MariaDb::start(&root().join("adapters/crystalpm/sql"));
    let hub = HubProc::start(TestHome::new(""), None, &[]);
    hub.practice("east");
    let api = hub.api(&hub.api_key("east"));
    let mut agent = AgentProc::new(crystalpm_home(&db.config_section("crystalpm")).await);
    let (c, out, err) = agent.pair(&hub, &hub.pair_code("east", "15m"));
    assert_eq!(c, 0, "{out}{err}");
    agent.start();
    agent
        .wait_status(Duration::from_secs(30), |code, _| code == 0)
        .await;

    let id = hub.agents()[0]["id"].as_str().unwrap().to_string();
    let (c, out, err) = hub.cli(&["revoke", &id]);
    assert_eq!(c, 0, "{out}{err}");
    let s = agent
        .wait_status(Duration::from_secs(30), |_, v| {
            v["status"] == "Pairing expired"
        })
        .await;
    assert_eq!(s["tray"]["colour"], "red");
    assert!(
        s["tray"]["reason"]
            .as_str()
            .unwrap()
            .contains("Settings > Devices"),
        "{s}"
    );
    assert_eq!(hub.agents()[0]["state"], "revoked");

    let (st, v) = api
        .submit(
            "crystalpm",
            &local_snapshot("J-AFTER-REVOKE", "waits for a paired agent"),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let waiting = api.job("J-AFTER-REVOKE").await;
    assert_eq!(
        waiting["job"]["status"], "pending",
        "a revoked agent takes no job: {waiting}"
    );

    let (c, out, err) = agent.pair(&hub, &hub.pair_code("east", "15m"));
    assert_eq!(c, 0, "{out}{err}");
    assert!(out.contains("that pairing is replaced"), "{out}");
    let done = api.settled("J-AFTER-REVOKE", Duration::from_secs(60)).await;
    assert_eq!(
        done["job"]["status"],
        "succeeded_with_warnings",
        "{done}\n{}",
        agent.log()
    );
    agent
        .wait_status(Duration::from_secs(30), |code, _| code == 0)
        .await;

    let (c, out, err) = hub.cli(&["settings", "--pairing-lifetime", "2s"]);
    assert_eq!(c, 0, "{out}{err}");
    let mut second = AgentProc::new(crystalpm_home(&db.config_section("crystalpm")).await);
    // Settings are read again by the hub within two seconds.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (c, out, err) = second.pair(&hub, &hub.pair_code("east", "15m"));
    assert_eq!(c, 0, "{out}{err}");
    assert!(out.contains("The pairing expires at"), "{out}");
    second.start();
    let s = second
        .wait_status(Duration::from_secs(30), |_, v| {
            v["status"] == "Pairing expired"
        })
        .await;
    assert!(
        s["why"].as_str().unwrap().contains("pairing expired"),
        "{s}"
    );
    assert!(
        hub.agents().iter().any(|a| a["state"] == "pairing_expired"),
        "{:?}",
        hub.agents()
    );
}

// A hub whose minimum version is above the agent's hands it no job (the job waits) and
// the agent shows "Agent needs update"; once the operator lowers the floor, the agent
// takes the job without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_below_the_version_floor_receives_nothing() {
    let db = MariaDb::start(&root().join("adapters/crystalpm/sql"));
    let hub = HubProc::start(TestHome::new(""), None, &["--min-agent-version", "99.0.0"]);
    hub.practice("east");
    let api = hub.api(&hub.api_key("east"));
    let mut agent = AgentProc::new(crystalpm_home(&db.config_section("crystalpm")).await);
    let (c, out, err) = agent.pair(&hub, &hub.pair_code("east", "15m"));
    assert_eq!(c, 0, "{out}{err}");
    let (st, v) = api
        .submit(
            "crystalpm",
            &local_snapshot("J-FLOOR", "only for a current agent"),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    agent.start();
    let s = agent
        .wait_status(Duration::from_secs(30), |_, v| {
            v["status"] == "Agent needs update"
        })
        .await;
    assert_eq!(s["tray"]["colour"], "red");
    assert!(
        s["tray"]["reason"]
            .as_str()
            .unwrap()
            .contains("needs 99.0.0"),
        "{s}"
    );
    assert_eq!(hub.agents()[0]["state"], "needs_update");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let job = api.job("J-FLOOR").await;
    assert_eq!(
        (
            job["job"]["status"].as_str(),
            job["job"]["attempts"].as_u64()
        ),
        (Some("pending"), Some(0)),
        "{job}"
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM doctora_jobs"), "0");

    let (c, out, err) = hub.cli(&["settings", "--min-agent-version", "0.1.0"]);
    assert_eq!(c, 0, "{out}{err}");
    let done = api.settled("J-FLOOR", Duration::from_secs(60)).await;
    assert_eq!(
        done["job"]["status"],
        "succeeded_with_warnings",
        "{done}\n{}",
        agent.log()
    );
    agent
        .wait_status(Duration::from_secs(30), |code, _| code == 0)
        .await;
}

// The first start at a terminal (as a person double-clicking the agent would have): `run`
// asks for the pairing code, says why a wrong one is refused and asks again, and pairs
// with the right one; the agent then connects without being started again. A real
// pseudo-terminal (util-linux `script`) stands in for the console window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_at_a_terminal_asks_for_the_code() {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    use std::sync::{Arc, Mutex};
    assert!(
        Command::new("script").arg("--version").output().is_ok(),
        "the terminal test needs `script` (util-linux): apt-get install -y util-linux"
    );
    let hub = HubProc::start(TestHome::new(""), None, &[]);
    hub.practice("east");
    let code = hub.pair_code("east", "15m");
    let agent = AgentProc::new(TestHome::new(""));
    let run = format!(
        "exec {} run --jobs-interval 100ms --hub {} --fingerprint {}",
        ehr_e2e::ehr_host_bin().display(),
        hub.url(),
        hub.fingerprint()
    );
    let mut child = Command::new("script")
        .args(["-q", "-f", "-e", "-c", &run, "/dev/null"])
        .env("EHR_HOST_HOME", agent.home.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting `script`");
    let seen = Arc::new(Mutex::new(String::new()));
    let mut out = child.stdout.take().unwrap();
    let sink = seen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let wait_for = |needle: &str, count: usize| {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            if seen.lock().unwrap().matches(needle).count() >= count {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the terminal never showed {needle:?}: {}",
                seen.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let mut stdin = child.stdin.take().unwrap();
    wait_for("Pairing code (like BCDF-GHJK", 1);
    stdin.write_all(b"BCDF-GHJK\n").unwrap();
    wait_for("not valid: check it for typos", 1);
    wait_for("Pairing code (like BCDF-GHJK", 2);
    stdin.write_all(format!("{code}\n").as_bytes()).unwrap();
    wait_for("Paired as agt_", 1);
    let s = agent
        .wait_status(Duration::from_secs(30), |_, v| v["status"] == "Connected")
        .await;
    assert_eq!(s["report"]["practice_id"], "east", "{s}");
    assert_eq!(hub.agents().len(), 1, "paired once, by the right code");
    let _ = child.kill();
    let _ = child.wait();
}
