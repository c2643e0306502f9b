//! The command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "butterboard", version, about = "Butterboard Meetings: Zoom in employee onboarding")]
pub struct Cli {
    /// A TOML file of settings, read between the built-in defaults and the environment.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run services: embedded when no NATS_URL and no database URL are set, distributed otherwise.
    Run {
        /// `all`, or a comma-separated list of services.
        #[arg(long, default_value = "all")]
        target: String,
    },
    /// Apply the migrations of the targeted services' stores, then exit.
    Migrate {
        #[arg(long, default_value = "all")]
        target: String,
    },
    /// Dead letters: messages that failed every attempt.
    Dlq {
        #[command(subcommand)]
        command: DlqCommand,
    },
    /// Events on the bus.
    Events {
        #[command(subcommand)]
        command: EventsCommand,
    },
    /// Mint a bearer token with the configured key, for local use.
    Token {
        /// One of hr, manager, employee, service; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// The caller: a person's e-mail or a service name.
        #[arg(long)]
        sub: String,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: u64,
    },
    /// Stored Zoom deliveries of zoom-webhook-ingest: list them, replay them to the bus.
    Ingest {
        #[command(subcommand)]
        command: crate::ingest_cli::IngestCommand,
    },
    /// Import the example onboarding scenario into a running system, assign a few new employees,
    /// and show their schedule and who their first meeting brings together.
    Demo {
        #[command(flatten)]
        args: crate::demo::DemoArgs,
    },
    /// Serve the built-in Zoom and Google Drive simulators and print how to use them.
    Sim {
        #[arg(long, default_value = "127.0.0.1:8901")]
        zoom_addr: std::net::SocketAddr,
        #[arg(long, default_value = "127.0.0.1:8902")]
        drive_addr: std::net::SocketAddr,
        /// Where the Zoom simulator posts webhooks, e.g. http://127.0.0.1:8080/zoom/webhooks.
        #[arg(long)]
        webhook_url: Option<String>,
    },
    /// What the binary reads from its environment, and whether an environment would start a target.
    Config {
        #[command(subcommand)]
        command: crate::config_cli::ConfigCommand,
    },
    /// Exit 0 when the local process answers ready on its admin port (for container probes).
    Healthcheck {
        /// The readiness URL; defaults to the configured admin address.
        #[arg(long)]
        url: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// List dead letters, oldest first.
    List {
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Publish a dead letter again on its original subject and remove it from the dead letters.
    Replay {
        /// The dead letter's sequence, as `dlq list` shows it; or `all`.
        sequence: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Print events as they arrive, decoded; with --since or --from-start, what came before first.
    Tail {
        #[arg(long, default_value = "onboarding.>")]
        subject: String,
        /// Start with events stored since: an age such as 15m, 2h or 7d, RFC 3339, or epoch ms.
        #[arg(long, conflicts_with = "from_start")]
        since: Option<String>,
        /// Start with everything the stream still holds.
        #[arg(long)]
        from_start: bool,
    },
}
