//! `install`, `list`, `info`, `remove`, `rollback`.

use super::{exit, open, print_json};
use crate::home::Home;
use crate::host::{Host, InstallOptions};
use crate::package::{PublicKey, VerifiedPackage};
use crate::store::{AdapterStore, InstallOutcome, Installed, RollbackRequest};
use anyhow::{Context, Result};
use std::path::PathBuf;

/// Arguments of `install`.
#[derive(clap::Args, Debug)]
pub struct InstallArgs {
    /// A package file (`.ehrpkg`), or ID[@RANGE] to install from the registries
    /// (`revolution`, `revolution@^1.2`; a range also pins `update` to it).
    pub package: String,
    /// Transfer the adapter id to the package's publisher: give the key (file or hex)
    /// the id belongs to now. The grants and credentials in config.toml then serve the
    /// new publisher's code, and the former publisher's versions are deleted.
    #[arg(long, value_name = "KEY")]
    pub transfer_from: Option<String>,
    /// Install a version that was rolled back from, on probation again.
    #[arg(long)]
    pub retry_rolled_back: bool,
}

impl InstallArgs {
    /// The operator's choices as the host takes them.
    pub fn options(&self) -> Result<InstallOptions> {
        let transfer_from = match &self.transfer_from {
            Some(k) => Some(PublicKey::from_file_or_hex(k)?),
            None => None,
        };
        Ok(InstallOptions {
            transfer_from,
            retry_rolled_back: self.retry_rolled_back,
            by: None,
        })
    }
}

/// Arguments of `rollback`.
#[derive(clap::Args, Debug)]
pub struct RollbackArgs {
    /// Adapter id.
    pub id: String,
    /// Return to a previous version that was rolled back from, on probation again.
    #[arg(long)]
    pub retry_rolled_back: bool,
}

/// Arguments of `list`.
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `info`.
#[derive(clap::Args, Debug)]
pub struct InfoArgs {
    /// Adapter id.
    pub id: String,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `describe`.
#[derive(clap::Args, Debug)]
pub struct DescribeArgs {
    /// The adapter component (`.wasm`), or a package (`.ehrpkg`).
    pub component: PathBuf,
    /// Print the field mapping as a Markdown table (for the adapter's README).
    #[arg(long, conflicts_with = "json")]
    pub markdown: bool,
    /// Print everything as JSON.
    #[arg(long)]
    pub json: bool,
}

/// An adapter id.
#[derive(clap::Args, Debug)]
pub struct IdArgs {
    /// Adapter id.
    pub id: String,
}

pub async fn install(home: &Home, a: InstallArgs) -> Result<i32> {
    let path = PathBuf::from(&a.package);
    if !path.exists() && !a.package.contains('/') && !a.package.ends_with(".ehrpkg") {
        return super::registry::install_from_registry(home, &a).await;
    }
    let bytes =
        std::fs::read(&path).with_context(|| format!("cannot read package {}", path.display()))?;
    let host = open(home)?;
    let (p, outcome) = host.install_with(&bytes, &a.options()?).await?;
    print_outcome(&host, &p, &outcome, "");
    Ok(exit::OK)
}

/// Says what an install did: the versions, probation, a retried version, a transfer and
/// what it hands the new publisher, and grants still missing. `source` names where the
/// package came from (` from registry `acme``), or is empty.
pub fn print_outcome(host: &Host, p: &VerifiedPackage, outcome: &InstallOutcome, source: &str) {
    let m = &p.manifest;
    let InstallOutcome::Installed {
        previous,
        probation,
        transferred_from,
        retried,
    } = outcome
    else {
        println!("{} {} is already installed and current", m.id, m.version);
        return;
    };
    let kept = previous
        .as_ref()
        .map(|v| format!("; {v} kept for `ehr-host rollback {}`", m.id))
        .unwrap_or_default();
    println!(
        "installed {} {}{source} for {} (signed by {}){kept}",
        m.id, m.version, m.ehr, p.publisher_name
    );
    if let Some(r) = retried {
        println!(
            "note: {} was rolled back on {} ({}); it is on probation again",
            m.version, r.at, r.reason
        );
    } else if *probation {
        println!("on probation in the running agent: it falls back to the previous version if its first calls fail as adapter bugs");
    }
    if let Some(from) = transferred_from {
        print_transfer(host, p, from);
    }
    let granted = host.config.adapter(&m.id);
    if granted.http.is_empty() && !m.capabilities.http.is_empty() {
        println!(
            "note: it asks for HTTP origins ({}) but none are granted yet: add them under [adapters.{}] in {}",
            m.capabilities.http.join(", "),
            m.id,
            host.home.config().display()
        );
    }
}

/// What a transfer changed: the id's grants and credentials now serve the new
/// publisher's code.
fn print_transfer(host: &Host, p: &VerifiedPackage, from: &str) {
    let id = &p.manifest.id;
    let g = host.config.adapter(id);
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let credentials: Vec<String> = g
        .credentials
        .iter()
        .map(|c| c.origin().to_string())
        .collect();
    let settings: Vec<String> = g.settings.keys().cloned().collect();
    println!(
        "transferred `{id}` from publisher ed25519:{} to {} ({}); the former publisher's versions were deleted, so `rollback` cannot return to them",
        from.get(..16).unwrap_or(from),
        p.publisher.short(),
        p.publisher_name
    );
    println!(
        "what [adapters.{id}] in {} gives the new publisher's code: HTTP origins {}; databases {}; credentials for {}; settings {}. Review them now: remove what you did not mean to give to {}",
        host.home.config().display(),
        list(&g.http),
        list(&g.databases),
        list(&credentials),
        list(&settings),
        p.publisher_name
    );
}

pub fn list(home: &Home, a: ListArgs) -> Result<i32> {
    let installed = AdapterStore::new(home.adapters()).list()?;
    if a.json {
        print_json(&installed)?;
        return Ok(exit::OK);
    }
    if installed.is_empty() {
        println!("no adapters installed: `ehr-host install <package.ehrpkg>`");
        return Ok(exit::OK);
    }
    println!(
        "{:14} {:10} {:16} {:9} {:25} {:14} {:9} STATE",
        "ID", "VERSION", "EHR", "CONTRACT", "PUBLISHER", "HASH", "PREVIOUS"
    );
    for i in installed {
        println!(
            "{:14} {:10} {:16} {:9} {:25} {:14} {:9} {}",
            i.id,
            i.version.to_string(),
            i.ehr,
            i.contract.to_string(),
            format!("ed25519:{}", i.publisher_key.get(..16).unwrap_or("?")),
            &i.hash[..12],
            i.previous_version
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_else(|| "-".into()),
            state_words(&i)
        );
    }
    Ok(exit::OK)
}

/// Probation, a version waiting for its self-check, the last version rolled back from.
fn state_words(i: &Installed) -> String {
    let mut words = Vec::new();
    if i.probation.is_some() {
        words.push("on probation".to_string());
    }
    if let Some(w) = &i.waiting {
        words.push(format!(
            "{} waits for its self-check ({})",
            w.version, w.reason
        ));
    }
    if let Some(r) = i.rolled_back.last() {
        words.push(format!("rolled back from {} ({})", r.version, r.reason));
    }
    if words.is_empty() {
        "-".to_string()
    } else {
        words.join("; ")
    }
}

pub async fn info(home: &Home, a: InfoArgs) -> Result<i32> {
    let host = open(home)?;
    let installed = host.store.get(&a.id)?;
    let trust = host.trust()?;
    let key = crate::package::PublicKey::from_hex(&installed.publisher_key)?;
    let status = format!("{:?}", trust.status(&key));
    let adapter = host.load(&a.id)?;
    let described = adapter.describe().await?;
    let granted = host.config.adapter(&a.id);
    if a.json {
        print_json(&serde_json::json!({
            "installed": installed,
            "publisher_status": status,
            "granted": {"http": granted.http, "databases": granted.databases, "settings": granted.settings.keys().collect::<Vec<_>>()},
            "describe": described,
        }))?;
        return Ok(exit::OK);
    }
    println!(
        "{} {} — {}",
        installed.id, installed.version, installed.description
    );
    println!("EHR:        {}", installed.ehr);
    println!("contract:   {}", installed.contract);
    println!("publisher:  {} ({status})", installed.publisher_key);
    println!("sha256:     {}", installed.hash);
    println!(
        "previous:   {}",
        installed
            .previous_version
            .map(|v| v.to_string())
            .unwrap_or_else(|| "-".into())
    );
    println!("asks HTTP:  {}", installed.requested.http.join(", "));
    println!(
        "granted:    {}",
        if granted.http.is_empty() {
            "nothing".to_string()
        } else {
            granted.http.join(", ")
        }
    );
    for (k, what) in &described.settings {
        let set = if granted.settings.contains_key(k) {
            "set"
        } else {
            "NOT SET"
        };
        println!("setting:    {k} ({set}): {what}");
    }
    println!("fields:");
    print!("{}", mapping_table(&described.fields));
    Ok(exit::OK)
}

pub fn remove(home: &Home, a: IdArgs) -> Result<i32> {
    let v = AdapterStore::new(home.adapters()).remove(&a.id)?;
    println!("removed {} (was {v})", a.id);
    Ok(exit::OK)
}

pub fn rollback(home: &Home, a: RollbackArgs) -> Result<i32> {
    let req = RollbackRequest {
        by: format!("ehr-host rollback of {}", a.id),
        retry_rolled_back: a.retry_rolled_back,
    };
    let r = AdapterStore::new(home.adapters()).rollback_with(&a.id, &req)?;
    println!("rolled {} back from {} to {}", a.id, r.from, r.to);
    if r.probation {
        println!(
            "{} {} is on probation in the running agent: it is rolled back again if its first calls fail as adapter bugs",
            a.id, r.to
        );
    }
    println!(
        "{} is remembered as rolled back from: it is not installed again unless asked with --retry-rolled-back",
        r.from
    );
    Ok(exit::OK)
}

pub async fn describe(home: &Home, a: DescribeArgs) -> Result<i32> {
    let bytes = std::fs::read(&a.component)
        .with_context(|| format!("cannot read {}", a.component.display()))?;
    // A package is described from its component; nothing is installed or trusted.
    let wasm = match crate::package::Package::parse(&bytes) {
        Ok(p) => p.component,
        Err(_) => bytes,
    };
    let host = open(home)?;
    let info = host.describe_component(&wasm).await?;
    if a.json {
        print_json(&info)?;
    } else if a.markdown {
        print!("{}", mapping_markdown(&info));
    } else {
        println!(
            "{} {} for {}: {}",
            info.id, info.version, info.ehr, info.description
        );
        print!("{}", mapping_table(&info.fields));
    }
    Ok(exit::OK)
}

/// The field mapping as a plain table for terminals.
fn mapping_table(fields: &[crate::runtime::bindings::latest::FieldMapping]) -> String {
    fields
        .iter()
        .map(|f| {
            format!(
                "  {:34} {:30} {}\n",
                f.field,
                f.target.as_deref().unwrap_or("—"),
                f.note
            )
        })
        .collect()
}

/// The field mapping as a Markdown table: what is written where, what is skipped and why.
pub fn mapping_markdown(info: &crate::runtime::bindings::latest::AdapterInfo) -> String {
    let mut s = format!(
        "<!-- Generated by `ehr-host describe {}.wasm --markdown` from the adapter's own `describe`. -->\n\n| catalog field | {} target | notes |\n|---|---|---|\n",
        info.id, info.ehr
    );
    for f in &info.fields {
        let target = match &f.target {
            Some(t) => format!("`{t}`"),
            None => "not written".to_string(),
        };
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            f.field,
            target,
            f.note.replace('|', "\\|")
        ));
    }
    s
}
