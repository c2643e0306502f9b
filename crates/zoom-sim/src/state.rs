//! The state every handler shares, and the small helpers they all use (locking, time, auth, limits).

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard};

use axum::http::HeaderMap;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::ZoomSimConfig;
use crate::error::ApiError;
use crate::faults::FaultTable;
use crate::ratelimit::{Category, RateLimiter};
use crate::received::ReceivedLog;
use crate::store::{Store, TokenKind};
use crate::webhooks::WebhookLog;

/// Shared by every handler and background task of one simulator.
pub(crate) struct AppState {
    pub config: ZoomSimConfig,
    /// `http://127.0.0.1:port` (or the configured public base URL), without a trailing slash.
    pub base_url: String,
    pub store: Mutex<Store>,
    pub webhooks: Mutex<WebhookLog>,
    pub limiter: Mutex<RateLimiter>,
    /// Injected faults (`/_sim/faults`).
    pub faults: Mutex<FaultTable>,
    /// Meeting create and update bodies as received.
    pub received: Mutex<ReceivedLog>,
    /// Where webhooks go now; starts as the configured endpoint, changeable at run time.
    pub endpoint: Mutex<Option<String>>,
    /// Meetings being played, so one meeting is not played twice at once.
    pub playing: Mutex<HashSet<i64>>,
    pub http: reqwest::Client,
    /// Signs the short-lived file URLs that download URLs redirect to.
    pub file_key: [u8; 32],
    /// Woken whenever the store changed and should be saved.
    pub dirty: Notify,
    pub shutdown: CancellationToken,
    /// Plays and webhook retries, awaited on stop.
    pub tasks: TaskTracker,
}

/// Locks a mutex even if a thread panicked while holding it: the data is still the best we have,
/// and a simulator that stops answering would hide the real failure.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl AppState {
    pub fn now_ms(&self) -> i64 {
        self.config.clock.now_ms()
    }

    /// Marks the store as changed (it is saved shortly after when a data dir is configured).
    pub fn changed(&self) {
        self.dirty.notify_one();
    }

    /// Checks the `Authorization: Bearer` header of an API call: an unexpired OAuth access token.
    pub fn authorize(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let token = bearer(headers).ok_or(ApiError::InvalidToken)?;
        let store = lock(&self.store);
        let found = store.tokens.get(token).ok_or(ApiError::InvalidToken)?;
        if found.kind != TokenKind::Api {
            return Err(ApiError::InvalidToken);
        }
        if found.expires_ms <= self.now_ms() {
            return Err(ApiError::ExpiredToken);
        }
        Ok(())
    }

    /// Counts a call against its category's per-second budget.
    pub fn limit(&self, category: Category) -> Result<(), ApiError> {
        lock(&self.limiter).check(category, &self.config.rate_limits)
    }

    /// Auth first, then the rate limit, as Zoom orders them.
    pub fn gate(&self, headers: &HeaderMap, category: Category) -> Result<(), ApiError> {
        self.authorize(headers)?;
        self.limit(category)
    }
}

/// The token of an `Authorization: Bearer …` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then_some(token)
}
