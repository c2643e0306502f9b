//! Server-to-Server OAuth: `POST {oauth_url}?grant_type=account_credentials&account_id=…` with
//! Basic `client_id:client_secret`. Tokens live an hour and there is no refresh token, so the
//! client asks for a new one shortly before expiry. One token serves every call of the account;
//! under concurrency exactly one caller fetches while the others wait for its result.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::time::Instant;

use super::budget::Budget;
use super::errors::{ErrorBody, ZoomError};

/// A Server-to-Server OAuth app's credentials for one account. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub account_id: String,
    pub client_id: String,
    pub client_secret: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("account_id", &self.account_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

#[derive(Clone)]
struct CachedToken {
    value: Arc<str>,
    refresh_at: Instant,
}

/// The token and budgets of one account, shared by every client of that account in the process.
pub(crate) struct Account {
    pub credentials: Credentials,
    pub budget: Budget,
    current: RwLock<Option<CachedToken>>,
    refreshing: tokio::sync::Mutex<()>,
    fetches: AtomicU64,
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

impl Account {
    pub fn new(credentials: Credentials, budget: Budget) -> Self {
        Self {
            credentials,
            budget,
            current: RwLock::new(None),
            refreshing: tokio::sync::Mutex::new(()),
            fetches: AtomicU64::new(0),
        }
    }

    /// How many tokens were fetched so far.
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    fn fresh(&self) -> Option<Arc<str>> {
        let current = self.current.read().unwrap_or_else(|p| p.into_inner());
        current.as_ref().filter(|t| Instant::now() < t.refresh_at).map(|t| t.value.clone())
    }

    /// A valid access token: the cached one, or a new one fetched by exactly one caller.
    pub async fn token(
        &self,
        http: &reqwest::Client,
        oauth_url: &str,
        timeout: Duration,
        margin: Option<Duration>,
    ) -> Result<Arc<str>, ZoomError> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let _guard = self.refreshing.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let fetched = self.fetch(http, oauth_url, timeout, margin).await?;
        let value = fetched.value.clone();
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(fetched);
        Ok(value)
    }

    /// Forgets `stale` (Zoom said it is invalid or expired) unless it was replaced already.
    pub fn invalidate(&self, stale: &str) {
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        if current.as_ref().is_some_and(|t| &*t.value == stale) {
            *current = None;
        }
    }

    async fn fetch(
        &self,
        http: &reqwest::Client,
        oauth_url: &str,
        timeout: Duration,
        margin: Option<Duration>,
    ) -> Result<CachedToken, ZoomError> {
        let requested = Instant::now();
        let creds = &self.credentials;
        let request = http
            .post(oauth_url)
            .query(&[("grant_type", "account_credentials"), ("account_id", creds.account_id.as_str())])
            .basic_auth(&creds.client_id, Some(&creds.client_secret))
            .timeout(timeout);
        let response = request
            .send()
            .await
            .map_err(|e| if e.is_timeout() { ZoomError::Timeout(timeout) } else { ZoomError::transport(&e) })?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| ZoomError::transport(&e))?;
        if status != 200 {
            let error = ErrorBody::read(&body);
            if status == 429 || status >= 500 {
                return Err(ZoomError::Api { status, code: error.code, message: error.message(status) });
            }
            return Err(ZoomError::OAuth { status, reason: error.message(status) });
        }
        let answer: TokenAnswer =
            serde_json::from_slice(&body).map_err(|e| ZoomError::Decode(format!("token answer: {e}")))?;
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let lifetime = Duration::from_secs(answer.expires_in);
        // Refresh a tenth of the lifetime early (at most 5 minutes): a call never starts with a
        // token about to expire, and a token of an hour is renewed after 55 minutes.
        let margin = margin.unwrap_or_else(|| (lifetime / 10).min(Duration::from_secs(300)));
        tracing::debug!(account_id = %creds.account_id, expires_in_s = answer.expires_in, "zoom access token fetched");
        Ok(CachedToken {
            value: Arc::from(answer.access_token),
            refresh_at: requested + lifetime.saturating_sub(margin),
        })
    }
}
