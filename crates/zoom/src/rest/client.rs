//! The client: configuration, the account registry, and the one function every call goes through.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use time::OffsetDateTime;

use super::budget::{Budget, BudgetConfig, Category};
use super::errors::{ErrorBody, ZoomError};
use super::oauth::{Account, Credentials};
use super::origins::{DownloadOrigins, ZOOM_DOWNLOAD_ORIGINS};
use super::retry::{RetryAfter, RetryPolicy, is_daily_limit, next_utc_midnight};

/// Where Zoom is and how the client behaves.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `https://api.zoom.us/v2` (no trailing `/`), or a simulator's.
    pub api_base_url: String,
    /// `https://zoom.us/oauth/token`, or a simulator's.
    pub oauth_url: String,
    pub credentials: Credentials,
    /// Connecting may take this long.
    pub connect_timeout: Duration,
    /// A whole API call (and a download until its headers) may take this long per attempt.
    pub request_timeout: Duration,
    /// A download stream may go this long without a byte before it fails.
    pub download_idle_timeout: Duration,
    pub retry: RetryPolicy,
    pub budget: BudgetConfig,
    /// Renew a token this long before it expires; default a tenth of its lifetime, at most 5 min.
    pub token_refresh_margin: Option<Duration>,
    /// Where a download may send its token: `scheme://host[:port]`, the host possibly `*.domain`.
    /// A `download_url` elsewhere is refused before any request. Default: Zoom's download hosts
    /// over https ([`ZOOM_DOWNLOAD_ORIGINS`]); a simulator's origin is added to these.
    pub download_origins: Vec<String>,
}

impl ClientConfig {
    /// Zoom's production endpoints with `credentials` and the default behaviour.
    pub fn new(credentials: Credentials) -> Self {
        Self::with_urls("https://api.zoom.us/v2", "https://zoom.us/oauth/token", credentials)
    }

    /// Other endpoints (a simulator, a proxy). Downloads still go only to `download_origins`: add
    /// a simulator's origin with [`allow_download_origin`](Self::allow_download_origin).
    pub fn with_urls(api_base_url: &str, oauth_url: &str, credentials: Credentials) -> Self {
        Self {
            api_base_url: api_base_url.trim_end_matches('/').to_string(),
            oauth_url: oauth_url.to_string(),
            credentials,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            download_idle_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            budget: BudgetConfig::default(),
            token_refresh_margin: None,
            download_origins: ZOOM_DOWNLOAD_ORIGINS.iter().map(|o| o.to_string()).collect(),
        }
    }

    /// Allows downloads from `origin` as well (a simulator's `http://127.0.0.1:port`).
    pub fn allow_download_origin(mut self, origin: impl Into<String>) -> Self {
        self.download_origins.push(origin.into());
        self
    }
}

type AccountKey = (String, String, String);

pub(crate) struct Inner {
    pub http: reqwest::Client,
    pub config: ClientConfig,
    pub download_origins: DownloadOrigins,
    pub account: Arc<Account>,
    accounts: Arc<Mutex<HashMap<AccountKey, Arc<Account>>>>,
}

/// A Zoom REST client for one account; cheap to clone. Clients made with
/// [`ZoomClient::for_account`] share the HTTP connection pool and each account's token and budget.
#[derive(Clone)]
pub struct ZoomClient {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for ZoomClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoomClient")
            .field("api_base_url", &self.inner.config.api_base_url)
            .field("account", &self.inner.account.credentials.account_id)
            .finish()
    }
}

/// A request to the API.
pub(crate) struct ApiCall {
    pub method: Method,
    /// Already encoded, starting with `/`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub category: Category,
}

impl ApiCall {
    pub fn new(method: Method, path: String, category: Category) -> Self {
        Self { method, path, query: Vec::new(), body: None, category }
    }

    pub fn json(mut self, body: &impl serde::Serialize) -> Result<Self, ZoomError> {
        self.body = Some(serde_json::to_vec(body).map_err(|e| ZoomError::InvalidRequest(e.to_string()))?);
        Ok(self)
    }

    pub fn query(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_string(), value.into()));
        self
    }

    fn idempotent(&self) -> bool {
        self.method != Method::POST
    }
}

/// What to do after one attempt.
enum Outcome {
    Done(Bytes),
    Retry(Duration, ZoomError),
    RetryNow,
    Fail(ZoomError),
}

impl ZoomClient {
    /// A client with its own connection pool and account registry.
    pub fn new(config: ClientConfig) -> Result<Self, ZoomError> {
        // reqwest is built without a TLS provider of its own; ring is the one this workspace uses.
        // Installing fails harmlessly when the process already has one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            // Nothing is redirected behind our back: a download follows its own redirects, without
            // the token and only where `origins` allows.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ZoomError::InvalidRequest(format!("cannot build the http client: {e}")))?;
        let download_origins = DownloadOrigins::parse(&config.download_origins)?;
        let accounts = Arc::new(Mutex::new(HashMap::new()));
        let account = register(&accounts, &config);
        Ok(Self { inner: Arc::new(Inner { http, config, download_origins, account, accounts }) })
    }

    /// A client for another account (or app), sharing this one's pool and registry.
    pub fn for_account(&self, credentials: Credentials) -> Self {
        let config = ClientConfig { credentials, ..self.inner.config.clone() };
        let account = register(&self.inner.accounts, &config);
        Self {
            inner: Arc::new(Inner {
                http: self.inner.http.clone(),
                config,
                download_origins: self.inner.download_origins.clone(),
                account,
                accounts: self.inner.accounts.clone(),
            }),
        }
    }

    /// How many access tokens this client's account has fetched (for tests and metrics).
    pub fn token_fetches(&self) -> u64 {
        self.inner.account.fetches()
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    pub(crate) async fn access_token(&self) -> Result<Arc<str>, ZoomError> {
        let config = &self.inner.config;
        self.inner
            .account
            .token(&self.inner.http, &config.oauth_url, config.request_timeout, config.token_refresh_margin)
            .await
    }

    pub(crate) fn invalidate_token(&self, token: &str) {
        self.inner.account.invalidate(token);
    }

    /// Sends `call` with budget, token, timeout and retries; the body of a 2xx answer.
    pub(crate) async fn send(&self, call: ApiCall) -> Result<Bytes, ZoomError> {
        let policy = &self.inner.config.retry;
        let mut attempt = 1;
        let mut renewed_token = false;
        loop {
            let outcome = self.attempt(&call, attempt, &mut renewed_token).await;
            match outcome {
                Outcome::Done(body) => return Ok(body),
                Outcome::Fail(error) => return Err(error),
                Outcome::RetryNow => continue,
                Outcome::Retry(delay, error) => {
                    if attempt >= policy.max_attempts {
                        return Err(error);
                    }
                    tracing::debug!(path = %call.path, attempt, delay_ms = delay.as_millis() as u64, error = %error, "retrying zoom call");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt(&self, call: &ApiCall, attempt: u32, renewed_token: &mut bool) -> Outcome {
        let config = &self.inner.config;
        let account = &self.inner.account;
        if let Err(wait) = account.budget.acquire(call.category).await {
            return Outcome::Fail(ZoomError::RateLimited {
                retry_after: wait,
                message: "the local rate budget is exhausted".into(),
            });
        }
        let token = match self.access_token().await {
            Ok(token) => token,
            Err(error) if error.is_transient() => return Outcome::Retry(config.retry.backoff(attempt), error),
            Err(error) => return Outcome::Fail(error),
        };
        let url = format!("{}{}", config.api_base_url, call.path);
        let mut request =
            self.inner.http.request(call.method.clone(), &url).bearer_auth(&*token).timeout(config.request_timeout);
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if let Some(body) = &call.body {
            request = request.header(reqwest::header::CONTENT_TYPE, "application/json").body(body.clone());
        }
        let retry_failures = call.idempotent() || config.retry.retry_non_idempotent;
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return self.failed_send(&error, attempt, retry_failures),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(error) => return self.failed_send(&error, attempt, retry_failures),
        };
        if (200..300).contains(&status) {
            return Outcome::Done(body);
        }
        let error = ErrorBody::read(&body);
        let api_error = ZoomError::Api { status, code: error.code, message: error.message(status) };
        match status {
            // 124: invalid or expired token. Renew once and try again, without counting an attempt.
            401 if error.code == Some(124) && !*renewed_token => {
                *renewed_token = true;
                self.invalidate_token(&token);
                Outcome::RetryNow
            }
            429 => self.rate_limited(call.category, attempt, &headers, error.message(status)),
            500..=599 if retry_failures => Outcome::Retry(config.retry.backoff(attempt), api_error),
            _ => Outcome::Fail(api_error),
        }
    }

    fn failed_send(&self, error: &reqwest::Error, attempt: u32, retry: bool) -> Outcome {
        let timeout = self.inner.config.request_timeout;
        let error = if error.is_timeout() { ZoomError::Timeout(timeout) } else { ZoomError::transport(error) };
        if retry { Outcome::Retry(self.inner.config.retry.backoff(attempt), error) } else { Outcome::Fail(error) }
    }

    /// A 429: the daily limit fails at once with its reset time; a per-second limit waits for
    /// `Retry-After` (pausing the category for everyone) when that is short enough.
    fn rate_limited(&self, category: Category, attempt: u32, headers: &HeaderMap, message: String) -> Outcome {
        let now = OffsetDateTime::now_utc();
        let retry_after = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(RetryAfter::parse);
        if is_daily_limit(headers.get("x-ratelimit-type").and_then(|v| v.to_str().ok()), &message) {
            let reset_at = match retry_after {
                Some(RetryAfter::At(at)) => at,
                Some(RetryAfter::Delay(d)) => now + d,
                None => next_utc_midnight(now),
            };
            return Outcome::Fail(ZoomError::DailyLimit { reset_at, message });
        }
        let policy = &self.inner.config.retry;
        let delay = retry_after
            .map(|r| r.delay_from(now))
            .unwrap_or_else(|| policy.backoff(attempt).max(Duration::from_secs(1)));
        let error = ZoomError::RateLimited { retry_after: delay, message };
        if delay > policy.max_retry_after {
            return Outcome::Fail(error);
        }
        self.inner.account.budget.pause(category, delay);
        // The budget's pause makes the next attempt wait; sleeping here as well would wait twice.
        Outcome::Retry(Duration::ZERO, error)
    }

    /// Sends and decodes a JSON answer.
    pub(crate) async fn send_json<T: serde::de::DeserializeOwned>(&self, call: ApiCall) -> Result<T, ZoomError> {
        let path = call.path.clone();
        let body = self.send(call).await?;
        serde_json::from_slice(&body).map_err(|e| ZoomError::Decode(format!("{path}: {e}")))
    }
}

fn register(accounts: &Mutex<HashMap<AccountKey, Arc<Account>>>, config: &ClientConfig) -> Arc<Account> {
    let creds = &config.credentials;
    let key = (config.oauth_url.clone(), creds.account_id.clone(), creds.client_id.clone());
    let mut accounts = accounts.lock().unwrap_or_else(|p| p.into_inner());
    accounts.entry(key).or_insert_with(|| Arc::new(Account::new(creds.clone(), Budget::new(&config.budget)))).clone()
}
