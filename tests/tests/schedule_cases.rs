//! The practice guide's schedule-sync cases (`tests/fixtures/schedule_cases.json`) read
//! from every EHR through its installed adapter — real MariaDB (CrystalPM), a real TDS
//! server (OfficeMate, the iridium emulator), the cloud sandboxes (RevolutionEHR,
//! Eyefinity) — and checked by `ehr-host schedule --check` against the one table: each
//! appointment gets exactly the table's reasons, in the guide's words. A 0.1.0 build of
//! the revolution adapter, which reads no providers, staff or insurance, still gets its
//! schedule checked, and the check says what it could not check.

use ehr_e2e::cloud::{self, Auth, EYEFINITY, REVOLUTION};
use ehr_e2e::iridium::Iridium;
use ehr_e2e::mariadb::MariaDb;
use ehr_e2e::schedule_cases::{self as table, Ehr, Knows, KNOWS_ALL};
use ehr_e2e::{fixture, root, TestHome};

async fn local_home(ehr: Ehr, database_section: String) -> TestHome {
    let id = ehr.adapter();
    let config = format!(
        "[limits]\ntimeout_secs = 60\n\n{database_section}\n[adapters.{id}]\ndatabases = [\"{id}\"]\n{}",
        table::policy_toml(KNOWS_ALL)
    );
    let home = TestHome::new(&config);
    home.install(id).await;
    home
}

fn check_all(home: &TestHome, ehr: Ehr) {
    let (verdicts, caveats) = table::check(home, ehr.adapter());
    assert!(caveats.is_empty(), "{}: {caveats:?}", ehr.adapter());
    table::assert_matches(ehr, &verdicts, KNOWS_ALL);
    table::assert_human_output(home, ehr);
}

// CrystalPM on MariaDB: every case of the table, with providers, staff and insurance
// read from its tables.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crystalpm_cases() {
    let db = MariaDb::start(&root().join("adapters/crystalpm/sql"));
    let home = local_home(Ehr::CrystalPm, db.config_section("crystalpm")).await;
    check_all(&home, Ehr::CrystalPm);
}

// OfficeMate on SQL Server (TDS): the same cases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officemate_cases() {
    let db = Iridium::start(&root().join("adapters/officemate/sql")).await;
    let home = local_home(Ehr::OfficeMate, db.config_section("officemate")).await;
    check_all(&home, Ehr::OfficeMate);
}

// RevolutionEHR's sandbox: the same cases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revolution_cases() {
    let sandbox = cloud::start_sandbox(&REVOLUTION).await;
    let url = sandbox.url();
    let config = cloud::config(&REVOLUTION, &url, &url, Auth::Bearer, None);
    let home = TestHome::new(&format!("{config}{}", table::policy_toml(KNOWS_ALL)));
    home.install("revolution").await;
    check_all(&home, Ehr::Revolution);
}

// Eyefinity's sandbox (one request per day): the same cases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eyefinity_cases() {
    let sandbox = cloud::start_sandbox(&EYEFINITY).await;
    let url = sandbox.url();
    let config = cloud::config(&EYEFINITY, &url, &url, Auth::Bearer, None);
    let home = TestHome::new(&format!("{config}{}", table::policy_toml(KNOWS_ALL)));
    home.install("eyefinity").await;
    check_all(&home, Ehr::Eyefinity);
}

// A 0.1.0 build of the revolution adapter on the 0.2.0 host, installed beside a 0.2.0
// adapter: its schedule is checked with every rule it can feed (the provider and staff
// rules are left out, not failed), and the check says which ones it could not apply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_0_1_0_adapter_is_checked_with_what_it_can_read() {
    let sandbox = cloud::start_sandbox(&REVOLUTION).await;
    let eyefinity = cloud::start_sandbox(&EYEFINITY).await;
    let knows = Knows {
        providers: false,
        staff: false,
        insurance: false,
    };
    let config = format!(
        "{}\n{}{}",
        cloud::config(
            &REVOLUTION,
            &sandbox.url(),
            &sandbox.url(),
            Auth::Bearer,
            None
        ),
        cloud::config(
            &EYEFINITY,
            &eyefinity.url(),
            &eyefinity.url(),
            Auth::Bearer,
            None
        )
        .replace("[limits]\ntimeout_secs = 10\n", ""),
        table::policy_toml(knows)
    );
    let home = TestHome::new(&config);
    let frozen = std::fs::read(fixture("adapters/revolution-0.1.0.wasm"))
        .expect("tests/fixtures/adapters/revolution-0.1.0.wasm");
    let (manifest, bytes) = home.host().sign_component(frozen, &home.key).await.unwrap();
    assert_eq!(manifest.contract.to_string(), "0.1.0");
    home.host().install(&bytes).await.unwrap();
    home.install("eyefinity").await;

    let (verdicts, caveats) = table::check(&home, "revolution");
    table::assert_matches(Ehr::Revolution, &verdicts, knows);
    for what in ["providers not checked", "staff emails not checked"] {
        assert!(
            caveats.iter().filter(|c| c.starts_with(what)).count() == table::cases().reads.len(),
            "no `{what}` caveat on every read: {caveats:?}"
        );
    }
    assert!(
        caveats
            .iter()
            .all(|c| !c.starts_with("providers") || c.contains("contract 0.1.0")),
        "{caveats:?}"
    );

    // The 0.2.0 adapter beside it still reads everything.
    let (verdicts, caveats) = table::check(&home, "eyefinity");
    assert!(caveats.is_empty(), "{caveats:?}");
    let providers_flagged = verdicts
        .values()
        .flatten()
        .filter(|r| r.code() == "provider_not_enabled")
        .count();
    assert_eq!(providers_flagged, 2, "{verdicts:?}");
}
