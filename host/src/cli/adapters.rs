//! `install`, `list`, `info`, `remove`, `rollback`.

use super::{exit, open, print_json};
use crate::home::Home;
use crate::store::{AdapterStore, InstallOutcome};
use anyhow::{Context, Result};
use std::path::PathBuf;

/// Arguments of `install`.
#[derive(clap::Args, Debug)]
pub struct InstallArgs {
    /// A package file (`.ehrpkg`), or ID[@RANGE] to install from the registries
    /// (`revolution`, `revolution@^1.2`; a range also pins `update` to it).
    pub package: String,
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
        return super::registry::install_from_registry(home, &a.package).await;
    }
    let bytes =
        std::fs::read(&path).with_context(|| format!("cannot read package {}", path.display()))?;
    let host = open(home)?;
    let (p, outcome) = host.install(&bytes).await?;
    let m = &p.manifest;
    match outcome {
        InstallOutcome::AlreadyCurrent => {
            println!("{} {} is already installed and current", m.id, m.version)
        }
        InstallOutcome::Installed {
            previous: Some(prev),
        } => println!(
            "installed {} {} for {} (signed by {}); {prev} kept for `ehr-host rollback {}`",
            m.id, m.version, m.ehr, p.publisher_name, m.id
        ),
        InstallOutcome::Installed { previous: None } => println!(
            "installed {} {} for {} (signed by {})",
            m.id, m.version, m.ehr, p.publisher_name
        ),
    }
    let granted = host.config.adapter(&m.id);
    if granted.http.is_empty() && !m.capabilities.http.is_empty() {
        println!(
            "note: it asks for HTTP origins ({}) but none are granted yet: add them under [adapters.{}] in {}",
            m.capabilities.http.join(", "),
            m.id,
            home.config().display()
        );
    }
    Ok(exit::OK)
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
        "{:14} {:10} {:16} {:9} {:25} {:14} PREVIOUS",
        "ID", "VERSION", "EHR", "CONTRACT", "PUBLISHER", "HASH"
    );
    for i in installed {
        println!(
            "{:14} {:10} {:16} {:9} {:25} {:14} {}",
            i.id,
            i.version.to_string(),
            i.ehr,
            i.contract.to_string(),
            format!("ed25519:{}", i.publisher_key.get(..16).unwrap_or("?")),
            &i.hash[..12],
            i.previous_version
                .map(|v| v.to_string())
                .unwrap_or_else(|| "-".into())
        );
    }
    Ok(exit::OK)
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

pub fn rollback(home: &Home, a: IdArgs) -> Result<i32> {
    let (from, to) = AdapterStore::new(home.adapters()).rollback(&a.id)?;
    println!("rolled {} back from {from} to {to}", a.id);
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
