//! `drive-sim`: a local Google Drive v3 simulator, a real HTTP server on loopback that follows
//! the contract in FACTS.md closely enough that code passing against it works against Google.
//!
//! [`start`] takes a [`DriveSimConfig`] and a listener (or address) and returns a [`DriveSim`]
//! handle: its [`DriveSim::base_url`] is the `root_url` a client uses, and it writes real
//! service-account key files whose `token_uri` points back at it. What lives where:
//! `token` and `auth` (the JWT-bearer token endpoint, access tokens),
//! `files`/`create`/`list`/`list_query`/`fields` (metadata calls, `q`, partial responses),
//! `upload`/`upload_chunk`/`upload_session` (simple and resumable uploads), `permissions`,
//! `access` (who sees what, and the 404 rules), `storage` (the on-disk tree and its JSON index),
//! `faults` (5xx, 429, latency, dropped connections, partial chunks), `inspect` (`/_sim/…`),
//! `server` (routes and the accept loop).

mod access;
mod auth;
mod config;
mod create;
mod error;
mod faults;
mod fields;
mod files;
mod inspect;
mod list;
mod list_query;
mod model;
mod multipart;
mod params;
mod permissions;
mod render;
mod server;
mod state;
mod storage;
mod token;
mod upload;
mod upload_chunk;
mod upload_session;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use config::{
    DEFAULT_MY_DRIVE_FOLDER_ID, DEFAULT_MY_DRIVE_FOLDER_NAME, DEFAULT_SERVICE_ACCOUNT, DEFAULT_SHARED_DRIVE_ID,
    DEFAULT_SHARED_DRIVE_NAME, DEFAULT_USER, DriveSimConfig, MemberConfig, MyDriveFolderConfig, ServiceAccountConfig,
    SharedDriveConfig,
};
pub use faults::{FaultAction, FaultRule, RateLimitReason};
pub use inspect::{PermissionView, RequestRecord, TreeNode};
pub use model::{DOC_MIME, FOLDER_MIME, Role};
pub use storage::Notification;
pub use token::ServiceAccountKey;
pub use upload_session::UploadSessionInfo;

use state::{AppState, Clock};

/// Where the simulator listens: a listener bound by the caller (port 0 in tests) or an address.
pub enum Bind {
    Listener(TcpListener),
    Addr(SocketAddr),
}

impl From<TcpListener> for Bind {
    fn from(listener: TcpListener) -> Self {
        Bind::Listener(listener)
    }
}

impl From<SocketAddr> for Bind {
    fn from(addr: SocketAddr) -> Self {
        Bind::Addr(addr)
    }
}

/// A running simulator. Dropping it leaves the server running until its shutdown token is
/// cancelled; [`DriveSim::stop`] stops it gracefully.
pub struct DriveSim {
    state: Arc<AppState>,
    addr: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
}

/// Starts a simulator; it runs until [`DriveSim::stop`].
pub async fn start(config: DriveSimConfig, bind: impl Into<Bind>) -> anyhow::Result<DriveSim> {
    start_with_shutdown(config, bind, CancellationToken::new()).await
}

/// Starts a simulator that also stops when `shutdown` is cancelled (the process's token).
pub async fn start_with_shutdown(
    config: DriveSimConfig,
    bind: impl Into<Bind>,
    shutdown: CancellationToken,
) -> anyhow::Result<DriveSim> {
    config.validate()?;
    let listener = match bind.into() {
        Bind::Listener(listener) => listener,
        Bind::Addr(addr) => {
            TcpListener::bind(addr).await.with_context(|| format!("drive simulator cannot listen on {addr}"))?
        }
    };
    let addr = listener.local_addr()?;
    let clock = Clock::default();
    let store = storage::Store::open(&config, clock.now_ms()).await?;
    let sessions = upload_session::Sessions::load(store.uploads_dir(), clock.now_ms()).await?;
    let token_secret = hex::decode(&store.index.token_secret).context("the index's token secret is not hex")?;
    let state = Arc::new(AppState {
        base_url: format!("http://{addr}/"),
        clock,
        store: tokio::sync::Mutex::new(store),
        sessions,
        faults: faults::Faults::new(config.faults.clone()),
        log: inspect::RequestLog::new(config.request_log_capacity),
        token_secret,
        config,
    });
    let router = server::router(state.clone());
    let task = tokio::spawn(server::serve(listener, router, shutdown.clone()));
    tracing::info!(addr = %addr, data_dir = %state.config.data_dir.display(), "drive simulator listening");
    Ok(DriveSim { state, addr, shutdown, task })
}

impl DriveSim {
    /// `http://127.0.0.1:PORT/`: the `root_url` (and `base_url` minus `drive/v3/`) of a client.
    pub fn base_url(&self) -> &str {
        &self.state.base_url
    }

    /// The `token_uri` key files point at.
    pub fn token_uri(&self) -> String {
        self.state.token_uri()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `<data>/drive`: the tree a person can browse.
    pub fn drive_dir(&self) -> PathBuf {
        self.state.config.data_dir.join("drive")
    }

    /// A new key (fresh RSA 2048) for a configured service account.
    pub async fn service_account_key(&self, email: &str) -> anyhow::Result<ServiceAccountKey> {
        token::create_key(&self.state, email).await
    }

    /// Writes a new key file for the first configured service account to `path`.
    pub async fn write_service_account_key(&self, path: impl AsRef<Path>) -> anyhow::Result<ServiceAccountKey> {
        let email = self
            .state
            .config
            .service_accounts
            .first()
            .map(|sa| sa.email.clone())
            .context("no service account is configured")?;
        let key = self.service_account_key(&email).await?;
        let path = path.as_ref();
        tokio::fs::write(path, serde_json::to_vec_pretty(&key)?)
            .await
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(key)
    }

    /// An access token without the JWT exchange, for tests of other crates that do not test auth.
    pub fn access_token(&self, email: &str, scopes: &[&str]) -> anyhow::Result<String> {
        let service_account = self.state.config.service_account(email).is_some();
        anyhow::ensure!(
            service_account || self.state.config.is_user(email),
            "{email} is neither a service account nor a user"
        );
        let ttl = i64::try_from(self.state.config.access_token_ttl_secs).unwrap_or(3600);
        let caller = auth::Caller {
            email: email.to_owned(),
            service_account,
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            expires_at: self.state.clock.now_secs() + ttl,
        };
        auth::mint(&self.state, &caller).map_err(|e| anyhow::anyhow!("cannot mint a token: {}", e.message))
    }

    /// Every drive with its folders, files and permissions.
    pub async fn tree(&self) -> Vec<TreeNode> {
        inspect::tree(&*self.state.store.lock().await)
    }

    /// Where a file's bytes (or a folder) are on disk.
    pub async fn disk_path(&self, file_id: &str) -> Option<PathBuf> {
        self.state.store.lock().await.disk_path(file_id)
    }

    /// Open and finished resumable sessions.
    pub async fn upload_sessions(&self) -> Vec<UploadSessionInfo> {
        self.state.sessions.infos().await
    }

    /// The last requests (see `request_log_capacity`), oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.log.snapshot()
    }

    /// The e-mails Drive would have sent for `sendNotificationEmail`.
    pub async fn notifications(&self) -> Vec<Notification> {
        self.state.store.lock().await.index.notifications.clone()
    }

    pub fn add_fault(&self, rule: FaultRule) {
        self.state.faults.add(rule);
    }

    pub fn clear_faults(&self) {
        self.state.faults.clear();
    }

    pub fn faults(&self) -> Vec<FaultRule> {
        self.state.faults.list()
    }

    /// Moves the simulator's clock forward (token and session expiry).
    pub fn advance_clock(&self, by: Duration) {
        self.state.clock.advance(by);
    }

    /// Stops accepting, lets open requests finish (up to 5 s), and returns once the server is
    /// down. Everything acknowledged is already on disk.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.task.await.context("the drive simulator task failed")?;
        tracing::info!(addr = %self.addr, "drive simulator stopped");
        Ok(())
    }
}
