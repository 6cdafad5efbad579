//! The behaviour every [`HubStore`] must show, as one suite each store runs against
//! itself: SQLite in this crate's tests, PostgreSQL in `tests/tests/hub_postgres.rs`.

use super::{
    AgentRecord, ApiKeyRecord, CodeProblem, HubSettings, HubStore, NewAgent, PairCode, Practice,
    PracticeSettings, StoreError,
};
use crate::link::protocol::{AdapterHealth, EhrConnectivity, Heartbeat, QueueCounts};

mod users;

const T0: u64 = 1_800_000_000_000;

pub(super) fn practice(id: &str) -> Practice {
    Practice {
        id: id.into(),
        name: format!("{id} eye care"),
        created_ms: T0,
        settings: PracticeSettings::default(),
    }
}

fn new_agent(id: &str, default_seconds: Option<u64>) -> NewAgent {
    NewAgent {
        id: id.into(),
        name: format!("{id} desk"),
        public_key: "ab".repeat(32),
        version: "0.1.0".into(),
        default_pairing_seconds: default_seconds,
    }
}

fn code(hash: &str, practice: &str, expires_ms: u64) -> PairCode {
    PairCode {
        hash: hash.into(),
        practice_id: practice.into(),
        created_ms: T0,
        expires_ms,
    }
}

/// Runs every case on a fresh store from `make`.
pub async fn run_all<S: HubStore, F: std::future::Future<Output = S>>(make: impl Fn() -> F) {
    practices(&make().await).await;
    api_keys(&make().await).await;
    pairing(&make().await).await;
    agents_and_sessions(&make().await).await;
    nonces_settings_retries(&make().await).await;
    super::conformance_schedule::synced_schedule(&make().await).await;
    users::users(&make().await).await;
    users::console_sessions(&make().await).await;
}

async fn practices<S: HubStore>(s: &S) {
    s.create_practice(&practice("east")).await.unwrap();
    assert_eq!(
        s.create_practice(&practice("east")).await,
        Err(StoreError::Duplicate {
            what: "practice",
            id: "east".into()
        })
    );
    s.create_practice(&practice("west")).await.unwrap();
    let ids: Vec<String> = s
        .practices()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(ids, ["east", "west"]);
    let settings = PracticeSettings {
        pairing_seconds: Some(60),
        requests_per_minute: Some(5),
        schedule: Some(crate::schedule::sync::SyncSettings {
            policy: crate::schedule::SyncPolicy {
                approved_types: vec!["Telehealth Visit".into()],
                require_insurance: true,
                ..Default::default()
            },
            interval_seconds: 600,
            hub_ehrs: vec!["revolution".into()],
        }),
        schedule_sync_requested_ms: Some(T0),
    };
    s.set_practice_settings("east", &settings).await.unwrap();
    assert_eq!(s.practice("east").await.unwrap().settings, settings);
    assert!(matches!(
        s.practice("north").await,
        Err(StoreError::NotFound {
            what: "practice",
            ..
        })
    ));
    assert!(s.set_practice_settings("north", &settings).await.is_err());
}

async fn api_keys<S: HubStore>(s: &S) {
    for p in ["east", "west"] {
        s.create_practice(&practice(p)).await.unwrap();
    }
    let key = |id: &str, p: &str| ApiKeyRecord {
        id: id.into(),
        practice_id: p.into(),
        label: "scribe".into(),
        created_ms: T0,
        revoked_ms: None,
    };
    s.create_api_key(&key("k1", "east"), "h1").await.unwrap();
    s.create_api_key(&key("k2", "west"), "h2").await.unwrap();
    let (k, hash) = s.api_key("k1").await.unwrap();
    assert_eq!((k.practice_id.as_str(), hash.as_str()), ("east", "h1"));
    assert_eq!(
        s.api_keys(Some("west")).await.unwrap(),
        vec![key("k2", "west")]
    );
    assert_eq!(s.api_keys(None).await.unwrap().len(), 2);
    s.revoke_api_key("k1", T0 + 5).await.unwrap();
    s.revoke_api_key("k1", T0 + 9).await.unwrap();
    assert_eq!(s.api_key("k1").await.unwrap().0.revoked_ms, Some(T0 + 5));
    assert!(s.revoke_api_key("k9", T0).await.is_err());
    assert!(s.api_key("k9").await.is_err());
}

async fn pairing<S: HubStore>(s: &S) {
    s.create_practice(&practice("east")).await.unwrap();
    let mut west = practice("west");
    west.settings.pairing_seconds = Some(30);
    s.create_practice(&west).await.unwrap();
    s.create_pair_code(&code("c1", "east", T0 + 1000))
        .await
        .unwrap();
    s.create_pair_code(&code("c2", "east", T0 + 1000))
        .await
        .unwrap();
    s.create_pair_code(&code("c3", "west", T0 + 1000))
        .await
        .unwrap();
    let bad = |p| Err::<AgentRecord, _>(StoreError::BadCode(p));
    assert_eq!(
        s.redeem_pair_code("nope", new_agent("a0", None), T0).await,
        bad(CodeProblem::Unknown)
    );
    let a = s
        .redeem_pair_code("c1", new_agent("a1", Some(3600)), T0 + 10)
        .await
        .unwrap();
    assert_eq!(a.practice_id, "east");
    assert_eq!(a.expires_ms, Some(T0 + 10 + 3_600_000));
    assert_eq!(
        s.redeem_pair_code("c1", new_agent("a2", None), T0 + 20)
            .await,
        bad(CodeProblem::Used)
    );
    assert_eq!(
        s.redeem_pair_code("c2", new_agent("a2", None), T0 + 1000)
            .await,
        bad(CodeProblem::Expired)
    );
    // The practice's own pairing lifetime wins over the hub default.
    let w = s
        .redeem_pair_code("c3", new_agent("a3", Some(3600)), T0)
        .await
        .unwrap();
    assert_eq!(w.expires_ms, Some(T0 + 30_000));
    // A refused code paired nobody.
    assert!(s.agent("a0").await.is_err());
    assert!(s.agent("a2").await.is_err());
}

async fn agents_and_sessions<S: HubStore>(s: &S) {
    for p in ["east", "west"] {
        s.create_practice(&practice(p)).await.unwrap();
        s.create_pair_code(&code(&format!("c-{p}"), p, T0 + 1000))
            .await
            .unwrap();
    }
    s.redeem_pair_code("c-east", new_agent("a1", None), T0)
        .await
        .unwrap();
    s.redeem_pair_code("c-west", new_agent("a2", None), T0)
        .await
        .unwrap();
    let hb = Heartbeat {
        version: "0.2.0".into(),
        adapters: vec![AdapterHealth {
            id: "crystalpm".into(),
            version: "1.0.0".into(),
            ehr: EhrConnectivity::Connected { checked_ms: T0 },
        }],
        queue: QueueCounts {
            pending: 1,
            ..QueueCounts::default()
        },
    };
    s.record_heartbeat("a1", &hb, T0 + 50).await.unwrap();
    let a1 = s.agent("a1").await.unwrap();
    assert_eq!(a1.heartbeat.as_ref(), Some(&hb));
    assert_eq!(
        (a1.version.as_str(), a1.last_heartbeat_ms),
        ("0.2.0", Some(T0 + 50))
    );
    assert_eq!(a1.served_ehrs(), ["crystalpm"]);
    assert!(s.record_heartbeat("zz", &hb, T0).await.is_err());
    let east: Vec<String> = s
        .agents(Some("east"))
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(east, ["a1"]);
    assert_eq!(s.agents(None).await.unwrap().len(), 2);

    s.create_session("t1", "a1", T0 + 100).await.unwrap();
    s.create_session("t2", "a2", T0 + 100).await.unwrap();
    assert_eq!(
        s.session_agent("t1", T0 + 99).await.unwrap().as_deref(),
        Some("a1")
    );
    assert_eq!(s.session_agent("t1", T0 + 100).await.unwrap(), None);
    assert_eq!(s.session_agent("zz", T0).await.unwrap(), None);
    // Revoking ends the agent's sessions, and only its own.
    s.revoke_agent("a1", T0 + 60).await.unwrap();
    assert_eq!(s.session_agent("t1", T0).await.unwrap(), None);
    assert_eq!(
        s.session_agent("t2", T0).await.unwrap().as_deref(),
        Some("a2")
    );
    assert_eq!(s.agent("a1").await.unwrap().revoked_ms, Some(T0 + 60));
    assert!(s.revoke_agent("zz", T0).await.is_err());
    s.prune(T0 + 101).await.unwrap();
    assert_eq!(s.session_agent("t2", T0).await.unwrap(), None);
}

async fn nonces_settings_retries<S: HubStore>(s: &S) {
    assert!(s.use_nonce("a1", "n1", T0 + 10).await.unwrap());
    assert!(!s.use_nonce("a1", "n1", T0 + 10).await.unwrap());
    assert!(s.use_nonce("a2", "n1", T0 + 10).await.unwrap());
    s.prune(T0 + 5).await.unwrap();
    assert!(!s.use_nonce("a1", "n1", T0 + 10).await.unwrap());
    s.prune(T0 + 11).await.unwrap();
    assert!(s.use_nonce("a1", "n1", T0 + 10).await.unwrap());

    assert_eq!(s.settings().await.unwrap(), HubSettings::default());
    let mut settings = HubSettings {
        min_agent_version: semver::Version::new(0, 3, 1),
        ..HubSettings::default()
    };
    settings.intervals.heartbeat_seconds = 5;
    settings.pairing_seconds = Some(86_400);
    s.save_settings(&settings).await.unwrap();
    s.save_settings(&settings).await.unwrap();
    assert_eq!(s.settings().await.unwrap(), settings);

    assert!(!s.take_retry("J1").await.unwrap());
    s.mark_retry("J1").await.unwrap();
    s.mark_retry("J1").await.unwrap();
    assert!(s.take_retry("J1").await.unwrap());
    assert!(!s.take_retry("J1").await.unwrap());
}

#[cfg(test)]
mod tests {
    // The SQLite store passes the suite (each case on a new file).
    #[tokio::test]
    async fn sqlite_store_conforms() {
        let dir = std::env::temp_dir().join(format!("ehr-hub-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let n = std::sync::atomic::AtomicU32::new(0);
        super::run_all(|| {
            let path = dir.join(format!(
                "hub-{}.sqlite",
                n.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ));
            async move { super::super::SqliteHubStore::open(&path).unwrap() }
        })
        .await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
