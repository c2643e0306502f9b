//! `butterboard ingest list|replay`: stored Zoom deliveries, through the running ingest's admin
//! gRPC API (`butterboard.ingest.v1`). Going through the service rather than its database keeps
//! it the only reader of its store and sends replays through its outbox and relay, the same in
//! embedded and distributed mode. Without `--token` the command mints a short-lived `service`
//! token with the configured key, as `butterboard token` does.

use std::process::ExitCode;
use std::time::Duration;

use butterboard_proto::ingest::v1::DeliveryFilter;
use butterboard_runtime::auth::{Authenticator, Role};
use butterboard_runtime::clock::now_ms;
use butterboard_runtime::config::Config;
use clap::{Args, Subcommand};
use zoom_webhook_ingest::admin_client::{AdminClient, parse_time};

#[derive(Debug, Subcommand)]
pub enum IngestCommand {
    /// List stored deliveries, oldest first (no bodies: they hold download tokens).
    List {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        filter: Filter,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Publish stored deliveries to the bus again (same event ids unless --force-new-ids).
    Replay {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        filter: Filter,
        /// Mint new event ids so every consumer handles the events again.
        #[arg(long)]
        force_new_ids: bool,
        /// At most this many deliveries (at most 10000).
        #[arg(long, default_value_t = 10_000)]
        limit: u32,
    },
}

#[derive(Debug, Args)]
pub struct Target {
    /// The gRPC address of the ingest; defaults to the configured gRPC port on 127.0.0.1.
    #[arg(long)]
    addr: Option<String>,
    /// A bearer token with the `service` role; minted with the configured key when absent.
    #[arg(long, env = "BUTTERBOARD_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

#[derive(Debug, Args)]
pub struct Filter {
    /// Received at or after: RFC 3339, epoch milliseconds, or an age such as 2h or 7d.
    #[arg(long)]
    since: Option<String>,
    /// Received before (same forms as --since).
    #[arg(long)]
    until: Option<String>,
    /// A Zoom event name, e.g. recording.completed; repeat for several.
    #[arg(long = "event-type")]
    event_types: Vec<String>,
    /// A meeting session's uuid.
    #[arg(long)]
    meeting_uuid: Option<String>,
    /// A delivery id, as `ingest list` shows it; repeat for several.
    #[arg(long = "id")]
    ids: Vec<i64>,
}

impl Filter {
    fn to_proto(&self) -> anyhow::Result<DeliveryFilter> {
        let now = now_ms();
        Ok(DeliveryFilter {
            received_from_ms: self.since.as_deref().map(|t| parse_time(t, now)).transpose()?.unwrap_or_default(),
            received_to_ms: self.until.as_deref().map(|t| parse_time(t, now)).transpose()?.unwrap_or_default(),
            event_types: self.event_types.clone(),
            meeting_uuid: self.meeting_uuid.clone().unwrap_or_default(),
            ids: self.ids.clone(),
        })
    }
}

async fn connect(config: &Config, target: &Target) -> anyhow::Result<AdminClient> {
    let addr = target.addr.clone().unwrap_or_else(|| format!("http://127.0.0.1:{}", config.listen.grpc.port()));
    let token = match &target.token {
        Some(token) => token.clone(),
        None => {
            Authenticator::from_config(config)?.mint("butterboard-cli", &[Role::Service], Duration::from_secs(300))?
        }
    };
    AdminClient::connect(&addr, token).await
}

pub async fn run(config: &Config, command: IngestCommand) -> anyhow::Result<ExitCode> {
    match command {
        IngestCommand::List { target, filter, limit } => {
            let deliveries = connect(config, &target).await?.list(filter.to_proto()?, limit).await?;
            for d in &deliveries {
                crate::output::line(format_args!(
                    "{}\t{}\t{}\t{}\t{}\t{} bytes",
                    d.id, d.received_at_ms, d.event_type, d.event_id, d.meeting_uuid, d.body_bytes
                ))?;
            }
            eprintln!("{} deliveries", deliveries.len());
        }
        IngestCommand::Replay { target, filter, force_new_ids, limit } => {
            let replayed = connect(config, &target).await?.replay(filter.to_proto()?, force_new_ids, limit).await?;
            for id in &replayed.event_ids {
                crate::output::line(id)?;
            }
            eprintln!(
                "{} deliveries replayed{}",
                replayed.replayed,
                if force_new_ids { " with new event ids" } else { "" }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
