//! `keygen`, `sign`, `verify`.

use super::{exit, open, print_json};
use crate::home::Home;
use crate::package::SecretKey;
use anyhow::{Context, Result};
use std::path::PathBuf;

/// Arguments of `keygen`.
#[derive(clap::Args, Debug)]
pub struct KeygenArgs {
    /// Path stem for the pair: writes STEM.key (secret, mode 600) and STEM.pub.
    pub stem: PathBuf,
}

/// Arguments of `sign`.
#[derive(clap::Args, Debug)]
pub struct SignArgs {
    /// The adapter component (`.wasm`, built for wasm32-wasip2).
    pub component: PathBuf,
    /// The publisher's secret key file (from `ehr-host keygen`).
    #[arg(long)]
    pub key: PathBuf,
    /// Where to write the package (default: ID-VERSION.ehrpkg beside the component).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

/// Arguments of `verify`.
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// The package file.
    pub package: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn keygen(a: KeygenArgs) -> Result<i32> {
    let key = SecretKey::generate()?;
    let (secret, public) = key.write_pair(&a.stem)?;
    println!("secret key: {} (keep it private)", secret.display());
    println!(
        "public key: {} ({})",
        public.display(),
        key.public().to_hex()
    );
    println!(
        "hosts trust it with: ehr-host trust add {} --name <publisher>",
        public.display()
    );
    Ok(exit::OK)
}

pub async fn sign(home: &Home, a: SignArgs) -> Result<i32> {
    let key = SecretKey::from_file(&a.key)?;
    let wasm = std::fs::read(&a.component)
        .with_context(|| format!("cannot read component {}", a.component.display()))?;
    let host = open(home)?;
    let (manifest, bytes) = host.sign_component(wasm, &key).await?;
    let out = a.out.unwrap_or_else(|| {
        a.component
            .with_file_name(format!("{}-{}.ehrpkg", manifest.id, manifest.version))
    });
    crate::fsutil::write_atomic(&out, &bytes)?;
    println!(
        "signed {} {} (contract {}) with {} → {}",
        manifest.id,
        manifest.version,
        manifest.contract,
        key.public().short(),
        out.display()
    );
    Ok(exit::OK)
}

pub fn verify(home: &Home, a: VerifyArgs) -> Result<i32> {
    let bytes = std::fs::read(&a.package)
        .with_context(|| format!("cannot read package {}", a.package.display()))?;
    let trust = crate::package::TrustStore::load(&home.trust())?;
    let v = crate::package::verify(&bytes, &trust)?;
    if a.json {
        print_json(&serde_json::json!({
            "verified": true,
            "manifest": v.manifest,
            "publisher_key": v.publisher.to_hex(),
            "publisher": v.publisher_name,
            "hash": v.hash,
        }))?;
    } else {
        println!(
            "verified: {} {} for {} (contract {}), signed by {} ({}), sha256 {}",
            v.manifest.id,
            v.manifest.version,
            v.manifest.ehr,
            v.manifest.contract,
            v.publisher_name,
            v.publisher.short(),
            v.hash
        );
    }
    Ok(exit::OK)
}
