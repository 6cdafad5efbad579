//! `jobs submit|list|show|retry|cancel`: the job queue in the host's home.

use super::{exit, print_json};
use crate::home::Home;
use crate::jobs::{is_stuck, Clock, JobRecord, NewJob, Queue, SqliteQueue, Status, SystemClock};
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::sync::Arc;

/// The job commands and the queue they act on.
#[derive(clap::Args, Debug)]
pub struct JobsArgs {
    /// A shared PostgreSQL job queue (`host=... dbname=...`), as given to `run --jobs-db`;
    /// without it, the home's SQLite queue.
    #[arg(long, global = true, env = "EHR_HOST_JOBS_DB")]
    pub jobs_db: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: JobsCommand,
}

/// Job commands.
#[derive(clap::Subcommand, Debug)]
pub enum JobsCommand {
    /// Queue one encounter snapshot for an EHR adapter; malformed snapshots are refused.
    Submit {
        /// Adapter id (`revolution`, `crystalpm`, ...).
        ehr: String,
        /// The encounter snapshot (JSON).
        snapshot: PathBuf,
    },
    /// List jobs, oldest first.
    List {
        /// Only jobs with this status (pending, claimed, succeeded, succeeded_with_warnings, failed, cancelled).
        #[arg(long)]
        status: Option<String>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one job: status, progress, per-field report or failure with remediation.
    Show {
        /// Job id.
        id: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Retry a failed job (after fixing its cause).
    Retry {
        /// Job id.
        id: String,
    },
    /// Cancel a pending, claimed or failed job.
    Cancel {
        /// Job id.
        id: String,
    },
}

fn open(home: &Home) -> Result<SqliteQueue> {
    std::fs::create_dir_all(home.root())?;
    Ok(SqliteQueue::open(&home.jobs(), Arc::new(SystemClock))?)
}

fn stuck(job: &JobRecord) -> bool {
    job.status == Status::Claimed
        && job
            .last_progress_ms
            .is_some_and(|t| is_stuck(t, SystemClock.now_ms()))
}

pub async fn run(home: &Home, a: JobsArgs) -> Result<i32> {
    match &a.jobs_db {
        Some(conn) => {
            let queue = crate::jobs::PostgresQueue::connect(conn, Arc::new(SystemClock)).await?;
            exec(home, queue, a.command).await
        }
        None => exec(home, open(home)?, a.command).await,
    }
}

async fn exec<Q: Queue>(home: &Home, queue: Q, c: JobsCommand) -> Result<i32> {
    match c {
        JobsCommand::Submit { ehr, snapshot } => {
            let text = std::fs::read_to_string(&snapshot)
                .with_context(|| format!("cannot read snapshot {}", snapshot.display()))?;
            let parsed = crate::snapshot::parse(&text)?;
            let id = parsed.job_id.clone();
            let sealer = crate::jobs::Sealer::load_or_create(&home.jobs_key())?;
            let payload = sealer.seal(&id, text.as_bytes())?;
            queue
                .submit(NewJob {
                    id: id.clone(),
                    ehr: ehr.clone(),
                    payload,
                })
                .await?;
            println!("queued job {id} for {ehr}");
        }
        JobsCommand::List { status, json } => {
            let status = status
                .map(|s| Status::parse(&s).with_context(|| format!("`{s}` is not a job status: use pending, claimed, succeeded, succeeded_with_warnings, failed or cancelled")))
                .transpose()?;
            let jobs = queue.list(status).await?;
            if json {
                let rows: Vec<_> = jobs
                    .iter()
                    .map(|j| serde_json::json!({"job": j, "stuck": stuck(j)}))
                    .collect();
                print_json(&rows)?;
            } else if jobs.is_empty() {
                println!("no jobs");
            } else {
                for j in &jobs {
                    let flag = if stuck(j) {
                        "  STUCK: claimed for more than five minutes without progress, contact support"
                    } else {
                        ""
                    };
                    println!(
                        "{:28} {:12} {:24} attempts {}{flag}",
                        j.id,
                        j.ehr,
                        j.status.as_str(),
                        j.attempts
                    );
                }
            }
        }
        JobsCommand::Show { id, json } => {
            let j = queue.get(&id).await?;
            if json {
                print_json(&serde_json::json!({"job": j, "stuck": stuck(&j),
                    "report": j.outcome.as_deref().and_then(|o| serde_json::from_str::<serde_json::Value>(o).ok()),
                    "error": j.error.as_deref().and_then(|e| serde_json::from_str::<serde_json::Value>(e).ok())}))?;
                return Ok(exit::OK);
            }
            println!(
                "job {} for {}: {} (attempts {})",
                j.id,
                j.ehr,
                j.status.as_str(),
                j.attempts
            );
            if let Some(p) = &j.progress {
                println!("progress: {p}");
            }
            if stuck(&j) {
                println!(
                    "STUCK: claimed for more than five minutes without progress: contact support"
                );
            }
            if let Some(o) = &j.outcome {
                if let Ok(report) = serde_json::from_str::<crate::report::WriteReport>(o) {
                    print!("{}", report.render());
                }
            }
            if let Some(e) = &j.error {
                if let Ok(rem) = serde_json::from_str::<crate::remediation::Remediation>(e) {
                    print!("last failure: {}", crate::report::render_remediation(&rem));
                }
            }
        }
        JobsCommand::Retry { id } => {
            queue.retry(&id).await?;
            println!("job {id} will be attempted again");
        }
        JobsCommand::Cancel { id } => {
            queue.cancel(&id).await?;
            println!("job {id} cancelled");
        }
    }
    Ok(exit::OK)
}
