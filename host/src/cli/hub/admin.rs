//! The operator's commands on the hub's store: practices, API keys, pairing codes,
//! agents, revocation, jobs and settings. They read the same typed views the APIs serve.

use super::super::{exit, print_json};
use super::HubCommand;
use crate::home::Home;
use crate::hub::ops;
use crate::hub::store::{HubStore, PostgresHubStore, SqliteHubStore};
use crate::jobs::{Clock, JobView, PostgresQueue, Queue, SqliteQueue, Status, SystemClock};
use crate::link::pin::Fingerprint;
use crate::status::hub::AgentView;
use anyhow::{bail, Result};
use std::sync::Arc;
use std::time::Duration;

/// `hub practice ...`.
#[derive(clap::Subcommand, Debug)]
pub enum PracticeCommand {
    /// Add a practice.
    Add {
        /// Its id: lowercase letters, digits and dashes (`eastside-eye`).
        id: String,
        /// Its name.
        #[arg(long)]
        name: String,
    },
    /// List practices.
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a practice's settings.
    Set {
        /// The practice.
        id: String,
        /// How long its agents' pairings last (`30d`), or `never`.
        #[arg(long, value_parser = super::lifetime)]
        pairing_lifetime: Option<super::Lifetime>,
        /// Intake API requests per minute for this practice.
        #[arg(long)]
        requests_per_minute: Option<u32>,
    },
}

/// `hub api-key ...`.
#[derive(clap::Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Make an API key for a practice (printed once; the hub keeps only its hash).
    Create {
        /// The practice.
        #[arg(long)]
        practice: String,
        /// What it is for.
        #[arg(long, default_value = "scribe platform")]
        label: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List API keys (never the keys themselves).
    List {
        /// Only this practice's.
        #[arg(long)]
        practice: Option<String>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke an API key.
    Revoke {
        /// Its id (the part after `ehk_`, before the next `_`).
        id: String,
    },
}

/// Arguments of `hub pair-code`.
#[derive(clap::Args, Debug)]
pub struct PairCodeArgs {
    /// The practice the agent will join.
    #[arg(long)]
    pub practice: String,
    /// How long the code can be used.
    #[arg(long, default_value = "15m", value_parser = super::super::registry::duration)]
    pub ttl: Duration,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `hub agents`.
#[derive(clap::Args, Debug)]
pub struct AgentsArgs {
    /// Only this practice's.
    #[arg(long)]
    pub practice: Option<String>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `hub revoke`.
#[derive(clap::Args, Debug)]
pub struct RevokeArgs {
    /// The agent id (`hub agents` lists them).
    pub agent: String,
}

/// Arguments of `hub jobs`.
#[derive(clap::Args, Debug)]
pub struct JobsArgs {
    /// Only this practice's.
    #[arg(long)]
    pub practice: Option<String>,
    /// Only jobs with this status.
    #[arg(long)]
    pub status: Option<String>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `hub settings`.
#[derive(clap::Args, Debug)]
pub struct SettingsArgs {
    /// The lowest agent version handed jobs.
    #[arg(long)]
    pub min_agent_version: Option<semver::Version>,
    /// The heartbeat interval.
    #[arg(long, value_parser = super::super::registry::duration)]
    pub heartbeat: Option<Duration>,
    /// How long a job poll is held (at most 50s).
    #[arg(long, value_parser = super::super::registry::duration)]
    pub poll: Option<Duration>,
    /// A job's lease at an agent.
    #[arg(long, value_parser = super::super::registry::duration)]
    pub lease: Option<Duration>,
    /// How long new pairings last, or `never`.
    #[arg(long, value_parser = super::lifetime)]
    pub pairing_lifetime: Option<super::Lifetime>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs an operator command on the store.
pub async fn run(home: &Home, db: Option<&str>, c: HubCommand) -> Result<i32> {
    if let HubCommand::Jobs(a) = c {
        return match db {
            Some(conn) => {
                jobs(
                    PostgresQueue::connect(conn, Arc::new(SystemClock)).await?,
                    a,
                )
                .await
            }
            None => {
                jobs(
                    SqliteQueue::open(&home.root().join("jobs.sqlite"), Arc::new(SystemClock))?,
                    a,
                )
                .await
            }
        };
    }
    match db {
        Some(conn) => on_store(home, &PostgresHubStore::connect(conn).await?, c).await,
        None => {
            std::fs::create_dir_all(home.root())?;
            on_store(
                home,
                &SqliteHubStore::open(&home.root().join("hub.sqlite"))?,
                c,
            )
            .await
        }
    }
}

fn now() -> u64 {
    SystemClock.now_ms()
}

fn when(ms: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

async fn on_store<S: HubStore>(home: &Home, s: &S, c: HubCommand) -> Result<i32> {
    match c {
        HubCommand::Practice(p) => practice(s, p).await,
        HubCommand::ApiKey(k) => api_key(s, k).await,
        HubCommand::PairCode(a) => pair_code(home, s, a).await,
        HubCommand::Agents(a) => agents(s, a).await,
        HubCommand::Revoke(a) => {
            s.revoke_agent(&a.agent, now()).await?;
            println!("agent {} revoked: it is refused from its next request on (it shows \"Pairing expired\")", a.agent);
            Ok(exit::OK)
        }
        HubCommand::Settings(a) => settings(s, a).await,
        HubCommand::Schedule(a) => super::schedule::run(s, a).await,
        HubCommand::User(c) => super::users::run(s, c).await,
        HubCommand::Serve(_) | HubCommand::Jobs(_) | HubCommand::Alerts(_) => {
            unreachable!("handled by the caller")
        }
    }
}

async fn practice<S: HubStore>(s: &S, c: PracticeCommand) -> Result<i32> {
    match c {
        PracticeCommand::Add { id, name } => {
            let p = ops::create_practice(s, &id, &name, now()).await?;
            println!("practice {} ({}) added; next: `ehr-host hub api-key create --practice {}` and `ehr-host hub pair-code --practice {}`", p.id, p.name, p.id, p.id);
        }
        PracticeCommand::List { json } => {
            let list = s.practices().await?;
            if json {
                print_json(&list)?;
            }
            for p in list.iter().filter(|_| !json) {
                println!("{:24} {}", p.id, p.name);
            }
        }
        PracticeCommand::Set {
            id,
            pairing_lifetime,
            requests_per_minute,
        } => {
            let mut settings = s.practice(&id).await?.settings;
            if let Some(l) = pairing_lifetime {
                settings.pairing_seconds = l.seconds();
            }
            if let Some(r) = requests_per_minute {
                settings.requests_per_minute = Some(r.max(1));
            }
            s.set_practice_settings(&id, &settings).await?;
            println!("practice {id}: {}", serde_json::to_string(&settings)?);
        }
    }
    Ok(exit::OK)
}

async fn api_key<S: HubStore>(s: &S, c: ApiKeyCommand) -> Result<i32> {
    match c {
        ApiKeyCommand::Create {
            practice,
            label,
            json,
        } => {
            let k = ops::create_api_key(s, &practice, &label, now()).await?;
            if json {
                print_json(&k)?;
            } else {
                println!("{}", k.key);
                eprintln!("API key {} for practice {practice}: shown this once, the hub keeps only its hash.", k.record.id);
            }
        }
        ApiKeyCommand::List { practice, json } => {
            let list = s.api_keys(practice.as_deref()).await?;
            if json {
                print_json(&list)?;
            }
            for k in list.iter().filter(|_| !json) {
                let state = k
                    .revoked_ms
                    .map_or("active".to_string(), |t| format!("revoked {}", when(t)));
                println!("{:14} {:20} {:24} {state}", k.id, k.practice_id, k.label);
            }
        }
        ApiKeyCommand::Revoke { id } => {
            s.revoke_api_key(&id, now()).await?;
            println!("API key {id} revoked");
        }
    }
    Ok(exit::OK)
}

async fn pair_code<S: HubStore>(home: &Home, s: &S, a: PairCodeArgs) -> Result<i32> {
    let code = ops::create_pair_code(s, &a.practice, a.ttl, now()).await?;
    let (cert, _) = crate::hub::tls::generated_paths(home.root());
    let fingerprint: Option<Fingerprint> = crate::hub::tls::fingerprint_file(&cert).ok();
    let url = std::fs::read_to_string(crate::hub::server::addr_file(home.root()))
        .ok()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.contains("0.0.0.0") && !u.contains("[::]"))
        .unwrap_or_else(|| "https://<this hub's address>".into());
    if a.json {
        print_json(
            &serde_json::json!({"practice_id": code.practice_id, "code": code.code, "expires_ms": code.expires_ms, "fingerprint": fingerprint}),
        )?;
        return Ok(exit::OK);
    }
    println!("{}", code.code);
    eprintln!(
        "pairing code for practice {}, single use, valid until {}",
        code.practice_id,
        when(code.expires_ms)
    );
    let pin = fingerprint
        .map(|f| format!(" --fingerprint {f}"))
        .unwrap_or_default();
    eprintln!(
        "on the practice's computer: ehr-host pair {} --hub {url}{pin}",
        code.code
    );
    Ok(exit::OK)
}

async fn agents<S: HubStore>(s: &S, a: AgentsArgs) -> Result<i32> {
    let settings = s.settings().await?;
    let now = now();
    let views: Vec<AgentView> = s
        .agents(a.practice.as_deref())
        .await?
        .into_iter()
        .map(|r| AgentView::new(r, &settings, now))
        .collect();
    if a.json {
        print_json(&views)?;
    } else if views.is_empty() {
        println!("no agents paired yet (`ehr-host hub pair-code --practice P` makes a code)");
    } else {
        for v in &views {
            print!("{}", v.render(now));
        }
    }
    Ok(exit::OK)
}

async fn jobs<Q: Queue>(q: Q, a: JobsArgs) -> Result<i32> {
    let status = match a.status.as_deref() {
        None => None,
        Some(s) => match Status::parse(s) {
            Some(st) => Some(st),
            None => bail!("`{s}` is not a job status (pending, claimed, succeeded, succeeded_with_warnings, failed, cancelled)"),
        },
    };
    let now = now();
    let views: Vec<JobView> = q
        .list_where(status, a.practice.as_deref())
        .await?
        .into_iter()
        .map(|j| JobView::new(j, now, crate::jobs::STUCK_AFTER))
        .collect();
    if a.json {
        print_json(&views)?;
    } else {
        for v in &views {
            let who = v
                .job
                .claimed_by
                .as_deref()
                .map(|c| format!("  at {c}"))
                .unwrap_or_default();
            println!(
                "{:18} {}{who}",
                v.job.scope.as_deref().unwrap_or("-"),
                v.line()
            );
        }
    }
    Ok(exit::OK)
}

async fn settings<S: HubStore>(s: &S, a: SettingsArgs) -> Result<i32> {
    let mut settings = s.settings().await?;
    let before = settings.clone();
    let secs = |d: Duration| u32::try_from(d.as_secs()).unwrap_or(u32::MAX);
    if let Some(v) = a.min_agent_version {
        settings.min_agent_version = v;
    }
    if let Some(d) = a.heartbeat {
        settings.intervals.heartbeat_seconds = secs(d);
    }
    if let Some(d) = a.poll {
        settings.intervals.poll_seconds = secs(d);
    }
    if let Some(d) = a.lease {
        settings.intervals.lease_seconds = secs(d);
    }
    if let Some(l) = a.pairing_lifetime {
        settings.pairing_seconds = l.seconds();
    }
    if settings != before {
        crate::hub::settings::check(&settings).map_err(anyhow::Error::msg)?;
        s.save_settings(&settings).await?;
    }
    if a.json {
        print_json(&settings)?;
    } else {
        let i = settings.intervals;
        println!("minimum agent version: {}", settings.min_agent_version);
        println!(
            "heartbeat every {}s; polls held {}s; leases {}s",
            i.heartbeat_seconds, i.poll_seconds, i.lease_seconds
        );
        println!(
            "pairings last: {}",
            settings
                .pairing_seconds
                .map_or("until revoked".to_string(), |s| humantime::format_duration(
                    Duration::from_secs(s)
                )
                .to_string())
        );
        if settings != before {
            println!("(saved; running hubs use it within seconds, agents at their next answer)");
        }
    }
    Ok(exit::OK)
}
