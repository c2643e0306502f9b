//! Starting and stopping the simulator: binds (or takes) a listener, assembles the routes, keeps
//! state on disk when asked, and stops gracefully on [`ZoomSim::stop`] or the shutdown token.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use axum::routing::{get, post, put};
use axum::{Router, middleware};
use rand::Rng;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::ZoomSimConfig;
use crate::error::ApiError;
use crate::state::{AppState, lock};
use crate::{control, faults, files, inspect, meetings, oauth, past, recordings, store, users};

/// Zoom's own routes; injected faults apply to these.
fn api(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route("/oauth/token", post(oauth::token))
        .route("/v2/users/{user_id}", get(users::api::get_user))
        .route("/v2/users/{user_id}/settings", get(users::api::get_settings))
        .route("/v2/users/{user_id}/meetings", post(meetings::create).get(meetings::list::list))
        .route("/v2/meetings/{meeting_id}", get(meetings::get).patch(meetings::update::update).delete(meetings::delete))
        .route("/v2/meetings/{meeting_id}/recordings", get(recordings::get).delete(recordings::delete))
        .route("/v2/past_meetings/{meeting_id}", get(past::get))
        .route("/v2/past_meetings/{meeting_id}/participants", get(past::participants))
        .route("/v2/users/{user_id}/recordings", get(recordings::list))
        .route("/rec/download/{file_id}", get(files::download))
        .route("/rec/file/{file_id}", get(files::file))
        .route("/rec/play/{file_id}", get(files::play))
        .route_layer(middleware::from_fn_with_state(Arc::clone(state), faults::layer))
}

fn router(state: Arc<AppState>) -> Router {
    api(&state)
        .route("/_sim", get(inspect::summary))
        .route("/_sim/users", get(inspect::list_users))
        .route("/_sim/meetings", get(inspect::list_meetings))
        .route("/_sim/meetings/{meeting_id}/play", post(inspect::play_meeting))
        .route("/_sim/webhooks", get(inspect::list_deliveries))
        .route("/_sim/webhooks/endpoint", put(inspect::set_endpoint))
        .route("/_sim/webhooks/validate", post(inspect::validate))
        .route("/_sim/webhooks/validations", get(inspect::list_validations))
        .route("/_sim/webhooks/{delivery_id}", get(inspect::get_delivery))
        .route("/_sim/recordings", get(inspect::list_recordings))
        .route("/_sim/rate-limits", get(inspect::get_rate_limits))
        .route("/_sim/tokens/expire", post(inspect::expire_tokens))
        .route("/_sim/users/{user_id}/settings", get(control::get_user_settings).patch(control::change_user_settings))
        .route("/_sim/faults", get(control::list_faults).post(control::add_fault).delete(control::clear_faults))
        .route("/_sim/requests", get(control::list_requests))
        .fallback(|| async { ApiError::NoRoute })
        .with_state(state)
}

/// Builds the shared state: the saved store (if any) plus the configured users.
fn state(config: ZoomSimConfig, base_url: String, shutdown: CancellationToken) -> anyhow::Result<Arc<AppState>> {
    // reqwest is built without a TLS provider of its own; ring is the one this workspace uses.
    // Installing fails harmlessly when the process already has one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("building the webhook http client")?;
    let mut store = match &config.data_dir {
        Some(dir) => store::load(dir)?,
        None => store::Store::default(),
    };
    let now = config.clock.now_ms();
    for email in &config.users {
        users::add(&mut store, email, now);
    }
    Ok(Arc::new(AppState {
        endpoint: Mutex::new(config.webhook.endpoint.clone()),
        config,
        base_url,
        store: Mutex::new(store),
        webhooks: Mutex::default(),
        limiter: Mutex::default(),
        faults: Mutex::default(),
        received: Mutex::default(),
        playing: Mutex::default(),
        http,
        file_key: rand::rng().random(),
        dirty: Notify::new(),
        shutdown,
        tasks: TaskTracker::new(),
    }))
}

/// Saves the store shortly after each change (changes come in bursts while a meeting plays).
fn spawn_saver(state: Arc<AppState>) -> Option<JoinHandle<()>> {
    let dir = state.config.data_dir.clone()?;
    Some(tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = state.dirty.notified() => {}
                _ = state.shutdown.cancelled() => break,
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            save(&state, &dir).await;
        }
    }))
}

async fn save(state: &AppState, dir: &std::path::Path) {
    let bytes = {
        let mut store = lock(&state.store);
        store.prune_tokens(state.now_ms());
        serde_json::to_vec_pretty(&*store)
    };
    match bytes {
        Ok(bytes) => {
            if let Err(e) = store::save(dir, bytes).await {
                tracing::warn!(error = format!("{e:#}"), "saving simulator state failed");
            }
        }
        Err(e) => tracing::warn!(error = %e, "serialising simulator state failed"),
    }
}

/// A running simulator. Dropping it does not stop it: call [`ZoomSim::stop`] (or cancel the token).
pub struct ZoomSim {
    pub(crate) state: Arc<AppState>,
    addr: SocketAddr,
    server: JoinHandle<std::io::Result<()>>,
    saver: Option<JoinHandle<()>>,
}

/// Starts a simulator on `listener`, or on `config.listen_addr` when none is given.
pub async fn start(config: ZoomSimConfig, listener: Option<TcpListener>) -> anyhow::Result<ZoomSim> {
    start_with_shutdown(config, listener, CancellationToken::new()).await
}

/// [`start`] with the process's shutdown token: cancelling it stops the simulator.
pub async fn start_with_shutdown(
    config: ZoomSimConfig,
    listener: Option<TcpListener>,
    shutdown: CancellationToken,
) -> anyhow::Result<ZoomSim> {
    config.validate()?;
    let listener = match listener {
        Some(l) => l,
        None => {
            TcpListener::bind(config.listen_addr).await.with_context(|| format!("binding {}", config.listen_addr))?
        }
    };
    let addr = listener.local_addr().context("reading the bound address")?;
    let base_url = match &config.public_base_url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => format!("http://{addr}"),
    };
    let state = state(config, base_url, shutdown.clone())?;
    let app = router(Arc::clone(&state));
    let server =
        tokio::spawn(
            async move { axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned()).await },
        );
    let saver = spawn_saver(Arc::clone(&state));
    tracing::info!(%addr, "zoom simulator listening");
    Ok(ZoomSim { state, addr, server, saver })
}

impl ZoomSim {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://host:port`, the base of every URL it serves.
    pub fn base_url(&self) -> &str {
        &self.state.base_url
    }

    /// The REST API base, `…/v2` (Zoom's `https://api.zoom.us/v2`).
    pub fn api_base_url(&self) -> String {
        format!("{}/v2", self.state.base_url)
    }

    /// The token endpoint, `…/oauth/token` (Zoom's `https://zoom.us/oauth/token`).
    pub fn oauth_url(&self) -> String {
        format!("{}/oauth/token", self.state.base_url)
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &ZoomSimConfig {
        &self.state.config
    }

    /// The token that stops it when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.state.shutdown.clone()
    }

    /// Stops accepting requests, lets open requests finish (a download still streaming after
    /// 10 s is cut), ends plays and retries, saves state.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.state.shutdown.cancel();
        self.state.tasks.close();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.state.tasks.wait()).await;
        let served = match tokio::time::timeout(Duration::from_secs(10), &mut self.server).await {
            Ok(joined) => joined.context("the server task failed")?,
            Err(_) => {
                tracing::warn!("open connections did not finish in time, closing them");
                self.server.abort();
                Ok(())
            }
        };
        if let Some(saver) = self.saver {
            let _ = saver.await;
        }
        if let Some(dir) = self.state.config.data_dir.clone() {
            save(&self.state, &dir).await;
        }
        tracing::info!("zoom simulator stopped");
        served.context("serving")
    }
}
