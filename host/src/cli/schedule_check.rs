//! `schedule ID --check`: every appointment with ✔ or the reasons it does not sync, in
//! the words of the practice guide.

use super::{exit, print_json};
use crate::host::Host;
use crate::runtime::bindings::latest::Appointment;
use crate::runtime::LoadedAdapter;
use crate::schedule::{self, Effect, Practice};
use anyhow::{Context, Result};

/// Checks `list` against the home's `[schedule]` settings at the practice's time `at`
/// (`YYYY-MM-DDTHH:MM[:SS]`), or now.
pub async fn print(
    host: &Host,
    adapter: &LoadedAdapter,
    list: &[Appointment],
    at: Option<&str>,
    json: bool,
) -> Result<i32> {
    let policy = &host.config.schedule;
    let providers = adapter.read_providers().await;
    let staff = adapter.read_staff().await;
    let mut caveats = Vec::new();
    if let Err(e) = &providers {
        caveats.push(format!(
            "providers not checked against the EHR: {}",
            clean(&e.to_string())
        ));
    }
    if let Err(e) = &staff {
        caveats.push(format!(
            "staff emails not checked: {}",
            clean(&e.to_string())
        ));
    }
    if policy.approved_types.is_empty() {
        caveats.push("no approved appointment types are configured ([schedule] approved_types in config.toml): every appointment fails that rule".into());
    }
    let now = match at {
        Some(t) => t.trim().parse::<jiff::civil::DateTime>().map_err(|_| {
            anyhow::anyhow!(
                "`{}` given to --at is not a practice time: use YYYY-MM-DDTHH:MM, e.g. 2026-12-01T09:00",
                clean(t)
            )
        })?,
        None => practice_now(policy.time_zone.as_deref())?,
    };
    let practice = Practice {
        providers: providers.as_deref().ok(),
        staff: staff.as_deref().ok(),
    };
    let verdicts = schedule::check(list, practice, policy, now);
    if json {
        print_json(
            &serde_json::json!({"checked_at": now.to_string(), "verdicts": verdicts, "caveats": caveats}),
        )?;
        return Ok(exit::OK);
    }
    for (a, v) in list.iter().zip(&verdicts) {
        let mark = if v.syncs { "✔" } else { "✘" };
        println!(
            "{mark} {}  {}  {}",
            clean(&a.start),
            clean(&a.id),
            clean(&a.appointment_type)
        );
        for r in &v.reasons {
            let tag = match r.effect() {
                Effect::Blocks => "does not sync",
                Effect::Note => "note",
            };
            println!("    {tag} [{}]: {}", r.code(), r.advice());
        }
    }
    let syncing = verdicts.iter().filter(|v| v.syncs).count();
    println!(
        "{syncing} of {} appointments sync (checked at {now}, practice time)",
        verdicts.len()
    );
    for c in caveats {
        println!("note: {c}");
    }
    Ok(exit::OK)
}

fn clean(s: &str) -> String {
    crate::untrusted::clean(s, crate::untrusted::LABEL)
}

/// Now, in the practice's time zone (`[schedule] time_zone`), or this computer's.
fn practice_now(zone: Option<&str>) -> Result<jiff::civil::DateTime> {
    let tz = match zone {
        Some(name) => jiff::tz::TimeZone::get(name)
            .with_context(|| format!("`{name}` in [schedule] time_zone is not a time zone (use an IANA name such as America/Chicago)"))?,
        None => jiff::tz::TimeZone::system(),
    };
    Ok(jiff::Timestamp::now().to_zoned(tz).datetime())
}
