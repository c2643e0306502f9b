//! `butterboard feedback report`: a scenario's feedback report from the running feedback service
//! (`butterboard.feedback.v1`, GetReport), printed as a terminal table, CSV or a self-contained
//! HTML page. Without `--token` the command mints a short-lived `hr` token with the configured
//! key, as `butterboard token` does; a manager's token gives that manager's report.

use std::process::ExitCode;
use std::time::Duration;

use butterboard_proto::feedback::v1::GetReportRequest;
use butterboard_proto::feedback::v1::feedback_service_client::FeedbackServiceClient;
use butterboard_runtime::auth::{self, Authenticator, Role};
use butterboard_runtime::config::Config;
use clap::Subcommand;
use feedback::render::{self, Format};

#[derive(Debug, Subcommand)]
pub enum FeedbackCommand {
    /// A scenario's report: stages weakest first with attendance beside the ratings, and cohorts.
    Report {
        /// The scenario's id.
        #[arg(long)]
        scenario: String,
        /// One version only (default every version, each on its own rows).
        #[arg(long, default_value_t = 0)]
        version: u32,
        /// table, csv or html.
        #[arg(long, default_value = "table")]
        format: Format,
        /// The feedback service's gRPC address (default FEEDBACK_GRPC_URL, else the configured
        /// gRPC port on 127.0.0.1).
        #[arg(long, env = "FEEDBACK_GRPC_URL")]
        addr: Option<String>,
        /// A bearer token (hr, or a manager's); minted as hr with the configured key when absent.
        #[arg(long, env = "BUTTERBOARD_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
}

pub async fn run(config: &Config, command: FeedbackCommand) -> anyhow::Result<ExitCode> {
    let FeedbackCommand::Report { scenario, version, format, addr, token } = command;
    let addr = addr.unwrap_or_else(|| format!("http://127.0.0.1:{}", config.listen.grpc.port()));
    let token = match token {
        Some(token) => token,
        None => Authenticator::from_config(config)?.mint("butterboard-cli", &[Role::Hr], Duration::from_secs(300))?,
    };
    let channel = tonic::transport::Endpoint::from_shared(addr.clone())?
        .timeout(Duration::from_secs(30))
        .connect()
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach the feedback service at {addr}: {e}"))?;
    let mut request = tonic::Request::new(GetReportRequest { scenario_id: scenario, scenario_version: version });
    auth::attach_bearer(&mut request, &token)?;
    let report = FeedbackServiceClient::new(channel)
        .get_report(request)
        .await
        .map_err(|status| anyhow::anyhow!("{}: {}", status.code(), status.message()))?
        .into_inner();
    let text = render::render(&report, format)?;
    crate::output::line(text.trim_end())?;
    Ok(ExitCode::SUCCESS)
}
