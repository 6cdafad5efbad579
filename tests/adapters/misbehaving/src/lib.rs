//! # misbehaving — a deliberately bad adapter for the host's sandboxing tests
//!
//! Never ship this. It exists so the host's tests can prove that its limits hold against
//! a hostile or buggy guest: CPU time, memory, traps, filesystem, environment, sockets,
//! the HTTP allowlist and credential hiding, and the output size limit.
//!
//! The operator setting `mode` picks the behaviour; `check` and `write_encounter` read it
//! first thing. A setting `mode@<version>` (for example `"mode@0.2.0" = "trap"`) wins over
//! `mode` for that version only, so hot-reload tests can break one version of two.
//!
//! The version `describe` reports is `MISBEHAVING_VERSION` at build time (default
//! `0.1.0`); `tests/setup.sh` also builds a `0.2.0` for the hot-reload tests.
//!
//! | mode | behaviour |
//! |---|---|
//! | `ok` / unset | `check` succeeds; `write_encounter` reports every field written to `test.<field>` |
//! | `loop` | spins forever (the host's timeout must stop it) |
//! | `trap` | panics |
//! | `unreachable` | executes wasm `unreachable` (panics natively) |
//! | `alloc` | allocates and touches 1 MiB blocks forever (the memory limit must stop it) |
//! | `fs` | tries to read `/etc/passwd` and write `escape.txt`; reports both outcomes |
//! | `env` | reports every environment variable it can see |
//! | `socket` | tries a raw TCP connection to `127.0.0.1:<port>`; reports the outcome |
//! | `http` | sends `GET <url>` through the host; reports the outcome |
//! | `huge` | returns a write report far over the host's output size limit |
//! | `sleep` | busy-waits `sleep_ms` milliseconds, then behaves as `ok` |
//! | `relay` | `write_encounter` sends `GET <url><job id>` through the host, then answers like `ok` (a well-behaved write that waits on the network, for load tests) |
//! | `write-trap` | `check` succeeds; `write_encounter` panics (a version broken after its self-check) |
//! | `stack` | recurses without end, with a large frame per call (a stack overflow) |
//! | `wait-then-loop` | `GET <url>` through the host (a wait on the EHR), then spins forever |
//! | `remember` | `check` reports what it found of earlier calls in memory ([`remember`]) |
//!
//! Outcomes that are reports (fs, env, socket, http) come back as `adapter-bug` errors so
//! the host test can read them from the job outcome.
//!
//! With the setting `check_url`, `check` first sends `GET <check_url>` through the host
//! and reports a failure to connect as `unreachable`, like a real adapter whose EHR is
//! down (for the agent's self-check tests).

mod remember;

use ehr_adapter_sdk::http::Request;
use ehr_adapter_sdk::prelude::*;

/// The misbehaving adapter.
pub struct Misbehaving;

/// The version this build reports (`MISBEHAVING_VERSION` at build time, else `0.1.0`).
const VERSION: &str = match option_env!("MISBEHAVING_VERSION") {
    Some(v) => v,
    None => "0.1.0",
};

/// The behaviour the operator asked for: `mode@<this version>`, else `mode`, else `ok`.
fn mode() -> String {
    config::get(&format!("mode@{VERSION}"))
        .or_else(|| config::get("mode"))
        .unwrap_or_else(|| "ok".to_string())
}

/// A required setting, or a `misconfigured` error naming it.
fn setting(key: &str) -> Result<String, AdapterError> {
    config::require(key)
}

/// Runs the behaviours shared by `check` and `write_encounter`. Returns `Ok(())` when the
/// call should go on and produce its normal `ok` answer; the endless modes never return.
fn misbehave(mode: &str) -> Result<(), AdapterError> {
    match mode {
        "ok" => Ok(()),
        "loop" => {
            // `black_box` keeps the optimiser from proving the loop has no effect and
            // deleting it (an empty infinite loop is otherwise undefined behaviour bait).
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        "trap" => panic!("misbehaving adapter: deliberate panic"),
        "stack" => {
            std::hint::black_box(recurse(0));
            Ok(())
        }
        "wait-then-loop" => {
            let _ = http_get()?;
            misbehave("loop")
        }
        "unreachable" => {
            #[cfg(target_arch = "wasm32")]
            core::arch::wasm32::unreachable();
            #[cfg(not(target_arch = "wasm32"))]
            panic!("misbehaving adapter: unreachable (native stand-in for the wasm instruction)");
        }
        "alloc" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                let mut block = vec![0u8; 1 << 20];
                // Touch every page so the memory is really committed, not just reserved.
                for i in (0..block.len()).step_by(4096) {
                    block[i] = 1;
                }
                hoard.push(std::hint::black_box(block));
            }
        }
        "fs" => {
            let read = std::fs::read_to_string("/etc/passwd").map(|s| s.len());
            let write = std::fs::write("escape.txt", b"escaped the sandbox");
            Err(AdapterError::AdapterBug(format!(
                "fs: read={read:?} write={write:?}"
            )))
        }
        "env" => Err(AdapterError::AdapterBug(format!(
            "env: {:?}",
            std::env::vars().collect::<Vec<_>>()
        ))),
        "socket" => {
            let port = setting("port")?;
            let result = std::net::TcpStream::connect(format!("127.0.0.1:{port}"));
            Err(AdapterError::AdapterBug(format!(
                "socket: {:?}",
                result.map(|_| ())
            )))
        }
        "sleep" => {
            let ms: u64 = setting("sleep_ms")?
                .trim()
                .parse()
                .map_err(|e| AdapterError::Misconfigured(format!("sleep_ms: {e}")))?;
            let start = std::time::Instant::now();
            while start.elapsed() < std::time::Duration::from_millis(ms) {
                std::hint::black_box(());
            }
            Ok(())
        }
        // `http` and `huge` answer differently per export; handled by the callers.
        "http" | "huge" => Ok(()),
        "write-trap" | "relay" | "remember" => Ok(()),
        other => Err(AdapterError::Misconfigured(format!(
            "unknown mode `{other}`"
        ))),
    }
}

/// Recurses forever: each frame holds a 4 KiB buffer the optimiser cannot drop, and the
/// call is not in tail position, so every level needs new stack.
fn recurse(depth: u64) -> u64 {
    // Never true, but the compiler cannot know: keeps the recursion from being flagged.
    if std::hint::black_box(depth) == u64::MAX {
        return 0;
    }
    let frame = std::hint::black_box([depth as u8; 4096]);
    let below = recurse(std::hint::black_box(depth + 1));
    below.wrapping_add(frame[(depth % 4096) as usize] as u64)
}

/// An HTTP answer as (status, headers, body text): readable in a `{:?}` report, unlike
/// the raw body bytes.
type Answer = (u16, Vec<(String, String)>, String);

/// `GET <url>` through the host, so a host test can search the report for a leaked
/// `authorization` or the allowlist's refusal. The outer error is a missing `url` setting.
fn http_get() -> Result<Result<Answer, ehr_adapter_sdk::http::HttpError>, AdapterError> {
    let url = setting("url")?;
    Ok(Request::get(url).send().map(|r| {
        let text = r.text();
        (r.status, r.headers, text)
    }))
}

impl Adapter for Misbehaving {
    fn describe() -> AdapterInfo {
        AdapterInfo {
            id: "misbehaving".to_string(),
            ehr: "Test".to_string(),
            version: VERSION.to_string(),
            description: "Deliberately misbehaving adapter for host sandboxing tests".to_string(),
            fields: Vec::new(),
            http_origins: vec!["config:url".to_string()],
            databases: Vec::new(),
            settings: vec![
                ("mode".to_string(), "the misbehaviour: ok, loop, trap, unreachable, alloc, fs, env, socket, http, huge, sleep, relay, write-trap, stack, wait-then-loop, remember".to_string()),
                (format!("mode@{VERSION}"), "overrides `mode` for this version only".to_string()),
                ("port".to_string(), "TCP port for the socket mode".to_string()),
                ("url".to_string(), "URL for the http mode".to_string()),
                ("sleep_ms".to_string(), "busy-wait length for the sleep mode".to_string()),
                ("check_url".to_string(), "URL `check` probes first (unreachable when it cannot connect)".to_string()),
            ],
            sync_timing: ehr_adapter_sdk::DEFAULT_SYNC_TIMING,
        }
    }

    fn check() -> Result<CheckReport, AdapterError> {
        let mode = mode();
        misbehave(&mode)?;
        if let Some(url) = config::get("check_url") {
            Request::get(url)
                .send()
                .map_err(|e| AdapterError::Unreachable(format!("check: {e:?}")))?;
        }
        if mode == "http" {
            return match http_get()? {
                Ok((status, headers, body)) => Ok(CheckReport {
                    ehr_version: None,
                    details: vec![
                        format!("status: {status}"),
                        format!("headers: {headers:?}"),
                        format!("body: {body}"),
                    ],
                }),
                Err(e) => Err(AdapterError::AdapterBug(format!(
                    "http: {:?}",
                    Err::<(), _>(e)
                ))),
            };
        }
        if mode == "remember" {
            return Ok(CheckReport {
                ehr_version: None,
                details: vec![remember::report()],
            });
        }
        // `ok`, and `sleep` once it has waited, answer exactly like `ok`.
        Ok(CheckReport {
            ehr_version: None,
            details: vec!["misbehaving: ok".to_string()],
        })
    }

    fn write_encounter(snapshot: EncounterSnapshot) -> Result<WriteResult, AdapterError> {
        let mode = mode();
        misbehave(&mode)?;
        match mode.as_str() {
            "write-trap" => panic!("misbehaving adapter: deliberate panic in write_encounter"),
            "relay" => {
                let url = format!("{}{}", setting("url")?, snapshot.job_id);
                Request::get(url)
                    .send()
                    .map_err(|e| AdapterError::Unreachable(format!("relay: {e:?}")))?;
                Ok(WriteResult {
                    record_id: Some(snapshot.job_id.clone()),
                    replayed: false,
                    fields: snapshot
                        .fields
                        .iter()
                        .map(|f| written(&f.id, &format!("test.{}", f.id), Vec::new()))
                        .collect(),
                    notices: Vec::new(),
                })
            }
            "http" => Err(AdapterError::AdapterBug(format!("http: {:?}", http_get()?))),
            "huge" => {
                // 200 000 lines × a 64-character target ≈ 13 MB of strings: several times
                // the host's output limit, yet well inside its default memory limit, so
                // the output check (not the memory limiter) is what must stop it.
                let long = "x".repeat(64);
                let mut fields = Vec::with_capacity(200_000);
                for i in 0..200_000 {
                    fields.push(written(&format!("huge.{i}"), &long, Vec::new()));
                }
                Ok(WriteResult {
                    record_id: Some("huge".to_string()),
                    replayed: false,
                    fields,
                    notices: Vec::new(),
                })
            }
            _ => Ok(WriteResult {
                record_id: Some(snapshot.encounter_id.clone()),
                replayed: false,
                fields: snapshot
                    .fields
                    .iter()
                    .map(|f| written(&f.id, &format!("test.{}", f.id), Vec::new()))
                    .collect(),
                notices: Vec::new(),
            }),
        }
    }
}

// Exported only for the component build: natively, the export symbol names do not link
// into a cdylib (see the revolution adapter for details).
#[cfg(target_arch = "wasm32")]
ehr_adapter_sdk::export!(Misbehaving);
