//! Shared helpers: start a sandbox and talk to it as an authenticated client would.

use ehr_sandbox::{Sandbox, SandboxConfig};
use reqwest::{Client, RequestBuilder, Response};
use serde_json::Value;

pub const TOKEN: &str = "sandbox-token";

pub struct Env {
    pub sandbox: Sandbox,
    pub client: Client,
}

pub async fn start() -> Env {
    start_with(SandboxConfig::default()).await
}

pub async fn start_with(cfg: SandboxConfig) -> Env {
    let sandbox = Sandbox::start(cfg).await.expect("sandbox starts");
    Env {
        sandbox,
        client: Client::new(),
    }
}

impl Env {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.sandbox.url(), path)
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(TOKEN)
    }

    pub fn put(&self, path: &str, body: &Value) -> RequestBuilder {
        self.client
            .put(self.url(path))
            .bearer_auth(TOKEN)
            .json(body)
    }

    pub fn post(&self, path: &str, body: &Value) -> RequestBuilder {
        self.client
            .post(self.url(path))
            .bearer_auth(TOKEN)
            .json(body)
    }
}

/// Status and JSON body of a response.
pub async fn parts(res: Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("JSON body")
    };
    (status, body)
}

/// Sends and returns status and JSON body.
pub async fn send(req: RequestBuilder) -> (u16, Value) {
    parts(req.send().await.expect("request completes")).await
}
