//! `ehr-sandbox`: runs the RevolutionEHR- or Eyefinity-style sandbox as a standalone server for scripts
//! and demos. Steer it over HTTP through `/_sandbox/` (see REVOLUTION-API.md).

use std::io::{IsTerminal as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use clap::Parser;
use ehr_sandbox::{Ehr, Sandbox, SandboxConfig};

/// HTTP sandbox imitating a RevolutionEHR- or Eyefinity-style cloud API, with switchable
/// failure modes.
///
/// Listens on 127.0.0.1 only, prints one line `ehr-sandbox listening on http://127.0.0.1:PORT`
/// on stdout once ready, and serves until Ctrl-C or SIGTERM. Request logs go to stderr
/// (level set by RUST_LOG, default info).
#[derive(Debug, Parser)]
#[command(name = "ehr-sandbox", version)]
struct Args {
    /// Which EHR's API to serve: `revolution` (REVOLUTION-API.md) or `eyefinity`
    /// (EYEFINITY-API.md).
    #[arg(long, value_name = "EHR", default_value = "revolution")]
    ehr: Ehr,

    /// Port to listen on; 0 lets the OS pick a free one (read it from the printed line).
    #[arg(long, default_value_t = 0)]
    port: u16,

    /// Static bearer token accepted on /api/; repeat for several. Replaces the default
    /// token `sandbox-token`.
    #[arg(long = "token", value_name = "TOKEN")]
    tokens: Vec<String>,

    /// OAuth2 client id for the client-credentials grant on /oauth/token. Replaces the
    /// default client `ehr-host`; needs --client-secret.
    #[arg(long, value_name = "ID", requires = "client_secret")]
    client_id: Option<String>,

    /// Secret of the OAuth2 client given by --client-id (default client: `sandbox-secret`).
    #[arg(long, value_name = "SECRET", requires = "client_id")]
    client_secret: Option<String>,

    /// Lifetime of tokens issued by /oauth/token, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    token_ttl_secs: u64,
}

impl Args {
    fn config(&self) -> SandboxConfig {
        let mut cfg = SandboxConfig {
            ehr: self.ehr,
            token_ttl: Duration::from_secs(self.token_ttl_secs),
            ..SandboxConfig::default()
        };
        if !self.tokens.is_empty() {
            cfg.static_tokens = self.tokens.clone();
        }
        if let (Some(id), Some(secret)) = (&self.client_id, &self.client_secret) {
            cfg.oauth_clients = vec![(id.clone(), secret.clone())];
        }
        cfg
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // stdout carries only the readiness line; logs go to stderr so scripts can parse it.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let sandbox = Sandbox::start_on(args.config(), addr).await?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "ehr-sandbox listening on {}", sandbox.url())?;
    stdout.flush()?;

    shutdown_signal().await?;
    drop(sandbox);
    Ok(())
}

async fn shutdown_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
