//! `pair CODE --hub URL`: pairs this agent with a hub, and `run`'s first-start prompt for
//! a code when the agent is not paired.

use super::exit;
use crate::home::Home;
use crate::link::pairing;
use crate::link::pin::Fingerprint;
use anyhow::Result;
use std::io::{BufRead, IsTerminal, Write};

/// Arguments of `pair`.
#[derive(clap::Args, Debug)]
pub struct PairArgs {
    /// The pairing code from the Doctora dashboard (Settings > Integrations > Windows
    /// Agent), like BCDF-GHJK.
    pub code: String,
    /// The hub's URL (https://...).
    #[arg(long, env = "EHR_HOST_HUB")]
    pub hub: String,
    /// The SHA-256 fingerprint of the hub's certificate, when the hub uses a self-signed
    /// one (`hub serve` and `hub pair-code` print it): the agent then accepts that
    /// certificate and no other.
    #[arg(long, value_parser = parse_fingerprint)]
    pub fingerprint: Option<Fingerprint>,
    /// The name the hub shows for this computer (default: its host name).
    #[arg(long)]
    pub name: Option<String>,
}

fn parse_fingerprint(s: &str) -> Result<Fingerprint, String> {
    s.parse()
}

/// Pairs the agent in `home`.
pub async fn pair(home: &Home, a: PairArgs) -> Result<i32> {
    let before = pairing::load(home).ok().flatten();
    let p = pairing::pair(home, &a.code, &a.hub, a.fingerprint, a.name).await?;
    if let Some(b) = before {
        println!(
            "(this agent was paired as {} with {}; that pairing is replaced)",
            b.agent_id, b.hub
        );
    }
    println!(
        "Paired with {} as agent {} for practice {} ({}).",
        p.hub, p.agent_id, p.practice_name, p.practice_id
    );
    if let Some(e) = p.expires_ms {
        println!(
            "The pairing expires at {}.",
            humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + std::time::Duration::from_millis(e)
            )
        );
    }
    println!("Start the agent (`ehr-host run`; a running agent picks the pairing up by itself) and check it with `ehr-host status`.");
    Ok(exit::OK)
}

/// At `run`'s start, when the home is not paired: asks for the hub and a code when a
/// person is at the terminal, otherwise says how to pair. The agent runs either way
/// (unpaired, it writes the jobs submitted to it locally).
pub async fn first_start(
    home: &Home,
    hub: Option<&str>,
    fingerprint: Option<Fingerprint>,
) -> Result<()> {
    if pairing::load(home)?.is_some() {
        return Ok(());
    }
    let how = "To take jobs from Doctora, pair this agent: `ehr-host pair CODE --hub URL` with the pairing code from the Doctora dashboard (Settings > Integrations > Windows Agent).";
    if !std::io::stdin().is_terminal() {
        println!("link: not paired with a hub; this agent writes only jobs submitted to it locally. {how}");
        return Ok(());
    }
    let hub = match hub {
        Some(h) => h.to_string(),
        None => ask("Hub URL (https://..., Enter to run without a hub): ")?,
    };
    if hub.is_empty() {
        println!("link: not paired. {how}");
        return Ok(());
    }
    loop {
        let code = ask("Pairing code (like BCDF-GHJK; Enter to skip): ")?;
        if code.is_empty() {
            println!("link: not paired. {how}");
            return Ok(());
        }
        match pairing::pair(home, &code, &hub, fingerprint, None).await {
            Ok(p) => {
                println!("Paired as {} for practice {}.", p.agent_id, p.practice_name);
                return Ok(());
            }
            Err(e) => println!("{e:#}"),
        }
    }
}

fn ask(prompt: &str) -> Result<String> {
    print!("{prompt}");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_string())
}
