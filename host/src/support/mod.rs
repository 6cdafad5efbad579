//! `ehr-host support-bundle`: what support asks users to send, in one JSON file: the
//! agent's version, its configuration with every secret redacted ([`redact`]), its
//! recent events and status, the link and job store status, its adapters with their
//! last check, and its recent jobs (ids, outcomes, typed errors; no clinical text: no
//! snapshot, no field values, no EHR detail text).

pub mod redact;

use crate::home::Home;
use crate::jobs::{Clock, JobRecord, Queue, SqliteQueue, SystemClock};
use anyhow::{Context, Result};
use redact::{redact, Secrets};
use serde_json::{json, Value};
use std::sync::Arc;

/// Most jobs listed (the newest).
const MAX_JOBS: usize = 200;

/// Files in the home that hold secrets: their contents are searched for and replaced.
const SECRET_FILES: [&str; 6] = [
    "api.token",
    "admin.token",
    "jobs.key",
    "device.key",
    "link.json",
    "link-session.json",
];

/// The bundle of the agent in `home`, as pretty JSON text with every secret removed.
pub async fn build(home: &Home) -> Result<String> {
    let mut secrets = Secrets::default();
    for name in SECRET_FILES {
        if let Ok(text) = std::fs::read_to_string(home.root().join(name)) {
            secrets.add(&text);
            secret_strings(&text, &mut secrets);
        }
    }
    let bundle = json!({
        "bundle": "ehr-host support bundle",
        "generated_ms": SystemClock.now_ms(),
        "version": env!("CARGO_PKG_VERSION"),
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "home": home.root().display().to_string(),
        "config": config(home, &mut secrets),
        "adapters": adapters(home),
        "agent_status": json_file(&home.agent_status(), &mut secrets),
        "link_status": json_file(&crate::link::runner::status_path(home), &mut secrets),
        "store_status": json_file(&home.root().join("store-status.json"), &mut secrets),
        "jobs": jobs(home).await,
    });
    let text = serde_json::to_string_pretty(&bundle).expect("JSON values serialise");
    Ok(secrets.scrub(&text))
}

/// Every string value of a JSON secret file (a pairing's keys and session), remembered.
fn secret_strings(text: &str, secrets: &mut Secrets) {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        let mut stack = vec![v];
        while let Some(v) = stack.pop() {
            match v {
                Value::String(s) => secrets.add(&s),
                Value::Array(a) => stack.extend(a),
                Value::Object(m) => stack.extend(m.into_iter().map(|(_, v)| v)),
                _ => {}
            }
        }
    }
}

fn config(home: &Home, secrets: &mut Secrets) -> Value {
    let path = home.config();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => return json!({"missing": format!("{}: {e}", path.display())}),
    };
    match toml::from_str::<toml::Value>(&text) {
        Ok(t) => redact(serde_json::to_value(t).unwrap_or(Value::Null), secrets),
        // An unreadable configuration is not copied (it may hold a secret in a line the
        // parser could not place); the error says where it broke.
        Err(e) => json!({"unreadable": e.message(), "span": format!("{:?}", e.span())}),
    }
}

fn json_file(path: &std::path::Path, secrets: &mut Secrets) -> Value {
    match std::fs::read_to_string(path) {
        Ok(t) => match serde_json::from_str::<Value>(&t) {
            Ok(v) => redact(v, secrets),
            Err(e) => json!({"unreadable": e.to_string()}),
        },
        Err(_) => Value::Null,
    }
}

fn adapters(home: &Home) -> Value {
    match crate::store::AdapterStore::new(home.adapters()).list() {
        Ok(list) => Value::Array(
            list.into_iter()
                .map(|i| json!({"id": i.id, "version": i.version.to_string(), "ehr": i.ehr, "contract": i.contract.to_string()}))
                .collect(),
        ),
        Err(e) => json!({"unreadable": format!("{e:#}")}),
    }
}

async fn jobs(home: &Home) -> Value {
    let path = home.jobs();
    if !path.exists() {
        return Value::Array(vec![]);
    }
    let listed = match SqliteQueue::open(&path, Arc::new(SystemClock)) {
        Ok(q) => q.list(None).await.context("reading the job store"),
        Err(e) => Err(anyhow::anyhow!("opening the job store: {e}")),
    };
    match listed {
        Ok(jobs) => Value::Array(jobs.iter().rev().take(MAX_JOBS).map(job).collect()),
        Err(e) => json!({"unreadable": format!("{e:#}")}),
    }
}

/// A job without clinical text: ids, states, counts and the typed error.
fn job(j: &JobRecord) -> Value {
    json!({
        "id": j.id,
        "ehr": j.ehr,
        "status": j.status.as_str(),
        "attempts": j.attempts,
        "created_ms": j.created_ms,
        "updated_ms": j.updated_ms,
        "error": j.error.as_ref().map(|e| json!({
            "kind": e.kind.as_str(),
            "class": e.class,
            "title": e.title,
            "next": e.next,
        })),
        "report": j.report.as_ref().map(|r| json!({
            "outcome": r.outcome,
            "written": r.written,
            "skipped": r.skipped,
            "not_written": r.not_written,
            "warnings": r.warnings,
            "replayed": r.replayed,
        })),
    })
}
