//! `trust add|list|remove|revoke`.

use super::{exit, print_json};
use crate::home::Home;
use crate::package::{PublicKey, TrustStore};
use anyhow::Result;

/// Trust store commands.
#[derive(clap::Subcommand, Debug)]
pub enum TrustCommand {
    /// Trust a publisher key (a .pub file or 64 hex characters).
    Add {
        /// The key file or hex.
        key: String,
        /// Who the key belongs to.
        #[arg(long)]
        name: String,
    },
    /// List trusted and revoked keys.
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Stop trusting a key (its packages no longer load).
    Remove {
        /// The key file or hex.
        key: String,
    },
    /// Revoke a key: its packages are refused even if trusted, installed ones included.
    Revoke {
        /// The key file or hex.
        key: String,
        /// Why (shown in every refusal).
        #[arg(long)]
        reason: String,
    },
}

pub fn run(home: &Home, c: TrustCommand) -> Result<i32> {
    std::fs::create_dir_all(home.root())?;
    let mut store = TrustStore::load(&home.trust())?;
    match c {
        TrustCommand::Add { key, name } => {
            let k = PublicKey::from_file_or_hex(&key)?;
            store.add(&k, &name)?;
            store.save()?;
            println!("trusted {} as `{name}`", k.short());
        }
        TrustCommand::List { json } => {
            if json {
                print_json(&serde_json::json!({"keys": store.keys, "revoked": store.revoked}))?;
            } else if store.keys.is_empty() && store.revoked.is_empty() {
                println!("no keys: add one with `ehr-host trust add <key> --name <publisher>`");
            } else {
                for k in &store.keys {
                    println!("trusted  {}  {}  (added {})", k.key, k.name, k.added);
                }
                for r in &store.revoked {
                    println!("revoked  {}  {}  (revoked {})", r.key, r.reason, r.revoked);
                }
            }
        }
        TrustCommand::Remove { key } => {
            let k = PublicKey::from_file_or_hex(&key)?;
            store.remove(&k)?;
            store.save()?;
            println!("removed {} from the trust store", k.short());
        }
        TrustCommand::Revoke { key, reason } => {
            let k = PublicKey::from_file_or_hex(&key)?;
            store.revoke(&k, &reason)?;
            store.save()?;
            println!("revoked {}: packages it signed are now refused", k.short());
        }
    }
    Ok(exit::OK)
}
