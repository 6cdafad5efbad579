//! # hostile — an adapter that attacks the host's trust boundaries, for the host's tests
//!
//! Never ship this. Where `misbehaving` tests the host's resource limits, this one tests
//! what the host does with what an adapter *says and sends*: text that tries to drive the
//! operator's terminal or forge log lines, secrets an EHR reflected back, URLs with user
//! names and passwords, and headers that are the host's to set.
//!
//! The operator setting `mode` picks the behaviour:
//!
//! | mode | behaviour |
//! |---|---|
//! | `ok` / unset | `check` succeeds; `write_encounter` reports every field written to `test.<field>` |
//! | `escape` | every export fails (or, for `read-schedule`/`read-patient`, answers) with [`HOSTILE_TEXT`]: a screen clear, a green fake success and a forged log line |
//! | `escape-report` | `check` succeeds with [`HOSTILE_TEXT`] in its version and details |
//! | `log-forge` | logs [`HOSTILE_TEXT`] and a 100 000-character line, then answers like `ok` |
//! | `reflect` | `GET <url>` through the host (which adds its credential), logs the body, and fails (`rejected`) with the body and the bearer token it found there, also base64-encoded as in a Basic header |
//! | `reflect-report` | like `reflect`, but succeeds and puts the same text in its report (`check` details, `write_encounter` targets and warnings, `read-patient` address) |
//! | `userinfo` | `GET` on `<url>` with `user:secret@` inserted before the host; reports the outcome |
//! | `header` | `GET <url>` with the header `header_name: header_value`; reports the outcome |
//!
//! Outcomes that are reports (`userinfo`, `header`) come back as `adapter-bug` errors so
//! the host test can read them.
//!
//! `describe` reports [`DESCRIPTION_SLOT`] as its description: a fixed, unique string the
//! host tests overwrite in the built component (same length) to play a publisher whose
//! component describes itself with hostile text.

use base64::Engine as _;
use ehr_adapter_sdk::http::Request;
use ehr_adapter_sdk::prelude::*;
use ehr_adapter_sdk::{FieldError, FieldWarning, Rejection, WarningKind};

/// The hostile adapter.
pub struct Hostile;

/// Text that, shown raw, clears the screen, paints a green success and, in a log, starts
/// a forged line of its own.
pub const HOSTILE_TEXT: &str = "boom\x1b[2J\x1b[H\x1b[32mEHR write succeeded, all fields written\x1b[0m\r\nINFO job J-FAKE succeeded\u{202e}txt.exe";

/// The description `describe` reports; tests replace these exact bytes in the component.
pub const DESCRIPTION_SLOT: &str = "hostile-description-slot-0123456789abcdefghijklmnopqrstuvwxyz";

/// The behaviour the operator asked for.
fn mode() -> String {
    config::get("mode").unwrap_or_else(|| "ok".to_string())
}

/// `GET` on the `url` setting, changed by `edit`, as (status, body) or a readable error.
fn get(
    edit: impl FnOnce(Request) -> Request,
) -> Result<Result<(u16, String), String>, AdapterError> {
    let request = edit(Request::get(config::require("url")?));
    Ok(request
        .send()
        .map(|r| (r.status, r.text()))
        .map_err(|e| format!("{e:?}")))
}

/// The reflected text and what a thief would make of it: the bearer token found in the
/// body, raw and base64-encoded as `user:token` (a Basic header).
fn reflect() -> Result<(String, String), AdapterError> {
    let body = match get(|r| r)? {
        Ok((_, body)) => body,
        Err(e) => return Err(AdapterError::AdapterBug(format!("reflect: {e}"))),
    };
    log::info(&format!("the EHR echoed: {body}"));
    let token = body
        .split("Bearer ")
        .nth(1)
        .map(|rest| rest.split(['"', '\\', ' ', ',']).next().unwrap_or(""))
        .unwrap_or("")
        .to_string();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("user:{token}"));
    Ok((body, format!("token {token} basic {basic}")))
}

/// What `userinfo` and `header` report: the outcome of their request.
fn probe(mode: &str) -> Result<String, AdapterError> {
    let outcome = match mode {
        "userinfo" => get(|mut r| {
            r.url = r.url.replacen("://", "://user:secret@", 1);
            r
        })?,
        _ => {
            let (name, value) = (
                config::require("header_name")?,
                config::require("header_value")?,
            );
            get(|r| r.header(&name, value))?
        }
    };
    Ok(format!("{mode}: {outcome:?}"))
}

fn all_written(snapshot: &EncounterSnapshot, target: &str, warning: Option<&str>) -> WriteResult {
    let warnings = warning
        .map(|w| {
            vec![FieldWarning {
                kind: WarningKind::Other,
                message: w.to_string(),
            }]
        })
        .unwrap_or_default();
    WriteResult {
        record_id: Some(snapshot.encounter_id.clone()),
        replayed: false,
        fields: snapshot
            .fields
            .iter()
            .map(|f| written(&f.id, &target.replace("{}", &f.id), warnings.clone()))
            .collect(),
        notices: Vec::new(),
    }
}

impl Adapter for Hostile {
    fn describe() -> AdapterInfo {
        AdapterInfo {
            id: "hostile".to_string(),
            ehr: "Test".to_string(),
            version: "0.1.0".to_string(),
            description: DESCRIPTION_SLOT.to_string(),
            fields: Vec::new(),
            http_origins: vec!["config:url".to_string()],
            databases: Vec::new(),
            settings: vec![
                ("mode".to_string(), "the attack: ok, escape, escape-report, log-forge, reflect, reflect-report, userinfo, header".to_string()),
                ("url".to_string(), "the URL the reflect, userinfo and header modes request".to_string()),
                ("header_name".to_string(), "the header the header mode sends".to_string()),
                ("header_value".to_string(), "its value".to_string()),
            ],
            sync_timing: ehr_adapter_sdk::DEFAULT_SYNC_TIMING,
        }
    }

    fn check() -> Result<CheckReport, AdapterError> {
        match mode().as_str() {
            "escape" => Err(AdapterError::NotLoggedIn(HOSTILE_TEXT.to_string())),
            "escape-report" => Ok(CheckReport {
                ehr_version: Some(HOSTILE_TEXT.to_string()),
                details: vec![HOSTILE_TEXT.to_string()],
            }),
            "log-forge" => {
                log::info(HOSTILE_TEXT);
                log::warn(&"x".repeat(100_000));
                Ok(CheckReport {
                    ehr_version: None,
                    details: vec!["hostile: logged".to_string()],
                })
            }
            "reflect" => {
                let (body, stolen) = reflect()?;
                Err(AdapterError::Rejected(Rejection {
                    code: Some(stolen.clone()),
                    message: body,
                    field_errors: vec![FieldError {
                        field: "stolen".to_string(),
                        message: stolen,
                    }],
                }))
            }
            "reflect-report" => {
                let (body, stolen) = reflect()?;
                Ok(CheckReport {
                    ehr_version: Some(stolen.clone()),
                    details: vec![body, stolen],
                })
            }
            m @ ("userinfo" | "header") => Err(AdapterError::AdapterBug(probe(m)?)),
            _ => Ok(CheckReport {
                ehr_version: None,
                details: vec!["hostile: ok".to_string()],
            }),
        }
    }

    fn write_encounter(snapshot: EncounterSnapshot) -> Result<WriteResult, AdapterError> {
        match mode().as_str() {
            "escape" => Err(AdapterError::AdapterBug(HOSTILE_TEXT.to_string())),
            "log-forge" => {
                log::info(HOSTILE_TEXT);
                Ok(all_written(&snapshot, "test.{}", None))
            }
            "reflect" => {
                let (body, stolen) = reflect()?;
                Err(AdapterError::Rejected(Rejection {
                    code: Some(stolen.clone()),
                    message: format!("the EHR said: {body}"),
                    field_errors: vec![FieldError {
                        field: "stolen".to_string(),
                        message: stolen,
                    }],
                }))
            }
            "reflect-report" => {
                let (body, stolen) = reflect()?;
                Ok(all_written(
                    &snapshot,
                    &format!("{{}} {stolen}"),
                    Some(&body),
                ))
            }
            m @ ("userinfo" | "header") => Err(AdapterError::AdapterBug(probe(m)?)),
            _ => Ok(all_written(&snapshot, "test.{}", None)),
        }
    }

    fn read_schedule(query: ScheduleQuery) -> Result<Vec<Appointment>, AdapterError> {
        let text = match mode().as_str() {
            "escape" => HOSTILE_TEXT.to_string(),
            "reflect-report" => reflect()?.1,
            _ => "hostile".to_string(),
        };
        Ok(vec![Appointment {
            id: "A1".to_string(),
            start: format!("{}T09:00:00", query.from_date),
            duration_minutes: 30,
            appointment_type: text.clone(),
            provider_id: Some(text.clone()),
            provider_name: Some(text.clone()),
            patient_id: text.clone(),
            patient: Some(patient(&text)),
            status: text,
            encounter_id: None,
        }])
    }

    fn read_patient(_patient_id: String) -> Result<Patient, AdapterError> {
        match mode().as_str() {
            "escape" => Ok(patient(HOSTILE_TEXT)),
            "reflect-report" => {
                let (body, stolen) = reflect()?;
                let mut p = patient(&stolen);
                p.address = Some(body);
                Ok(p)
            }
            _ => Ok(patient("hostile")),
        }
    }
}

fn patient(text: &str) -> Patient {
    Patient {
        id: text.to_string(),
        first_name: text.to_string(),
        last_name: text.to_string(),
        date_of_birth: Some(text.to_string()),
        email: Some(text.to_string()),
        phone: Some(text.to_string()),
        address: Some(text.to_string()),
        insurance: Some(text.to_string()),
    }
}

// Exported only for the component build (see the revolution adapter for why).
#[cfg(target_arch = "wasm32")]
ehr_adapter_sdk::export!(Hostile);
