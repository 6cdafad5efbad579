//! The `ehr-host` binary.

use clap::Parser;
use tracing_subscriber::fmt::writer::BoxMakeWriter;

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
    // The Windows service logs to its rotating file; everything else to stderr.
    let log_file = ehr_host::cli::log_file(&cli);
    let (level, ansi) = match log_file {
        Some(_) => ("info", false),
        None => (level, std::io::IsTerminal::is_terminal(&std::io::stderr())),
    };
    let writer = match log_file {
        Some(log) => BoxMakeWriter::new(move || log.clone()),
        None => BoxMakeWriter::new(std::io::stderr),
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("EHR_HOST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level)),
        )
        .with_writer(writer)
        // Colours only for a person at a terminal, never into log files.
        .with_ansi(ansi)
        .init();
    let code = ehr_host::cli::run(cli).await;
    std::process::exit(code);
}
