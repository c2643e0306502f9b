//! The state every handler shares, and the simulator's clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Mutex;

use crate::config::DriveSimConfig;
use crate::faults::Faults;
use crate::inspect::RequestLog;
use crate::storage::Store;
use crate::upload_session::Sessions;

/// Shared by every request of one simulator.
pub(crate) struct AppState {
    pub config: DriveSimConfig,
    /// `http://127.0.0.1:PORT/`: the `root_url` clients use, and the prefix of session URIs.
    pub base_url: String,
    pub clock: Clock,
    /// Metadata and disk layout. Held only for short metadata operations, never while streaming.
    pub store: Mutex<Store>,
    pub sessions: Sessions,
    pub faults: Faults,
    pub log: RequestLog,
    /// HMAC key of access tokens (persisted in the index).
    pub token_secret: Vec<u8>,
}

pub(crate) type SharedState = Arc<AppState>;

impl AppState {
    pub fn token_uri(&self) -> String {
        format!("{}token", self.base_url)
    }
}

/// Wall-clock time plus an offset that tests can advance, so token and session expiry are tested
/// without sleeping for an hour or a week (STYLE 17: time is injected).
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn now_ms(&self) -> i64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        wall.saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    pub fn now_secs(&self) -> i64 {
        self.now_ms() / 1000
    }

    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}
