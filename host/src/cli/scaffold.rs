//! `new`: scaffolds an adapter crate that builds, tests and signs out of the box, and is
//! safe as generated: it reads the encounter, refuses a wrong patient and a locked
//! encounter through the SDK's identity guard, reports a job that already landed as a
//! replay, escapes ids and keys every write by the job id — with a native test for each.

use super::exit;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// Arguments of `new`.
#[derive(clap::Args, Debug)]
pub struct NewArgs {
    /// Adapter id: lower-case letters, digits and `-` (also the crate name).
    pub name: String,
    /// Directory to create (default: ./NAME).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Path to the ehr-adapter-sdk crate (default: the SDK this host was built from).
    #[arg(long)]
    pub sdk_path: Option<PathBuf>,
}

const LIB_RS: &str = include_str!("scaffold_lib.rs.txt");
const TESTS_RS: &str = include_str!("scaffold_tests.rs.txt");
const SNAPSHOT_JSON: &str = include_str!("scaffold_snapshot.json.txt");

pub fn new(a: NewArgs) -> Result<i32> {
    let valid = !a.name.is_empty()
        && a.name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && a.name.starts_with(|c: char| c.is_ascii_lowercase());
    if !valid {
        bail!("`{}` is not a valid adapter id: use lower-case letters, digits and `-`, starting with a letter", a.name);
    }
    let dir = a.dir.unwrap_or_else(|| PathBuf::from(&a.name));
    if dir.exists() {
        bail!("{} already exists; choose another --dir", dir.display());
    }
    let sdk = match a.sdk_path {
        Some(p) => p,
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk"),
    };
    let sdk = sdk.canonicalize().with_context(|| {
        format!(
            "the SDK is not at {}: pass --sdk-path <path to ehr-adapter-sdk>",
            sdk.display()
        )
    })?;
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::create_dir_all(dir.join("examples"))?;
    let crate_name = a.name.replace('-', "_");
    let cargo = format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"

[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
ehr-adapter-sdk = {{ path = "{sdk}" }}
serde_json = "1"

# A standalone crate, not part of any enclosing workspace.
[workspace]

[profile.release]
opt-level = "s"
"#,
        name = a.name,
        sdk = sdk.display()
    );
    std::fs::write(dir.join("Cargo.toml"), cargo)?;
    let lib = LIB_RS
        .replace("{{ID}}", &a.name)
        .replace("{{CRATE}}", &crate_name);
    std::fs::write(dir.join("src/lib.rs"), lib)?;
    std::fs::write(dir.join("src/tests.rs"), TESTS_RS)?;
    std::fs::write(dir.join("examples/snapshot.json"), SNAPSHOT_JSON)?;
    std::fs::write(
        dir.join("README.md"),
        format!(
            "# {name}\n\nAn ehr-host adapter. `src/lib.rs` reads the encounter, refuses a wrong patient or a locked encounter (the SDK's identity guard), reports a job that already landed as a replay, and writes each section keyed `{{job id}}:{{section}}`; `src/tests.rs` tests each rule; `examples/snapshot.json` is a snapshot to try it with.\n\n```sh\ncargo test                                        # native tests with the SDK harness\ncargo build --release --target wasm32-wasip2      # the component\nehr-host sign target/wasm32-wasip2/release/{crate_name}.wasm --key publisher.key\nehr-host install {name}-0.1.0.ehrpkg\nehr-host write {name} examples/snapshot.json\n```\n",
            name = a.name
        ),
    )?;
    println!("created adapter crate `{}` in {}", a.name, dir.display());
    println!(
        "next: cd {} && cargo test && cargo build --release --target wasm32-wasip2",
        dir.display()
    );
    Ok(exit::OK)
}
