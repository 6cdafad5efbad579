//! `audit search|verify|export`: the home's audit trail (an agent's, or a hub's with
//! `--home` pointing at the hub's home).

use super::{exit, print_json};
use crate::audit::{AuditLog, Entry, Query};
use crate::home::Home;
use anyhow::Result;

/// The audit commands.
#[derive(clap::Subcommand, Debug)]
pub enum AuditCommand {
    /// Find write attempts by job, patient, encounter or transaction id (all given must
    /// match).
    Search {
        /// A job id.
        #[arg(long)]
        job: Option<String>,
        /// A patient id.
        #[arg(long)]
        patient: Option<String>,
        /// An encounter id.
        #[arg(long)]
        encounter: Option<String>,
        /// A transaction id (as the EHR logged it: `x-transaction-id`).
        #[arg(long)]
        transaction: Option<String>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check that no entry was changed, removed or cut off (exit 0 only when whole).
    Verify {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print every entry as JSON lines (one per attempt), for archiving or analysis.
    Export,
}

/// Runs an audit command.
pub fn run(home: &Home, c: AuditCommand) -> Result<i32> {
    let log = AuditLog::new(home.root().join("audit"));
    match c {
        AuditCommand::Search {
            job,
            patient,
            encounter,
            transaction,
            json,
        } => {
            let q = Query {
                job_id: job,
                patient_id: patient,
                encounter_id: encounter,
                transaction_id: transaction,
            };
            if q == Query::default() {
                anyhow::bail!(
                    "say what to look for: --job, --patient, --encounter or --transaction"
                );
            }
            let found = log.search(&q)?;
            if json {
                print_json(&found)?;
            } else if found.is_empty() {
                println!("no attempt matches");
            } else {
                for e in &found {
                    println!("{}", line(e));
                }
            }
        }
        AuditCommand::Verify { json } => match log.verify() {
            Ok(v) if json => print_json(
                &serde_json::json!({"ok": true, "entries": v.entries, "last_hash": v.last_hash}),
            )?,
            Ok(v) => println!(
                "audit trail whole: {} entries, last hash {}",
                v.entries, v.last_hash
            ),
            Err(e) => {
                if json {
                    print_json(&serde_json::json!({"ok": false, "error": format!("{e:#}")}))?;
                } else {
                    eprintln!("AUDIT TRAIL DAMAGED: {e:#}");
                }
                return Ok(exit::ERROR);
            }
        },
        AuditCommand::Export => {
            for e in log.entries()? {
                println!("{}", serde_json::to_string(&e)?);
            }
        }
    }
    Ok(exit::OK)
}

/// One attempt on one line.
fn line(e: &Entry) -> String {
    let at = crate::report::render_time(e.ended_ms);
    let outcome = serde_json::to_value(e.outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    format!(
        "#{} {at}  job {}  {}  patient {}  encounter {}  transaction {}  {outcome}{}  EHR request ids: {}",
        e.seq,
        e.job_id,
        e.adapter,
        e.patient_id,
        e.encounter_id,
        e.transaction_id,
        e.error_kind.as_deref().map(|k| format!(" ({k})")).unwrap_or_default(),
        if e.ehr_request_ids.is_empty() { "-".to_string() } else { e.ehr_request_ids.join(", ") }
    )
}
