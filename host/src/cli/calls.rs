//! `check`, `write`, `schedule`, `patient`: calls into an installed adapter.

use super::{exit, open, print_json};
use crate::home::Home;
use crate::remediation::{for_call_error, FailureClass, Remediation};
use crate::report::render_remediation;
use crate::runtime::bindings::latest::ScheduleQuery;
use crate::runtime::{CallError, LoadedAdapter};
use crate::untrusted::{clean, clean_multiline, LABEL, MESSAGE};
use anyhow::{Context, Result};
use std::path::PathBuf;

/// Arguments of `check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Adapter id.
    pub id: String,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `write`.
#[derive(clap::Args, Debug)]
pub struct WriteArgs {
    /// Adapter id.
    pub id: String,
    /// The encounter snapshot (JSON; see `ehr-host catalog` for field ids).
    pub snapshot: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `schedule`.
#[derive(clap::Args, Debug)]
pub struct ScheduleArgs {
    /// Adapter id.
    pub id: String,
    /// First day, YYYY-MM-DD.
    #[arg(long)]
    pub from: String,
    /// Last day, YYYY-MM-DD (default: same as --from).
    #[arg(long)]
    pub to: Option<String>,
    /// Only this provider.
    #[arg(long)]
    pub provider: Option<String>,
    /// Check every appointment against the practice's sync rules (`[schedule]` in
    /// config.toml) and print ✔ or why it does not sync.
    #[arg(long)]
    pub check: bool,
    /// With --check: check as of this practice time (`YYYY-MM-DDTHH:MM[:SS]`) instead of
    /// now, e.g. to see what will sync tomorrow morning.
    #[arg(long, requires = "check")]
    pub at: Option<String>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `patient`.
#[derive(clap::Args, Debug)]
pub struct PatientArgs {
    /// Adapter id.
    pub id: String,
    /// The EHR's patient id.
    pub patient_id: String,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The exit code for a failure of this class.
pub(super) fn code_for(r: &Remediation) -> i32 {
    match r.class {
        FailureClass::Retryable => exit::RETRYABLE,
        FailureClass::NeedsPerson => exit::NEEDS_PERSON,
        FailureClass::Terminal => exit::TERMINAL,
    }
}

fn failed(adapter: &LoadedAdapter, e: &CallError, json: bool) -> Result<i32> {
    let detail = clean(&e.to_string(), MESSAGE);
    let rem = for_call_error(e, adapter.situation, detail);
    if json {
        print_json(&serde_json::json!({"ok": false, "error": rem}))?;
    } else {
        eprint!("{}", render_remediation(&rem));
    }
    Ok(code_for(&rem))
}

// What `check`, `schedule` and `patient` print comes from the adapter and the EHR: it has
// had every secret the host holds redacted already (`LoadedAdapter`), and is made safe
// for the terminal here, so no escape sequence can act and no line break forge a line.

/// An adapter error with its text made safe to print.
fn shown_error(e: CallError) -> CallError {
    e.map_adapter_text(&|t| clean(&t, MESSAGE))
}

/// `value` as JSON with every string made safe to print (line breaks kept: JSON
/// escapes them).
fn shown_json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value> {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) => *s = clean_multiline(s, MESSAGE),
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            serde_json::Value::Object(map) => map.values_mut().for_each(walk),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(value)?;
    walk(&mut v);
    Ok(v)
}

/// A short piece of adapter text (a name, an id, a status) as one safe line.
fn label(text: &str) -> String {
    clean(text, LABEL)
}

pub async fn check(home: &Home, a: CheckArgs) -> Result<i32> {
    let host = open(home)?;
    let adapter = host.load(&a.id)?;
    match adapter.check().await {
        Ok(report) => {
            if a.json {
                print_json(&serde_json::json!({"ok": true, "report": shown_json(&report)?}))?;
            } else {
                println!(
                    "{}: EHR reachable, session valid ({})",
                    a.id,
                    label(report.ehr_version.as_deref().unwrap_or("version unknown"))
                );
                for d in report.details {
                    println!("  {}", clean(&d, MESSAGE));
                }
            }
            Ok(exit::OK)
        }
        Err(e) => failed(&adapter, &shown_error(e), a.json),
    }
}

pub async fn write(home: &Home, a: WriteArgs) -> Result<i32> {
    let bytes = std::fs::read(&a.snapshot)
        .with_context(|| format!("cannot read snapshot {}", a.snapshot.display()))?;
    let snapshot = crate::snapshot::parse_bytes(&bytes)?;
    let host = open(home)?;
    let adapter = host.load(&a.id)?;
    let audit = crate::audit::AuditLog::new(home.root().join("audit"));
    let report =
        crate::jobs::attempt::write_once(&adapter, snapshot, &audit, "ehr-host write").await;
    let code = report.error.as_ref().map_or(exit::OK, code_for);
    if a.json {
        print_json(&report)?;
    } else if code == exit::OK {
        print!("{}", report.render());
    } else {
        eprint!("{}", report.render());
    }
    Ok(code)
}

pub async fn schedule(home: &Home, a: ScheduleArgs) -> Result<i32> {
    for d in [Some(&a.from), a.to.as_ref()].into_iter().flatten() {
        anyhow::ensure!(
            crate::snapshot::valid_date(d),
            "`{d}` is not a date (YYYY-MM-DD)"
        );
    }
    let host = open(home)?;
    let adapter = host.load(&a.id)?;
    let query = ScheduleQuery {
        to_date: a.to.clone().unwrap_or_else(|| a.from.clone()),
        from_date: a.from,
        provider_id: a.provider,
    };
    let list = match adapter.read_schedule(query).await {
        Ok(list) => list,
        Err(e) => return failed(&adapter, &shown_error(e), a.json),
    };
    if a.check {
        return super::schedule_check::print(&host, &adapter, &list, a.at.as_deref(), a.json).await;
    }
    if a.json {
        print_json(&shown_json(&list)?)?;
        return Ok(exit::OK);
    }
    for ap in &list {
        let who = ap
            .patient
            .as_ref()
            .map(|p| format!("{} {}", p.first_name, p.last_name))
            .unwrap_or_else(|| ap.patient_id.clone());
        println!(
            "{}  {:>3} min  {:12} {:14} {:20} {}",
            label(&ap.start),
            ap.duration_minutes,
            label(&ap.status),
            label(
                ap.provider_name
                    .as_deref()
                    .or(ap.provider_id.as_deref())
                    .unwrap_or("-")
            ),
            label(&ap.appointment_type),
            label(&who)
        );
    }
    println!("{} appointments", list.len());
    Ok(exit::OK)
}

pub async fn patient(home: &Home, a: PatientArgs) -> Result<i32> {
    let host = open(home)?;
    let adapter = host.load(&a.id)?;
    match adapter.read_patient(a.patient_id).await {
        Ok(p) => {
            if a.json {
                print_json(&shown_json(&p)?)?;
            } else {
                let or_none = |v: &Option<String>| label(v.as_deref().unwrap_or("-"));
                println!(
                    "{} {} {} (born {})",
                    label(&p.id),
                    label(&p.first_name),
                    label(&p.last_name),
                    label(p.date_of_birth.as_deref().unwrap_or("unknown"))
                );
                println!("  email {}  phone {}", or_none(&p.email), or_none(&p.phone));
                println!(
                    "  address {}",
                    clean(p.address.as_deref().unwrap_or("-"), MESSAGE)
                );
            }
            Ok(exit::OK)
        }
        Err(e) => failed(&adapter, &shown_error(e), a.json),
    }
}
