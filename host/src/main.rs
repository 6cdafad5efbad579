//! The `ehr-host` binary.

use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = ehr_host::cli::Cli::parse();
    if !cli.is_long_running() {
        ehr_host::cli::die_quietly_on_closed_pipe();
    }
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("EHR_HOST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level)),
        )
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, never into log files.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let code = ehr_host::cli::run(cli).await;
    std::process::exit(code);
}
