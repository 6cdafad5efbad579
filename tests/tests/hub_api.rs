//! The hub's intake and admin APIs as another team would call them, against a hub
//! process: every bad field of a snapshot named and nothing accepted; keys checked
//! (missing, wrong, revoked); unknown EHRs and reused job ids refused; rate limits per
//! practice and per agent answered 429 with Retry-After without touching the others;
//! the OpenAPI reference served and matching the routes; the admin API.

use ehr_e2e::hub::{local_snapshot, AgentProc, HubProc, Intake};
use ehr_e2e::TestHome;
use reqwest::Method;
use serde_json::json;

// A malformed snapshot is answered 400 with every problem, and nothing is queued; keys
// must be the practice's and not revoked; unknown EHRs and reused ids are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_refuses_bad_requests_with_every_reason() {
    let hub = HubProc::start(TestHome::new(""), None, &[]);
    hub.practice("east");
    let key = hub.api_key("east");
    let api = hub.api(&key);

    let mut bad = local_snapshot("J-BAD", "x");
    bad["fields"]["iop.od"] = json!(999);
    bad["fields"]["not.a.field"] = json!(1);
    bad["encounter_date"] = json!("16/11/2026");
    let (s, v) = api.submit("crystalpm", &bad).await;
    assert_eq!(s, 400, "{v}");
    let details: Vec<&str> = v["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert!(details.len() >= 3, "every problem is named: {details:?}");
    for needle in ["iop.od", "not.a.field", "encounter_date"] {
        assert!(
            details.iter().any(|d| d.contains(needle)),
            "{needle} not named: {details:?}"
        );
    }
    let (_, list) = api.call(Method::GET, "jobs", None).await;
    assert_eq!(list, json!([]), "nothing half-accepted");

    let (s, v) = api.submit("medisoft", &local_snapshot("J-1", "x")).await;
    assert_eq!(s, 400, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("does not write `medisoft` jobs"),
        "{v}"
    );
    let (s, _) = api.submit("crystalpm", &local_snapshot("J-1", "x")).await;
    assert_eq!(s, 201);
    let (s, v) = api
        .submit("crystalpm", &local_snapshot("J-1", "again"))
        .await;
    assert_eq!(s, 409, "{v}");
    let (s, v) = api
        .call(Method::POST, "jobs", Some(&json!({"ehr": "crystalpm"})))
        .await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = api.call(Method::GET, "jobs?status=stuck", None).await;
    assert_eq!(s, 400, "{v}");

    for wrong in [
        "",
        "ehk_000000000000_0000000000000000000000000000000000000000",
        &key[..key.len() - 1],
    ] {
        let other = Intake {
            key: wrong.to_string(),
            ..hub.api(&key)
        };
        let (s, v) = other.call(Method::GET, "jobs", None).await;
        assert_eq!(s, 401, "{wrong}: {v}");
        assert!(v["error"].as_str().unwrap().contains("API key"), "{v}");
    }
    let id = ehr_host::hub::secrets::api_key_id(&key)
        .unwrap()
        .to_string();
    let (c, out, err) = hub.cli(&["api-key", "revoke", &id]);
    assert_eq!(c, 0, "{out}{err}");
    let (s, v) = api.call(Method::GET, "jobs", None).await;
    assert_eq!(s, 401);
    assert!(v["error"].as_str().unwrap().contains("revoked"), "{v}");
    let (_, listed, _) = hub.cli(&["api-key", "list", "--json"]);
    assert!(!listed.contains(&key), "keys are never shown again");
}

// A practice over its rate is answered 429 with Retry-After; another practice is not
// slowed; an agent over its own rate is answered 429 on the link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_per_practice_and_per_agent() {
    let hub = HubProc::start(TestHome::new(""), None, &["--agent-rate", "30"]);
    for p in ["east", "west"] {
        hub.practice(p);
    }
    let (c, out, err) = hub.cli(&["practice", "set", "east", "--requests-per-minute", "12"]);
    assert_eq!(c, 0, "{out}{err}");
    let (east, west) = (hub.api(&hub.api_key("east")), hub.api(&hub.api_key("west")));
    let mut limited = None;
    for _ in 0..5 {
        let resp = east
            .http
            .get(format!("{}/api/v1/jobs", east.base))
            .bearer_auth(&east.key)
            .send()
            .await
            .unwrap();
        if resp.status().as_u16() == 429 {
            limited = Some(
                resp.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap(),
            );
            let body: serde_json::Value = resp.json().await.unwrap();
            assert!(
                body["error"]
                    .as_str()
                    .unwrap()
                    .contains("too many requests"),
                "{body}"
            );
            break;
        }
    }
    let wait = limited.expect("east was limited");
    assert!((1..=5).contains(&wait), "Retry-After {wait}");
    for _ in 0..20 {
        let (s, _) = west.call(Method::GET, "jobs", None).await;
        assert_eq!(s, 200, "west is not slowed by east");
    }

    let a = AgentProc::new(TestHome::new(""));
    let (c, out, err) = a.pair(&hub, &hub.pair_code("west", "15m"));
    assert_eq!(c, 0, "{out}{err}");
    let h = a.home.home();
    let p = ehr_host::link::pairing::load(&h).unwrap().unwrap();
    let key = ehr_host::link::device::load_or_create(&ehr_host::link::device::path(&h)).unwrap();
    let client = ehr_host::link::client::LinkClient::new(
        ehr_host::link::client::http(p.fingerprint).unwrap(),
        &p.hub,
        &p.agent_id,
        key,
        "0.1.0",
    );
    let hb = ehr_host::link::protocol::Heartbeat {
        version: "0.1.0".into(),
        adapters: vec![],
        queue: Default::default(),
    };
    let mut refused = None;
    for _ in 0..40 {
        if let Err(e) = client.heartbeat(&hb).await {
            refused = Some(e);
            break;
        }
    }
    let e = refused.expect("the agent was limited");
    assert_eq!(
        e.kind(),
        Some(ehr_host::link::protocol::LinkErrorKind::RateLimited),
        "{e}"
    );
}

// The reference is served without a key, is OpenAPI 3, and every operation it
// documents is routed (answered 401 without a key rather than 404 or 405).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_reference_matches_the_routes() {
    let hub = HubProc::start(TestHome::new(""), None, &[]);
    let anon = hub.api("");
    let (s, doc) = anon.call(Method::GET, "openapi.json", None).await;
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    let mut operations = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops
            .as_object()
            .unwrap()
            .keys()
            .filter(|m| *m != "parameters")
        {
            let url = format!("{}{}", hub.url(), path.replace("{id}", "J-NONE"));
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let status = anon
                .http
                .request(m, &url)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            let expected = if path.ends_with("openapi.json") {
                200
            } else {
                401
            };
            assert_eq!(status, expected, "{method} {path}");
            operations += 1;
        }
    }
    assert_eq!(operations, ehr_host::hub::intake::ROUTES.len());
}

// The admin API does what the CLI does, with the admin token only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_with_its_token() {
    let hub = HubProc::start(TestHome::new(""), None, &[]);
    let token = std::fs::read_to_string(hub.home.dir.path().join("admin.token"))
        .unwrap()
        .trim()
        .to_string();
    let admin = Intake {
        key: token,
        ..hub.api("")
    };
    let call = |m: Method, path: &str, body: Option<serde_json::Value>| {
        let (admin, path) = (&admin, path.to_string());
        async move {
            let mut req = admin
                .http
                .request(m, format!("{}/admin/v1/{path}", admin.base))
                .bearer_auth(&admin.key);
            if let Some(b) = body {
                req = req.json(&b);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (
                status,
                resp.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    let (s, v) = call(
        Method::POST,
        "practices",
        Some(json!({"id": "north", "name": "North Eye"})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let (s, _) = call(
        Method::POST,
        "practices",
        Some(json!({"id": "north", "name": "again"})),
    )
    .await;
    assert_eq!(s, 409);
    let (s, v) = call(
        Method::POST,
        "practices",
        Some(json!({"id": "Bad Id", "name": "x"})),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = call(
        Method::POST,
        "practices/north/api-keys",
        Some(json!({"label": "scribe"})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let key = v["key"].as_str().unwrap().to_string();
    let (s, _) = hub.api(&key).call(Method::GET, "jobs", None).await;
    assert_eq!(s, 200, "the new key works");
    let (s, v) = call(
        Method::POST,
        "practices/north/pair-codes",
        Some(json!({"ttl_seconds": 60})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["fingerprint"], hub.fingerprint().to_string());
    assert_eq!(v["code"].as_str().unwrap().len(), 9);
    let (s, v) = call(
        Method::POST,
        "practices/nowhere/pair-codes",
        Some(json!({})),
    )
    .await;
    assert_eq!(s, 404, "{v}");
    let (s, v) = call(Method::GET, "settings", None).await;
    assert_eq!(s, 200);
    let mut settings = v.clone();
    settings["intervals"]["poll_seconds"] = json!(80);
    let (s, v) = call(Method::PUT, "settings", Some(settings)).await;
    assert_eq!(s, 400, "a poll longer than 50s is refused: {v}");
    let (s, v) = call(Method::GET, "agents?practice=north", None).await;
    assert_eq!((s, v), (200, json!([])));
    let wrong = admin
        .http
        .get(format!("{}/admin/v1/practices", admin.base))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
}
