//! `support-bundle`: one file to send support (see [`crate::support`]).

use crate::home::Home;
use anyhow::{Context, Result};

/// Arguments of `support-bundle`.
#[derive(clap::Args, Debug)]
pub struct SupportBundleArgs {
    /// Where to write it (default: `ehr-host-support-<time>.json` here).
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

/// Writes the bundle; prints where.
pub async fn support_bundle(home: &Home, a: SupportBundleArgs) -> Result<i32> {
    let text = crate::support::build(home).await?;
    let out = a.out.unwrap_or_else(|| {
        let t = jiff::Timestamp::now()
            .strftime("%Y%m%dT%H%M%SZ")
            .to_string();
        std::path::PathBuf::from(format!("ehr-host-support-{t}.json"))
    });
    std::fs::write(&out, text).with_context(|| format!("cannot write {}", out.display()))?;
    println!(
        "support bundle written to {} (secrets redacted, no clinical text): send this file to support",
        out.display()
    );
    Ok(0)
}
