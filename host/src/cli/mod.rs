//! The `ehr-host` command line: a thin layer over [`crate::host::Host`].

mod adapters;
mod agent;
mod audit;
mod calls;
mod hub;
mod jobs;
mod keys;
mod pair;
mod registry;
mod scaffold;
mod schedule_check;
mod service;
mod status;
mod support;
mod trust;

pub use service::log_file;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Exit codes, documented in `--help`.
pub mod exit {
    /// Success (a write may still have skipped fields: see the report).
    pub const OK: i32 = 0;
    /// Any other error (bad input, I/O, configuration).
    pub const ERROR: i32 = 1;
    /// Command-line usage error.
    pub const USAGE: i32 = 2;
    /// A package or registry document was refused (unsigned, untrusted, revoked, tampered,
    /// incompatible, yanked, rolled back, expired, hash mismatch).
    pub const REFUSED: i32 = 3;
    /// The job failed and needs a person (log in, grant a permission, fix config).
    pub const NEEDS_PERSON: i32 = 4;
    /// The job failed but will succeed on retry (unreachable, timeout, 429, 5xx).
    pub const RETRYABLE: i32 = 5;
    /// The job failed and will not succeed as is (rejected, wrong patient, adapter bug).
    pub const TERMINAL: i32 = 6;
    /// Another operation on the same adapter held it or changed it meanwhile; nothing was
    /// changed (look with `ehr-host list`, then run the command again).
    pub const BUSY: i32 = 7;
}

const AFTER_HELP: &str = "\
Exit codes: 0 ok · 1 error · 2 usage · 3 package or registry refused · 4 job needs a person (log in, permission, config) · 5 job failed, retryable · 6 job failed, terminal (rejected, wrong patient, adapter bug) · 7 another operation on the same adapter ran at the same time; nothing changed, run it again

Home directory: --home, or $EHR_HOST_HOME, or ~/.ehr-host (config.toml, trust.json, adapters/, cache/).";

/// Carries AI-scribe encounter data into EHRs through signed WebAssembly adapters.
#[derive(Parser, Debug)]
#[command(name = "ehr-host", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// The host's home directory.
    #[arg(long, global = true, env = "EHR_HOST_HOME")]
    pub home: Option<PathBuf>,
    /// More log output (-v info, -vv debug); logs go to stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a publisher signing key pair (NAME.key, secret; NAME.pub, public).
    Keygen(keys::KeygenArgs),
    /// Package and sign an adapter component (manifest taken from its `describe`).
    Sign(keys::SignArgs),
    /// Verify a package against this host's trust store without installing it.
    Verify(keys::VerifyArgs),
    /// Print what an adapter component says about itself (field mapping as Markdown for docs).
    Describe(adapters::DescribeArgs),
    /// Manage trusted and revoked publisher keys.
    #[command(subcommand)]
    Trust(trust::TrustCommand),
    /// Install a package file, or ID[@RANGE] from the registries: verify, compile, self-check, install atomically (the previous version is kept).
    Install(adapters::InstallArgs),
    /// List installed adapters.
    List(adapters::ListArgs),
    /// Show one installed adapter: manifest, grants, publisher, field mapping.
    Info(adapters::InfoArgs),
    /// Remove an installed adapter and all its versions.
    Remove(adapters::IdArgs),
    /// Return an adapter to its previous version.
    Rollback(adapters::RollbackArgs),
    /// Run an adapter's `check`: is the EHR reachable and the session valid.
    Check(calls::CheckArgs),
    /// Write one encounter snapshot (JSON) through an adapter and print the per-field report.
    Write(calls::WriteArgs),
    /// Read appointments through an adapter.
    Schedule(calls::ScheduleArgs),
    /// Read one patient's demographics through an adapter.
    Patient(calls::PatientArgs),
    /// Queue write jobs and follow them: submit, list, show, retry, cancel.
    Jobs(jobs::JobsArgs),
    /// Publish to a registry (init, publish, yank, refresh, rotate, serve) or pull from one (add, list, remove).
    #[command(subcommand)]
    Registry(registry::RegistryCommand),
    /// Search the registries' adapters.
    Search(registry::SearchArgs),
    /// Install the newest version each installed adapter's pin allows, from the registries.
    Update(registry::UpdateArgs),
    /// Show installed adapters for which the registries have newer versions.
    Outdated(registry::JsonArgs),
    /// Run the agent: write queued jobs, serve every installed adapter, poll the registries, hot-swap new versions after a self-check, roll back broken ones.
    Run(agent::RunArgs),
    /// Pair this agent with a hub using a one-time pairing code.
    Pair(pair::PairArgs),
    /// The agent's status as the tray icon shows it: hub connection, EHRs, heartbeat, jobs (exit 0 only when green).
    Status(status::StatusArgs),
    /// The hub: serve, and the operator's practices, API keys, pairing codes, agents, jobs, settings.
    Hub(hub::HubArgs),
    /// Print the field catalog (ids, kinds, units, ranges).
    Catalog(CatalogArgs),
    /// The audit trail of write attempts: search by job, patient, encounter or
    /// transaction id; verify nothing was changed; export as JSON lines.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Scaffold a new adapter crate from the SDK.
    New(scaffold::NewArgs),
    /// Write one file for support: version, configuration (secrets redacted), recent
    /// events, job outcomes (no clinical text), adapters and their last check.
    SupportBundle(support::SupportBundleArgs),
    /// Run the agent unattended: a Windows service (install, uninstall, start, stop,
    /// status); on Linux, the systemd unit to use.
    #[command(subcommand)]
    Service(service::ServiceCommand),
}

/// Arguments of `catalog`.
#[derive(clap::Args, Debug)]
pub struct CatalogArgs {
    /// Print the catalog as JSON.
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Print the catalog as Markdown (the content of wit/FIELD-CATALOG.md).
    #[arg(long)]
    pub markdown: bool,
}

impl Cli {
    /// True for commands that run until stopped (the agent, a registry server): they
    /// must never die because something stopped reading their output.
    pub fn is_long_running(&self) -> bool {
        matches!(
            self.command,
            Command::Run(_)
                | Command::Registry(registry::RegistryCommand::Serve(_))
                | Command::Hub(hub::HubArgs {
                    command: hub::HubCommand::Serve(_),
                    ..
                })
        )
    }
}

/// For short commands, a closed output pipe (`ehr-host jobs show J | head`) ends the
/// process quietly, as for any Unix tool, instead of a panic with a backtrace.
pub fn die_quietly_on_closed_pipe() {
    crate::platform::pipe::die_quietly_on_closed_pipe();
}

/// Runs the command; returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    let home = crate::home::Home::new(
        cli.home
            .clone()
            .unwrap_or_else(crate::home::Home::default_root),
    );
    let result = match cli.command {
        Command::Keygen(a) => keys::keygen(a),
        Command::Sign(a) => keys::sign(&home, a).await,
        Command::Verify(a) => keys::verify(&home, a),
        Command::Describe(a) => adapters::describe(&home, a).await,
        Command::Trust(c) => trust::run(&home, c),
        Command::Install(a) => adapters::install(&home, a).await,
        Command::List(a) => adapters::list(&home, a),
        Command::Info(a) => adapters::info(&home, a).await,
        Command::Remove(a) => adapters::remove(&home, a),
        Command::Rollback(a) => adapters::rollback(&home, a),
        Command::Check(a) => calls::check(&home, a).await,
        Command::Write(a) => calls::write(&home, a).await,
        Command::Schedule(a) => calls::schedule(&home, a).await,
        Command::Patient(a) => calls::patient(&home, a).await,
        Command::Jobs(a) => jobs::run(&home, a).await,
        Command::Registry(c) => registry::run(&home, c).await,
        Command::Search(a) => registry::search(&home, a).await,
        Command::Update(a) => registry::update(&home, a).await,
        Command::Outdated(a) => registry::outdated(&home, a).await,
        Command::Run(a) => agent::run(&home, a).await,
        Command::Pair(a) => pair::pair(&home, a).await,
        Command::Status(a) => status::status(&home, a).await,
        Command::Hub(a) => hub::run(&home, a).await,
        Command::Catalog(a) => catalog(a),
        Command::Audit(c) => audit::run(&home, c),
        Command::New(a) => scaffold::new(a),
        Command::SupportBundle(a) => support::support_bundle(&home, a).await,
        Command::Service(c) => service::run(&home, c).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<crate::store::StoreBusy>().is_some() {
                exit::BUSY
            } else if e.downcast_ref::<crate::package::Refusal>().is_some()
                || e.downcast_ref::<crate::registry::RegistryRefusal>()
                    .is_some()
                || e.downcast_ref::<crate::store::StoreRefusal>().is_some()
            {
                exit::REFUSED
            } else {
                exit::ERROR
            }
        }
    }
}

fn catalog(a: CatalogArgs) -> anyhow::Result<i32> {
    if a.json {
        print!("{}", ehr_adapter_sdk::catalog::CATALOG_JSON);
    } else if a.markdown {
        print!("{}", crate::catalog::markdown());
    } else {
        print!("{}", crate::catalog::table());
    }
    Ok(exit::OK)
}

/// Prints `value` as pretty JSON.
fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn open(home: &crate::home::Home) -> anyhow::Result<crate::host::Host> {
    crate::host::Host::open(home.clone())
}
