//! The commands besides `run`: small operator tools over the same configuration.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use butterboard_runtime::auth::{Authenticator, Role};
use butterboard_runtime::bus::TailStart;
use butterboard_runtime::config::Config;
use butterboard_runtime::envelope::CloudEvent;
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::service::parse_targets;
use butterboard_runtime::telemetry;

use crate::cli::{Cli, Command, DlqCommand, EventsCommand};
use crate::infra;

pub async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    // `config` describes and checks the configuration, so it must work when that is invalid.
    let command = match cli.command {
        Command::Config { command } => return crate::config_cli::run(cli.config.as_deref(), command),
        command => command,
    };
    let config = Config::load(cli.config.as_deref(), &crate::services::settings())?;
    match command {
        Command::Run { target } => {
            let targets = parse_targets(&target)?;
            let guard = telemetry::init("butterboard", config.otel_endpoint.as_deref())?;
            let result = crate::run::run(config, targets).await;
            guard.shutdown();
            result
        }
        Command::Migrate { target } => {
            for name in parse_targets(&target)? {
                infra::open_store(&config, name).await?.close().await;
                crate::output::line(format_args!("{name}: migrations applied"))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Dlq { command } => dlq(&config, command).await,
        Command::Events { command: EventsCommand::Tail { subject, since, from_start } } => {
            let start = match (since, from_start) {
                (_, true) => TailStart::All,
                (Some(since), false) => {
                    let at =
                        zoom_webhook_ingest::admin_client::parse_time(&since, butterboard_runtime::clock::now_ms())
                            .context("--since")?;
                    TailStart::Since(at)
                }
                (None, false) => TailStart::New,
            };
            tail(&config, &subject, start).await
        }
        Command::Token { roles, sub, ttl } => {
            let roles = roles.iter().map(|r| r.parse::<Role>()).collect::<Result<Vec<_>, _>>()?;
            let token = Authenticator::from_config(&config)?.mint(&sub, &roles, Duration::from_secs(ttl))?;
            crate::output::line(&token)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ingest { command } => crate::ingest_cli::run(&config, command).await,
        Command::Demo { args } => crate::demo::run(&config, args).await,
        Command::Config { command } => crate::config_cli::run(cli.config.as_deref(), command),
        Command::Healthcheck { url } => healthcheck(&config, url).await,
        Command::Sim { zoom_addr, drive_addr, webhook_url } => {
            crate::sims::serve(&config, zoom_addr, drive_addr, webhook_url).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn dlq(config: &Config, command: DlqCommand) -> anyhow::Result<ExitCode> {
    let bus = infra::open_bus(config).await?.bus;
    match command {
        DlqCommand::List { limit } => {
            let letters = bus.dead_letters(limit).await?;
            for letter in &letters {
                let header = |name: &str| letter.headers.get(name).map(String::as_str).unwrap_or("-");
                crate::output::line(format_args!(
                    "{}\t{}\t{}\t{}\t{}",
                    letter.sequence,
                    header(butterboard_runtime::bus::DLQ_SUBJECT_HEADER),
                    header(butterboard_runtime::bus::DLQ_CONSUMER_HEADER),
                    header("ce-id"),
                    header(butterboard_runtime::bus::DLQ_ERROR_HEADER),
                ))?;
            }
            eprintln!("{} dead letter(s)", letters.len());
        }
        DlqCommand::Replay { sequence } => {
            let sequences: Vec<u64> = if sequence == "all" {
                bus.dead_letters(usize::MAX).await?.iter().map(|l| l.sequence).collect()
            } else {
                vec![sequence.parse().context("the sequence must be a number or `all`")?]
            };
            for sequence in sequences {
                let ack = bus.replay_dead_letter(sequence).await?;
                crate::output::line(format_args!("{sequence}: replayed as {}", ack.sequence))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn tail(config: &Config, subject: &str, start: TailStart) -> anyhow::Result<ExitCode> {
    let bus = infra::open_bus(config).await?.bus;
    let mut tail = bus.tail(subject, start).await?;
    eprintln!("following {subject} on the {} bus; ctrl-c to stop", bus.kind());
    loop {
        let next = tokio::select! {
            next = tail.next() => next?,
            _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
        };
        let Some(message) = next else { return Ok(ExitCode::SUCCESS) };
        let line = match CloudEvent::from_message(&message.clone().into()) {
            Ok(event) => describe(&message.subject, &event),
            Err(error) => format!("{} #{} (not a cloudevent: {error})", message.subject, message.sequence),
        };
        crate::output::line(&line)?;
    }
}

/// One line per event: subject, id, type, then the decoded payload. `zoom.*` bodies are not
/// printed: they hold download tokens.
fn describe(subject: &str, event: &CloudEvent) -> String {
    let head = format!("{} {} {} {}", event.time, subject, event.id, event.ty);
    match OnboardingEvent::decode(event) {
        Ok(decoded) => format!("{head} {decoded:?}"),
        Err(_) if subject.starts_with("zoom.") => format!("{head} ({} bytes of zoom json)", event.data.len()),
        Err(error) => format!("{head} ({error})"),
    }
}

async fn healthcheck(config: &Config, url: Option<String>) -> anyhow::Result<ExitCode> {
    let url = url.unwrap_or_else(|| {
        let port = config.listen.admin.port();
        format!("http://127.0.0.1:{port}/readyz")
    });
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(3)).build()?;
    match client.get(&url).send().await {
        Ok(response) if response.status().is_success() => Ok(ExitCode::SUCCESS),
        Ok(response) => {
            eprintln!("not ready: {} {}", response.status(), response.text().await.unwrap_or_default());
            Ok(ExitCode::FAILURE)
        }
        Err(error) => {
            eprintln!("no answer from {url}: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}
