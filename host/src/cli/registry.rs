//! `registry init|publish|yank|refresh|rotate|serve` for publishers, `registry
//! add|list|remove`, `search`, `install <id>[@range]`, `update` and `outdated` for agents.

use super::{exit, open, print_json};
use crate::home::Home;
use crate::package::{PublicKey, SecretKey};
use crate::registry::client::RegistryClient;
use crate::registry::publish::RegistryDir;
use crate::registry::pull::{self, Indexes, Updated};
use crate::registry::resolve::Spec;
use crate::store::InstallOutcome;
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::time::Duration;

/// Parses `30d`, `12h`, `90s`.
pub fn duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text)
        .map_err(|e| format!("`{text}` is not a duration (like 30s, 5m, 12h, 30d): {e}"))
}

/// The registry commands.
#[derive(clap::Subcommand, Debug)]
pub enum RegistryCommand {
    /// Publisher: create a registry folder signed by registry keys (from `ehr-host keygen`).
    Init(InitArgs),
    /// Publisher: add a signed package (`.ehrpkg`) to the registry and re-sign the index.
    Publish(PublishArgs),
    /// Publisher: withdraw a version; agents will not install it again.
    Yank(YankArgs),
    /// Publisher: re-sign the index with a new version and expiry (run it before it expires).
    Refresh(SignArgs),
    /// Publisher: name the only publisher key that may publish an adapter id; agents refuse
    /// its versions signed by any other key.
    Publisher(PublisherArgs),
    /// Publisher: replace the registry keys (signed by the old keys and the new ones).
    Rotate(RotateArgs),
    /// Publisher (development): serve the registry folder over HTTP on 127.0.0.1.
    Serve(ServeArgs),
    /// Agent: pull adapters from the registry at URL (http(s)://, file:// or a folder).
    Add(AddArgs),
    /// Agent: list the registries added, with their index version and expiry.
    List(JsonArgs),
    /// Agent: forget a registry (installed adapters stay).
    Remove(NameArgs),
}

/// Registry keys given to sign.
#[derive(clap::Args, Debug)]
pub struct KeyArgs {
    /// A registry secret key file (repeat for a threshold of several keys).
    #[arg(long = "key", required = true)]
    pub keys: Vec<PathBuf>,
}

impl KeyArgs {
    fn load(&self) -> Result<Vec<SecretKey>> {
        self.keys.iter().map(|k| SecretKey::from_file(k)).collect()
    }
}

/// Arguments of `registry init`.
#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// The registry folder.
    pub dir: PathBuf,
    #[command(flatten)]
    keys: KeyArgs,
    /// How many of the keys must sign the index.
    #[arg(long, default_value_t = 1)]
    pub threshold: usize,
    /// How long the root (the list of registry keys) stays valid.
    #[arg(long, default_value = "365d", value_parser = duration)]
    pub root_expires: Duration,
    /// How long each signed index stays valid; agents refuse an expired one.
    #[arg(long, default_value = "30d", value_parser = duration)]
    pub expires: Duration,
}

/// Arguments of `registry publish`.
#[derive(clap::Args, Debug)]
pub struct PublishArgs {
    /// The registry folder.
    pub dir: PathBuf,
    /// The signed package.
    pub package: PathBuf,
    #[command(flatten)]
    keys: KeyArgs,
    /// How long the new index stays valid.
    #[arg(long, default_value = "30d", value_parser = duration)]
    pub expires: Duration,
}

/// Arguments of `registry yank`.
#[derive(clap::Args, Debug)]
pub struct YankArgs {
    /// The registry folder.
    pub dir: PathBuf,
    /// ID@VERSION to yank.
    pub version: String,
    /// Why (agents show it).
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    keys: KeyArgs,
    /// How long the new index stays valid.
    #[arg(long, default_value = "30d", value_parser = duration)]
    pub expires: Duration,
}

/// Arguments of `registry publisher`.
#[derive(clap::Args, Debug)]
pub struct PublisherArgs {
    /// The registry folder.
    pub dir: PathBuf,
    /// The adapter id.
    pub id: String,
    /// The publisher's public key (a .pub file or 64 hex characters).
    pub publisher: String,
    #[command(flatten)]
    keys: KeyArgs,
    /// How long the new index stays valid.
    #[arg(long, default_value = "30d", value_parser = duration)]
    pub expires: Duration,
}

/// Arguments of `registry refresh`.
#[derive(clap::Args, Debug)]
pub struct SignArgs {
    /// The registry folder.
    pub dir: PathBuf,
    #[command(flatten)]
    keys: KeyArgs,
    /// How long the new index stays valid.
    #[arg(long, default_value = "30d", value_parser = duration)]
    pub expires: Duration,
}

/// Arguments of `registry rotate`.
#[derive(clap::Args, Debug)]
pub struct RotateArgs {
    /// The registry folder.
    pub dir: PathBuf,
    #[command(flatten)]
    keys: KeyArgs,
    /// A new registry secret key (repeat for several).
    #[arg(long = "new-key", required = true)]
    pub new_keys: Vec<PathBuf>,
    /// How many of the new keys must sign.
    #[arg(long, default_value_t = 1)]
    pub threshold: usize,
    /// How long the new root stays valid.
    #[arg(long, default_value = "365d", value_parser = duration)]
    pub root_expires: Duration,
    /// How long the re-signed index stays valid.
    #[arg(long, default_value = "30d", value_parser = duration)]
    pub expires: Duration,
}

/// Arguments of `registry serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The registry folder.
    pub dir: PathBuf,
    /// The port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
}

/// Arguments of `registry add`.
#[derive(clap::Args, Debug)]
pub struct AddArgs {
    /// The registry: http(s)://…, file://… or a folder.
    pub url: String,
    /// A short name for it (default: the host name or folder name).
    #[arg(long)]
    pub name: Option<String>,
    /// A registry public key the root must list (repeat; without it the root is trusted
    /// on first use and its keys are printed).
    #[arg(long = "root-key")]
    pub root_keys: Vec<String>,
}

/// Just `--json`.
#[derive(clap::Args, Debug)]
pub struct JsonArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A registry name.
#[derive(clap::Args, Debug)]
pub struct NameArgs {
    /// The registry's name (see `ehr-host registry list`).
    pub name: String,
}

/// Arguments of `search`.
#[derive(clap::Args, Debug)]
pub struct SearchArgs {
    /// Part of an adapter id, EHR or description (default: everything).
    pub query: Option<String>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `update`.
#[derive(clap::Args, Debug)]
pub struct UpdateArgs {
    /// Only this adapter (default: every installed adapter a registry lists).
    pub id: Option<String>,
}

fn refs(keys: &[SecretKey]) -> Vec<&SecretKey> {
    keys.iter().collect()
}

pub async fn run(home: &Home, c: RegistryCommand) -> Result<i32> {
    match c {
        RegistryCommand::Init(a) => {
            let keys = a.keys.load()?;
            let reg =
                RegistryDir::init(&a.dir, &refs(&keys), a.threshold, a.root_expires, a.expires)?;
            let root = reg.root()?;
            println!(
                "created registry {} (root version 1: {} of {} keys must sign)",
                a.dir.display(),
                root.threshold,
                root.keys.len()
            );
            for k in &root.keys {
                println!("  registry key {k}");
            }
            println!("agents add it with: ehr-host registry add <url> --root-key <key>");
        }
        RegistryCommand::Publish(a) => {
            let keys = a.keys.load()?;
            let bytes = std::fs::read(&a.package)
                .with_context(|| format!("cannot read package {}", a.package.display()))?;
            let p = RegistryDir::open(&a.dir)?.publish(&bytes, &refs(&keys), a.expires)?;
            println!(
                "published {} {} (contract {}, sha256 {}, {} bytes) as index version {}",
                p.manifest.id,
                p.manifest.version,
                p.manifest.contract,
                &p.entry.sha256[..12],
                p.entry.size,
                p.index_version
            );
        }
        RegistryCommand::Yank(a) => {
            let keys = a.keys.load()?;
            let (id, version) = a
                .version
                .split_once('@')
                .context("give the version to yank as ID@VERSION")?;
            let version: semver::Version = version.parse().context("the version is not semver")?;
            let v = RegistryDir::open(&a.dir)?.yank(
                id,
                &version,
                &a.reason,
                &refs(&keys),
                a.expires,
            )?;
            println!("yanked {id} {version} ({}) as index version {v}", a.reason);
        }
        RegistryCommand::Publisher(a) => {
            let keys = a.keys.load()?;
            let publisher = PublicKey::from_file_or_hex(&a.publisher)?;
            let (v, others) = RegistryDir::open(&a.dir)?.set_publisher(
                &a.id,
                &publisher,
                &refs(&keys),
                a.expires,
            )?;
            println!(
                "only {} may publish `{}` now (index version {v}); agents refuse versions signed by any other key",
                publisher.short(),
                a.id
            );
            if !others.is_empty() {
                let list: Vec<String> = others.iter().map(|v| v.to_string()).collect();
                println!(
                    "note: versions already published by other keys are refused from now on: {}",
                    list.join(", ")
                );
            }
        }
        RegistryCommand::Refresh(a) => {
            let keys = a.keys.load()?;
            let v = RegistryDir::open(&a.dir)?.refresh(&refs(&keys), a.expires)?;
            println!("re-signed the index as version {v}");
        }
        RegistryCommand::Rotate(a) => {
            let old = a.keys.load()?;
            let new: Vec<SecretKey> = a
                .new_keys
                .iter()
                .map(|k| SecretKey::from_file(k))
                .collect::<Result<_>>()?;
            let root = RegistryDir::open(&a.dir)?.rotate(
                &refs(&old),
                &refs(&new),
                a.threshold,
                a.root_expires,
                a.expires,
            )?;
            println!(
                "rotated the registry keys: root version {} ({} of {} keys must sign); agents follow on their next refresh",
                root.version,
                root.threshold,
                root.keys.len()
            );
        }
        RegistryCommand::Serve(a) => {
            RegistryDir::open(&a.dir)?;
            let (listener, addr) = crate::registry::serve::bind(a.port).await?;
            println!(
                "serving {} at http://{addr}/ (Ctrl-C stops)",
                a.dir.display()
            );
            tokio::select! {
                r = crate::registry::serve::serve(listener, a.dir.clone()) => r?,
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        RegistryCommand::Add(a) => {
            let pinned: Vec<PublicKey> = a
                .root_keys
                .iter()
                .map(|k| PublicKey::from_file_or_hex(k))
                .collect::<Result<_>>()?;
            let client = RegistryClient::new(home)?;
            let (reg, root, refreshed) = client.add(&a.url, a.name.as_deref(), &pinned).await?;
            println!(
                "added registry `{}` ({}): index version {}, {} adapters",
                reg.name,
                reg.url,
                refreshed.index.version,
                refreshed.index.adapters.len()
            );
            if pinned.is_empty() {
                println!(
                    "note: its root was trusted on first use; check these registry keys with its operator ({} must sign):",
                    root.threshold
                );
                for k in &root.keys {
                    println!("  {k}");
                }
            }
        }
        RegistryCommand::List(a) => {
            let client = RegistryClient::new(home)?;
            let idx = pull::indexes(&client).await?;
            let rows: Vec<serde_json::Value> = client
                .list()?
                .into_iter()
                .map(|r| {
                    let index = idx
                        .indexes
                        .iter()
                        .find(|(n, _)| *n == r.name)
                        .map(|(_, i)| i);
                    let problem = idx
                        .problems
                        .iter()
                        .find(|(n, _)| *n == r.name)
                        .map(|(_, e)| format!("{e:#}"));
                    serde_json::json!({
                        "name": r.name, "url": r.url,
                        "index_version": index.map(|i| i.version),
                        "expires": index.map(|i| i.expires.clone()),
                        "adapters": index.map(|i| i.adapters.len()),
                        "problem": problem,
                    })
                })
                .collect();
            if a.json {
                print_json(&rows)?;
            } else if rows.is_empty() {
                println!("no registries: `ehr-host registry add <url>`");
            } else {
                for r in rows {
                    println!(
                        "{:16} {}  index v{} expires {}{}",
                        r["name"].as_str().unwrap_or(""),
                        r["url"].as_str().unwrap_or(""),
                        r["index_version"],
                        r["expires"].as_str().unwrap_or("?"),
                        r["problem"]
                            .as_str()
                            .map(|p| format!("  PROBLEM: {p}"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        RegistryCommand::Remove(a) => {
            RegistryClient::new(home)?.remove(&a.name)?;
            println!("removed registry `{}`", a.name);
        }
    }
    Ok(exit::OK)
}

/// Refreshes every registry; a refusal (an attack signal) fails the command, an
/// unreachable registry is a warning.
async fn checked_indexes(client: &RegistryClient) -> Result<Indexes> {
    let idx = pull::indexes(client).await?;
    if let Some(pos) = idx.problems.iter().position(|(_, e)| {
        e.downcast_ref::<crate::registry::RegistryRefusal>()
            .is_some()
    }) {
        let mut idx = idx;
        let (name, e) = idx.problems.swap_remove(pos);
        return Err(e.context(format!("registry `{name}`")));
    }
    for (name, e) in &idx.problems {
        eprintln!("warning: registry `{name}` skipped: {e:#}");
    }
    for (name, why) in &idx.offline {
        eprintln!("warning: registry `{name}` unreachable ({why}); using its last verified index");
    }
    Ok(idx)
}

pub async fn search(home: &Home, a: SearchArgs) -> Result<i32> {
    let client = RegistryClient::new(home)?;
    let idx = checked_indexes(&client).await?;
    let q = a.query.unwrap_or_default().to_lowercase();
    let mut rows = Vec::new();
    for (reg, index) in &idx.indexes {
        for (id, entries) in &index.adapters {
            let Some(latest) = entries
                .iter()
                .filter(|e| !e.yanked)
                .max_by(|a, b| a.version.cmp(&b.version))
            else {
                continue;
            };
            let hay = format!("{id} {} {}", latest.ehr, latest.description).to_lowercase();
            if !hay.contains(&q) {
                continue;
            }
            rows.push(serde_json::json!({
                "registry": reg, "id": id, "latest": latest.version.to_string(),
                "ehr": latest.ehr, "contract": latest.contract.to_string(),
                "supported": crate::contract::supports(&latest.contract),
                "description": latest.description,
                "versions": entries.iter().map(|e| serde_json::json!({
                    "version": e.version.to_string(), "contract": e.contract.to_string(), "yanked": e.yanked,
                })).collect::<Vec<_>>(),
            }));
        }
    }
    if a.json {
        print_json(&rows)?;
        return Ok(exit::OK);
    }
    if rows.is_empty() {
        println!("nothing found");
    }
    for r in rows {
        let versions: Vec<String> = r["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                format!(
                    "{}{}",
                    v["version"].as_str().unwrap_or(""),
                    if v["yanked"] == true { " (yanked)" } else { "" }
                )
            })
            .collect();
        println!(
            "{:14} {:10} {:16} {}  [{}] versions: {}{}",
            r["id"].as_str().unwrap_or(""),
            r["latest"].as_str().unwrap_or(""),
            r["ehr"].as_str().unwrap_or(""),
            r["description"].as_str().unwrap_or(""),
            r["registry"].as_str().unwrap_or(""),
            versions.join(", "),
            if r["supported"] == false {
                "  (needs a newer agent)"
            } else {
                ""
            }
        );
    }
    Ok(exit::OK)
}

/// `install <id>[@range]` from the registries.
pub async fn install_from_registry(home: &Home, a: &super::adapters::InstallArgs) -> Result<i32> {
    let spec = Spec::parse(&a.package)?;
    let host = open(home)?;
    let client = RegistryClient::new(home)?;
    let idx = checked_indexes(&client).await?;
    let options = a.options()?;
    let p = pull::install_spec(
        &host,
        &client,
        &idx,
        (&spec.id, &spec.req, spec.pinned),
        &options,
    )
    .await?;
    let source = format!(" from registry `{}`", p.registry);
    super::adapters::print_outcome(&host, &p.package, &p.outcome, &source);
    if spec.pinned && matches!(p.outcome, InstallOutcome::Installed { .. }) {
        println!("pinned to {}", spec.req);
    }
    Ok(exit::OK)
}

pub async fn update(home: &Home, a: UpdateArgs) -> Result<i32> {
    let host = open(home)?;
    let client = RegistryClient::new(home)?;
    let idx = checked_indexes(&client).await?;
    let results = pull::update(&host, &client, &idx, a.id.as_deref(), "ehr-host update").await?;
    let mut first_error = None;
    for (id, r) in results {
        match r {
            Ok(Updated::UpToDate(v)) => println!("{id} {v} is up to date"),
            Ok(Updated::Installed(p)) => println!(
                "updated {id} to {} from registry `{}`",
                p.package.manifest.version, p.registry
            ),
            Ok(Updated::Skipped(v, why)) => println!("{id}: skipped {v}: {why}"),
            Err(e) => {
                eprintln!("error: {id} not updated: {e:#}");
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e.context("some adapters were not updated; the installed versions stay")),
        None => Ok(exit::OK),
    }
}

pub async fn outdated(home: &Home, a: JsonArgs) -> Result<i32> {
    let host = open(home)?;
    let client = RegistryClient::new(home)?;
    let idx = checked_indexes(&client).await?;
    let rows: Vec<pull::Status> = pull::outdated(&host, &idx)?
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    if a.json {
        print_json(&rows)?;
        return Ok(exit::OK);
    }
    println!(
        "{:14} {:10} {:10} {:10} {:10}",
        "ID", "INSTALLED", "PIN", "WANTED", "LATEST"
    );
    for r in rows {
        let v = |v: &Option<semver::Version>| {
            v.as_ref()
                .map(|v| v.to_string())
                .unwrap_or_else(|| "-".into())
        };
        let mut notes: Vec<String> = r.note.into_iter().collect();
        if let Some(reason) = &r.yanked {
            notes.push(format!(
                "{} was yanked by its publisher: {reason}",
                r.installed
            ));
        }
        if let Some(newer) = &r.held_back {
            notes.push(format!(
                "your pin holds back {newer}: `ehr-host install {}@^{newer}` allows it",
                r.id
            ));
        }
        println!(
            "{:14} {:10} {:10} {:10} {:10}{}",
            r.id,
            r.installed.to_string(),
            r.pin,
            v(&r.wanted),
            v(&r.latest),
            notes.iter().map(|n| format!("  {n}")).collect::<String>()
        );
    }
    Ok(exit::OK)
}
