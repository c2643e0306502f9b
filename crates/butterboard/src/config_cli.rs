//! `butterboard config`: which environment variables the binary reads, and whether an environment
//! would let a target start.
//!
//! Deploy tooling leans on both instead of keeping its own copies: `scripts/deploy-check.sh`
//! compares every variable the Helm chart and the compose file set with `config vars`, and runs
//! `config check --target <service>` with each rendered container's environment, so a renamed
//! or newly required variable fails the check rather than the first deployment.

use std::process::ExitCode;

use butterboard_runtime::auth::Authenticator;
use butterboard_runtime::config::{self, Config, JwtAlgorithm, Mode};
use butterboard_runtime::service::{ServiceName, parse_targets};
use clap::{CommandFactory as _, Subcommand};

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print every environment variable the binary reads, one per line.
    Vars,
    /// Check the environment as `run --target` does before it connects to anything; exit 0 when
    /// the targets would start, otherwise print the problem, naming the variable.
    Check {
        #[arg(long, default_value = "all")]
        target: String,
    },
}

/// Variables read by the libraries rather than by our configuration, which deploy files set:
/// the log filter (tracing-subscriber) and resource attributes (the OpenTelemetry SDK).
const LIBRARY_VARIABLES: [&str; 2] = ["RUST_LOG", "OTEL_RESOURCE_ATTRIBUTES"];

/// Every environment variable the binary reads: the runtime's settings, each service's database
/// URL, the services' own settings (each service's `SETTINGS`), those read by libraries, then the
/// command-line options that fall back to a variable.
pub fn variables() -> Vec<String> {
    let mut names: Vec<String> = config::vars::ALL.map(str::to_string).to_vec();
    names.extend(ServiceName::ALL.map(|service| service.database_env().to_string()));
    names.extend(crate::services::settings().iter().map(|setting| setting.name.to_string()));
    names.extend(LIBRARY_VARIABLES.map(str::to_string));
    for name in command_line_variables(&crate::cli::Cli::command()) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The variables of `env = "…"` options, in every subcommand.
fn command_line_variables(command: &clap::Command) -> Vec<String> {
    let mut names: Vec<String> =
        command.get_arguments().filter_map(|arg| arg.get_env()).map(|env| env.to_string_lossy().into_owned()).collect();
    for subcommand in command.get_subcommands() {
        names.extend(command_line_variables(subcommand));
    }
    names
}

/// `vars` needs no valid configuration (it describes it); `check` loads it from `file` and the
/// process environment.
pub fn run(file: Option<&std::path::Path>, command: ConfigCommand) -> anyhow::Result<ExitCode> {
    match command {
        ConfigCommand::Vars => {
            for name in variables() {
                crate::output::line(name)?;
            }
        }
        ConfigCommand::Check { target } => {
            let targets = parse_targets(&target)?;
            let config = Config::load(file, &crate::services::settings())?;
            check(&config, &targets)?;
            let names: Vec<&str> = targets.iter().map(|t| t.as_str()).collect();
            crate::output::line(format_args!("{:?} mode, configuration valid for {}", config.mode(), names.join(",")))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What `run` and the services' `start` refuse before any connection is made. Key files are not
/// read here: they are mounted where the process runs, not where it is checked.
fn check(config: &Config, targets: &[ServiceName]) -> anyhow::Result<()> {
    if config.mode() == Mode::Distributed {
        for target in targets {
            config.database_url(*target)?;
        }
        // In embedded mode this would create a key in the data directory, which is no check.
        if config.auth.algorithm == JwtAlgorithm::Hs256 {
            Authenticator::from_config(config)?;
        }
    }
    for target in targets {
        crate::services::check_settings(*target, config)?;
    }
    Ok(())
}
