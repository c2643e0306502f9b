//! `butterboard`: the one binary of Butterboard Meetings.
//!
//! `run` starts any set of services in one process (embedded or distributed, ARCHITECTURE §3);
//! the other commands are the operator's tools: `migrate`, `dlq`, `events tail`, `token`,
//! `healthcheck`, `config`, `sim`, `ingest`, and `demo` (the example scenario on a running system).
//! [`cli`] declares them, [`run`] assembles a process, [`services`] knows each
//! service's entry point, and [`commands`] holds the small tools.

mod cli;
mod commands;
mod config_cli;
mod demo;
mod infra;
mod ingest_cli;
mod output;
mod ready;
mod run;
mod services;
mod sims;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::dispatch(cli)) {
        Ok(code) => code,
        // The reader of standard output has gone (`| head`): it has all it wanted.
        Err(error) if output::is_closed_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            // The cause chain, one line: "error: scenario: cannot connect to the database: …".
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
