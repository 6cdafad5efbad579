//! Each practice's cloud-EHR jobs are written with that practice's own account, by the
//! hub as a real process against two RevolutionEHR sandboxes: east has no account of its
//! own and is written with the hub's `config.toml` (sandbox A); west has
//! `practices/west.toml` (sandbox B, which accepts only west's token), so a job of west
//! written with the shared account would land in A or be refused by B. A practice file
//! that cannot be used fails that practice's job with the file named, never falling back
//! to the shared account.

use ehr_e2e::hub::{cloud_snapshot, HubProc};
use ehr_e2e::TestHome;
use ehr_sandbox::{Sandbox, SandboxConfig};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_practice_writes_with_its_own_cloud_account() {
    let shared = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let own = Sandbox::start(SandboxConfig {
        static_tokens: vec!["west-token".into()],
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let (a, b) = (shared.url(), own.url());
    let hub_home = TestHome::new(&ehr_e2e::revolution_config(
        &a,
        &ehr_e2e::bearer(&a, "sandbox-token"),
    ));
    hub_home.install("revolution").await;
    let practices = hub_home.dir.path().join("practices");
    std::fs::create_dir_all(&practices).unwrap();
    std::fs::write(
        practices.join("west.toml"),
        ehr_e2e::revolution_config(&b, &ehr_e2e::bearer(&b, "west-token")),
    )
    .unwrap();
    // North's file names no RevolutionEHR account: its jobs must not use the shared one.
    std::fs::write(
        practices.join("north.toml"),
        "[adapters.eyefinity]\nhttp = []\n",
    )
    .unwrap();
    let hub = HubProc::start(hub_home, None, &[]);
    for p in ["east", "west", "north"] {
        hub.practice(p);
    }
    let east = hub.api(&hub.api_key("east"));
    let west = hub.api(&hub.api_key("west"));
    let north = hub.api(&hub.api_key("north"));
    for (api, id, note) in [
        (&east, "J-EAST-1", "east cloud note"),
        (&west, "J-WEST-1", "west cloud note"),
        (&north, "J-NORTH-1", "north cloud note"),
    ] {
        let (s, v) = api.submit("revolution", &cloud_snapshot(id, note)).await;
        assert_eq!(s, 201, "{v}");
    }
    for (api, id) in [(&east, "J-EAST-1"), (&west, "J-WEST-1")] {
        let v = api.settled(id, Duration::from_secs(90)).await;
        assert_eq!(
            v["job"]["status"],
            "succeeded_with_warnings",
            "{id}: {v}\n{}",
            hub.log()
        );
    }
    let notes = |s: &Sandbox| -> Vec<String> {
        s.state().encounters["E5001"]
            .notes
            .iter()
            .map(|n| n.text.clone())
            .collect()
    };
    let (in_a, in_b) = (notes(&shared), notes(&own));
    assert_eq!(
        in_a.len(),
        1,
        "only east's job in the shared account: {in_a:?}"
    );
    assert!(in_a[0].contains("east cloud note"), "{in_a:?}");
    assert_eq!(in_b.len(), 1, "only west's job in west's account: {in_b:?}");
    assert!(in_b[0].contains("west cloud note"), "{in_b:?}");

    let v = north.settled("J-NORTH-1", Duration::from_secs(90)).await;
    assert_eq!(v["job"]["status"], "failed", "{v}");
    let text = v.to_string();
    assert!(
        text.contains("north.toml") && text.contains("no [adapters.revolution] section"),
        "the failure names the file and what is missing: {v}"
    );
    assert_eq!(
        notes(&shared).len(),
        1,
        "nothing of north's reached the shared account"
    );
    assert_eq!(notes(&own).len(), 1);
}
