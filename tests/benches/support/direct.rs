// Shared by several benches, each using part of it.
#![allow(dead_code)]

//! A write's HTTP requests made directly, without host or adapter: the baseline the
//! write figures are compared with. The same requests as the adapter's first write
//! (replayed from the sandbox's log), each write under its own idempotency keys.

use ehr_sandbox::Sandbox;

/// One write's requests, replayed directly: method, URL, body.
pub type Replay = Vec<(reqwest::Method, String, Option<serde_json::Value>)>;

/// The requests of the write whose idempotency keys start with `first_key` (the first
/// write of encounter E5001 in the sandbox), with the bodies the sandbox stored for them.
pub fn replay_of(sandbox: &Sandbox, first_key: &str) -> Replay {
    let state = sandbox.state();
    let e = &state.encounters["E5001"];
    let body_for = |path: &str| -> Option<serde_json::Value> {
        if let Some(section) = path.split("/exam/").nth(1) {
            return Some(e.sections[section].clone());
        }
        if path.ends_with("/diagnoses") {
            return Some(serde_json::to_value(&e.diagnoses).unwrap());
        }
        if path.ends_with("/notes") {
            return Some(serde_json::json!({"text": e.notes[0].text}));
        }
        None
    };
    let prefix = format!("{first_key}:");
    state
        .requests
        .iter()
        .skip_while(|r| r.idempotency_key.is_some() || r.method != "GET")
        .take_while(|r| {
            r.idempotency_key
                .as_deref()
                .is_none_or(|k| k.starts_with(&prefix))
        })
        .map(|r| {
            let body = body_for(&r.path).filter(|_| r.method != "GET");
            (r.method.parse().unwrap(), r.path.clone(), body)
        })
        .collect()
}

/// Makes the requests of `replay` against `url`, one after another, with idempotency
/// keys made from `key`.
pub async fn send_directly(client: &reqwest::Client, url: &str, replay: &Replay, key: &str) {
    for (method, path, body) in replay {
        let mut req = client
            .request(method.clone(), format!("{url}{path}"))
            .bearer_auth("sandbox-token");
        if let Some(body) = body {
            req = req
                .json(body)
                .header("idempotency-key", format!("{key}:{path}"));
        }
        let resp = req.send().await.unwrap();
        assert!(
            resp.status().is_success(),
            "{method} {path} -> {}",
            resp.status()
        );
        resp.bytes().await.unwrap();
    }
}
