//! The built-in Zoom and Google Drive simulators: what the embedded default runs against when no
//! credentials are configured, and what `butterboard sim` serves on its own.
//!
//! Started inside `run`, each simulator's address and credentials are written into the process's
//! configuration before any service starts, so services only ever see a Zoom and a Drive — the
//! same code paths as with the real APIs.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context as _;
use butterboard_runtime::Secret;
use butterboard_runtime::config::Config;
use drive_sim::{DriveSim, DriveSimConfig};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use zoom_sim::{SimSecrets, ZoomSim, ZoomSimConfig};

/// The Zoom user of the simulator's account who hosts meetings when `ZOOM_DEFAULT_HOST` is unset.
pub const SIM_DEFAULT_HOST: &str = "host@butterboard.online";

/// The key file the Drive simulator issues for the archiver, inside the data directory.
const DRIVE_KEY_FILE: &str = "sim/drive-service-account.json";

/// Where the Zoom simulator keeps its state and secrets, inside the data directory.
const ZOOM_DIR: &str = "sim/zoom";

/// The secrets the Zoom simulator accepts and signs with: generated once per data directory
/// ([`SimSecrets`]), except a configured `ZOOM_WEBHOOK_SECRET_TOKEN`, which it signs with instead
/// (the first token of a rotation list), so that whatever verifies with the configured token
/// accepts its webhooks.
fn zoom_secrets(config: &Config) -> anyhow::Result<SimSecrets> {
    let mut secrets = SimSecrets::load_or_create(&config.data_dir.join(ZOOM_DIR))
        .context("zoom simulator: cannot load or create its secrets")?;
    if let Some(token) = config.zoom.webhook_secret_token.as_ref().and_then(|t| t.expose().split(',').next()) {
        secrets.webhook_secret_token = token.trim().to_string();
    }
    Ok(secrets)
}

/// Starts the Zoom simulator on `addr` with the data directory's secrets; webhooks go to
/// `webhook_url` when given.
pub async fn start_zoom(
    config: &Config,
    addr: SocketAddr,
    webhook_url: Option<String>,
    stop: CancellationToken,
) -> anyhow::Result<ZoomSim> {
    let secrets = zoom_secrets(config)?;
    let listener = TcpListener::bind(addr).await.with_context(|| format!("zoom simulator: cannot listen on {addr}"))?;
    let mut sim = ZoomSimConfig {
        data_dir: Some(config.data_dir.join(ZOOM_DIR)),
        users: vec![SIM_DEFAULT_HOST.to_string()],
        ..ZoomSimConfig::default()
    }
    .with_secrets(secrets);
    sim.webhook.endpoint = webhook_url;
    zoom_sim::start_with_shutdown(sim, Some(listener), stop).await
}

/// Starts the Drive simulator on `addr`, keeping its files under `<data_dir>/drive`.
pub async fn start_drive(data_dir: &Path, addr: SocketAddr, stop: CancellationToken) -> anyhow::Result<DriveSim> {
    let listener =
        TcpListener::bind(addr).await.with_context(|| format!("drive simulator: cannot listen on {addr}"))?;
    drive_sim::start_with_shutdown(DriveSimConfig::new(data_dir), listener, stop).await
}

/// Writes the simulator's service-account key file to `path`, creating its directory.
async fn write_key(drive: &DriveSim, path: &Path) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await.with_context(|| format!("cannot create {}", parent.display()))?;
    }
    drive.write_service_account_key(path).await.context("drive simulator: cannot write the service-account key")?;
    Ok(())
}

/// Points the Zoom settings at the simulator, with its default account and its secrets: the
/// ingest then verifies webhooks with the simulator's secret like with any configured one. A
/// configured webhook secret token (the simulator signs with its first) is kept as it is.
pub fn use_zoom(config: &mut Config, zoom: &ZoomSim) {
    let sim = zoom.config();
    config.zoom.account_id = Some(sim.account_id.clone());
    config.zoom.client_id = Some(sim.client_id.clone());
    config.zoom.client_secret = Some(Secret::new(sim.client_secret.clone()));
    if config.zoom.webhook_secret_token.is_none() {
        config.zoom.webhook_secret_token = Some(Secret::new(sim.webhook_secret_token.clone()));
    }
    config.zoom.api_base_url = zoom.api_base_url();
    config.zoom.oauth_url = zoom.oauth_url();
    // Its recordings download from its own loopback origin, which Zoom's download hosts are not.
    config.zoom.download_origins = vec![zoom.base_url().trim_end_matches('/').to_string()];
    // Meetings whose starter is no Zoom user are hosted by one the simulator has.
    if config.settings.get(meeting_orchestrator::settings::vars::ZOOM_DEFAULT_HOST).is_none() {
        config.settings.set(meeting_orchestrator::settings::vars::ZOOM_DEFAULT_HOST, SIM_DEFAULT_HOST);
    }
}

/// Points the Drive settings at the simulator: a fresh service-account key file and its Shared
/// Drive as the archive root.
pub async fn use_drive(config: &mut Config, drive: &DriveSim) -> anyhow::Result<()> {
    let key = config.data_dir.join(DRIVE_KEY_FILE);
    write_key(drive, &key).await?;
    config.drive.credentials_file = Some(key);
    config.drive.root_folder_id = Some(drive_sim::DEFAULT_SHARED_DRIVE_ID.to_string());
    config.drive.api_base_url = drive.base_url().to_string();
    Ok(())
}

/// What `butterboard sim` prints: where each simulator is and how to use it.
pub fn describe(zoom: &ZoomSim, drive: &DriveSim, key_file: &Path) -> String {
    let sim = zoom.config();
    format!(
        "zoom simulator   {base}\n  ZOOM_API_BASE_URL={api}\n  ZOOM_OAUTH_URL={oauth}\n  ZOOM_ACCOUNT_ID={account}\n  ZOOM_CLIENT_ID={client}\n  ZOOM_CLIENT_SECRET={secret}\n  ZOOM_WEBHOOK_SECRET_TOKEN={webhook}\n  webhooks to: {endpoint}\n\
         drive simulator  {drive_base}\n  DRIVE_API_BASE_URL={drive_base}\n  GOOGLE_APPLICATION_CREDENTIALS={key}\n  DRIVE_ROOT_FOLDER_ID={root}\n  files in: {files}\n",
        base = zoom.base_url(),
        api = zoom.api_base_url(),
        oauth = zoom.oauth_url(),
        account = sim.account_id,
        client = sim.client_id,
        // The secrets of this data directory's simulator: printing them is how a client is
        // configured against it (they are printed, never logged).
        secret = sim.client_secret,
        webhook = sim.webhook_secret_token,
        endpoint = zoom.webhook_endpoint().unwrap_or_else(|| "(none; PUT /_sim/webhooks/endpoint)".into()),
        drive_base = drive.base_url(),
        key = key_file.display(),
        root = drive_sim::DEFAULT_SHARED_DRIVE_ID,
        files = drive.drive_dir().display(),
    )
}

/// `butterboard sim`: both simulators until ctrl-c or SIGTERM.
pub async fn serve(
    config: &Config,
    zoom_addr: SocketAddr,
    drive_addr: SocketAddr,
    webhook_url: Option<String>,
) -> anyhow::Result<()> {
    let shutdown = butterboard_runtime::shutdown::Shutdown::new();
    shutdown.listen_for_signals();
    let stop = CancellationToken::new();
    let zoom = start_zoom(config, zoom_addr, webhook_url, stop.clone()).await?;
    let drive = start_drive(&config.data_dir, drive_addr, stop.clone()).await?;
    let key = config.data_dir.join(DRIVE_KEY_FILE);
    write_key(&drive, &key).await?;
    crate::output::line(format_args!("{}ctrl-c to stop", describe(&zoom, &drive, &key)))?;
    shutdown.wait().await;
    stop.cancel();
    zoom.stop().await?;
    drive.stop().await
}

/// `addr` as a client on this machine dials it: an unspecified IP (0.0.0.0, ::) becomes loopback.
pub fn loopback_for(addr: std::net::SocketAddr) -> std::net::SocketAddr {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    addr
}
