//! `jobs submit|list|show|retry|cancel`: the job queue in the host's home (or a shared
//! PostgreSQL queue). Submission goes through the same intake as the job API.

use super::{exit, print_json};
use crate::home::Home;
use crate::jobs::{
    key, submit, CancelOutcome, Clock, JobView, PostgresQueue, Queue, SqliteQueue, Status,
    SubmitError, SystemClock,
};
use crate::report::{Landed, WriteReport};
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long `jobs cancel` waits for the agent to stop a job it is writing.
const CANCEL_WAIT: Duration = Duration::from_secs(30);

/// The job commands and the queue they act on.
#[derive(clap::Args, Debug)]
pub struct JobsArgs {
    /// A shared PostgreSQL job queue (`host=... dbname=...`), as given to `run --jobs-db`;
    /// without it, the home's SQLite queue.
    #[arg(long, global = true, env = "EHR_HOST_JOBS_DB")]
    pub jobs_db: Option<String>,
    /// The key file that seals job snapshots (as given to `run --jobs-key`).
    #[arg(long, global = true)]
    pub jobs_key: Option<PathBuf>,
    /// A claimed job without progress for this long is flagged stuck.
    #[arg(long, global = true, default_value = "5m", value_parser = super::registry::duration)]
    pub stuck_after: Duration,
    /// The command.
    #[command(subcommand)]
    pub command: JobsCommand,
}

/// Job commands.
#[derive(clap::Subcommand, Debug)]
pub enum JobsCommand {
    /// Queue one encounter snapshot for an installed EHR adapter; a malformed snapshot or
    /// a reused job id is refused and nothing is queued.
    Submit {
        /// Adapter id (`revolution`, `crystalpm`, ...).
        ehr: String,
        /// The encounter snapshot (JSON; see sdk/README.md for its format).
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
    /// Cancel a pending or failed job, or ask the agent to stop one it is writing (the
    /// answer says what is already in the chart).
    Cancel {
        /// Job id.
        id: String,
    },
}

/// Runs a job command.
pub async fn run(home: &Home, a: JobsArgs) -> Result<i32> {
    match &a.jobs_db {
        Some(conn) => {
            let queue = PostgresQueue::connect(conn, Arc::new(SystemClock)).await?;
            exec(home, queue, a).await
        }
        None => {
            std::fs::create_dir_all(home.root())?;
            let queue = SqliteQueue::open(&home.jobs(), Arc::new(SystemClock))?;
            exec(home, queue, a).await
        }
    }
}

async fn exec<Q: Queue>(home: &Home, queue: Q, a: JobsArgs) -> Result<i32> {
    let view = |j| JobView::new(j, SystemClock.now_ms(), a.stuck_after);
    match a.command {
        JobsCommand::Submit { ehr, snapshot } => {
            let bytes = std::fs::read(&snapshot)
                .with_context(|| format!("cannot read snapshot {}", snapshot.display()))?;
            let sealer =
                key::open(&queue, a.jobs_key.as_deref().unwrap_or(&home.jobs_key())).await?;
            let known: Vec<String> = crate::store::AdapterStore::new(home.adapters())
                .list()?
                .into_iter()
                .map(|i| i.id)
                .collect();
            match submit(&queue, &sealer, &known, &ehr, &bytes).await {
                Ok(s) => println!("queued job {} for {}", s.id, s.ehr),
                Err(SubmitError::Invalid(e)) => {
                    eprintln!("error: {e}");
                    return Ok(exit::ERROR);
                }
                Err(e) => return Err(e.into()),
            }
        }
        JobsCommand::List { status, json } => {
            let status = status
                .map(|s| Status::parse(&s).with_context(|| format!("`{s}` is not a job status: use pending, claimed, succeeded, succeeded_with_warnings, failed or cancelled")))
                .transpose()?;
            let jobs: Vec<JobView> = queue.list(status).await?.into_iter().map(view).collect();
            if json {
                print_json(&jobs)?;
            } else if jobs.is_empty() {
                println!("no jobs");
            } else {
                for j in &jobs {
                    println!("{}", j.line());
                }
            }
        }
        JobsCommand::Show { id, json } => {
            let j = view(queue.get(&id).await?);
            if json {
                print_json(&j)?;
            } else {
                print!("{}", j.render());
            }
        }
        JobsCommand::Retry { id } => {
            queue.retry(&id).await?;
            println!("job {id} will be attempted again");
        }
        JobsCommand::Cancel { id } => return cancel(&queue, &id).await,
    }
    Ok(exit::OK)
}

/// Cancels `id` and says what happened — for a job being written, after its agent
/// stopped (or, if it does not within [`CANCEL_WAIT`], that the request stands).
async fn cancel<Q: Queue>(queue: &Q, id: &str) -> Result<i32> {
    if queue.cancel(id).await? == CancelOutcome::Cancelled {
        println!("job {id} cancelled; nothing of it was written");
        return Ok(exit::OK);
    }
    println!("cancel requested: the agent writing job {id} stops before its next write");
    let until = Instant::now() + CANCEL_WAIT;
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let j = queue.get(id).await?;
        if j.status == Status::Claimed {
            continue;
        }
        match j.status {
            Status::Cancelled => println!("job {id} cancelled; {}", in_chart(j.report.as_ref())),
            Status::Succeeded | Status::SucceededWithWarnings => {
                println!("job {id} could not be cancelled: its write had already finished, and it is in the chart ({})", j.status.words());
                return Ok(exit::ERROR);
            }
            other => println!("job {id} is now {}", other.words()),
        }
        return Ok(exit::OK);
    }
    println!(
        "the agent has not stopped job {id} yet (it may be waiting on the EHR); the cancel stands. Follow it with `ehr-host jobs show {id}`."
    );
    Ok(exit::OK)
}

/// What a cancelled job left in the chart, in words.
fn in_chart(report: Option<&WriteReport>) -> String {
    match report.map(|r| (r.landed, r.written)) {
        None | Some((Landed::Nothing, _)) => "nothing of it was written".into(),
        Some((Landed::Unknown, _)) => "the adapter could not say what reached the chart before it stopped: check the encounter in the EHR".into(),
        Some((_, n)) => format!("{n} field(s) were already written and are in the chart (see `ehr-host jobs show`)"),
    }
}
