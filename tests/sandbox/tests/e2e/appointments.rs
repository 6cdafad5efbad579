//! The appointment schedule query.

use serde_json::Value;

use crate::common::{send, start};

fn ids(body: &Value) -> Vec<&str> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect()
}

// A date range returns the appointments starting within it (inclusive), in start order,
// with the patient joined in.
#[tokio::test]
async fn range_query() {
    let env = start().await;
    let (status, body) =
        send(env.get("/api/v1/appointments?startDate=2026-11-16&endDate=2026-11-17")).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&body), ["A7001", "A7002", "A7003"]);
    assert_eq!(body[0]["encounterId"], "E5001");
    assert_eq!(body[0]["patient"]["id"], "P1001");
    assert_eq!(body[0]["providerName"], "Dr. Rivera");
    assert_eq!(body[0]["start"], "2026-11-16T09:00:00");

    let (_, all) =
        send(env.get("/api/v1/appointments?startDate=2026-11-16&endDate=2026-11-27")).await;
    assert_eq!(all.as_array().unwrap().len(), 12);
    let unknown_provider = all
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["providerId"] == "DR9")
        .unwrap();
    assert!(unknown_provider["providerName"].is_null());
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["status"] == "cancelled"));

    let (_, none) =
        send(env.get("/api/v1/appointments?startDate=2026-10-01&endDate=2026-10-31")).await;
    assert_eq!(none, serde_json::json!([]));
}

// providerId narrows the result to one provider.
#[tokio::test]
async fn provider_filter() {
    let env = start().await;
    let (_, body) = send(
        env.get("/api/v1/appointments?startDate=2026-11-16&endDate=2026-11-20&providerId=DR2"),
    )
    .await;
    assert_eq!(ids(&body), ["A7002", "A7005", "A7008"]);
    assert!(body
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["providerName"] == "Dr. Chen"));
}

// Missing, malformed or inverted dates are 400.
#[tokio::test]
async fn bad_queries() {
    let env = start().await;
    for query in [
        "",
        "?startDate=2026-11-16",
        "?startDate=16/11/2026&endDate=2026-11-20",
        "?startDate=2026-11-20&endDate=2026-11-16",
    ] {
        let (status, body) = send(env.get(&format!("/api/v1/appointments{query}"))).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("bad_request")),
            "{query}"
        );
    }
}
