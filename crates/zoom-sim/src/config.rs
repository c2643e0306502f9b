//! What the simulator accepts and how it behaves: credentials, lifetimes, rate limits, the webhook
//! endpoint and its retry schedule, time compression and where state is kept.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};

/// The account id `butterboard sim` accepts by default.
pub const DEFAULT_ACCOUNT_ID: &str = "sim-account";
/// The OAuth client id accepted by default.
pub const DEFAULT_CLIENT_ID: &str = "sim-client";
/// The OAuth client secret accepted by default: a published constant, for tests of the library
/// only. A simulator others can reach uses [`SimSecrets`](crate::SimSecrets) instead.
pub const DEFAULT_CLIENT_SECRET: &str = "sim-secret";
/// The webhook secret token webhooks are signed with by default; for tests only, like
/// [`DEFAULT_CLIENT_SECRET`].
pub const DEFAULT_WEBHOOK_SECRET_TOKEN: &str = "sim-webhook-secret";
/// Where `butterboard sim` listens by default (tests bind `127.0.0.1:0`).
pub const DEFAULT_LISTEN_ADDR: &str = "127.0.0.1:8901";

/// Per-second limits per API category and the per-user daily create/update limit. Zero disables a
/// limit. Zoom counts them per **account**, shared by every app of the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    /// Light APIs (get a user; get/update/delete a meeting; a past meeting; a meeting's recordings):
    /// Zoom Pro allows 30/s.
    pub light_per_second: u32,
    /// Medium APIs (create and list meetings, user settings, past participants, a user's recordings):
    /// Zoom Pro allows 20/s.
    pub medium_per_second: u32,
    /// Heavy APIs (none of the simulated endpoints today; kept so the categories are complete).
    pub heavy_per_second: u32,
    /// Meeting creates plus updates per host user per UTC day: Zoom allows 100, reset at 00:00 UTC.
    pub daily_meeting_writes_per_user: u32,
    /// Whether the daily limit's 429 carries `X-RateLimit-Type: Daily-limit` and `Retry-After` (the
    /// next 00:00 UTC), as Zoom documents; `false` answers with the body alone, as Zoom has been
    /// seen to do, so clients can be tested against both.
    pub daily_limit_headers: bool,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            light_per_second: 30,
            medium_per_second: 20,
            heavy_per_second: 10,
            daily_meeting_writes_per_user: 100,
            daily_limit_headers: true,
        }
    }
}

/// Which `x-zm-request-timestamp` a retried delivery carries. Zoom's behaviour is unconfirmed, so
/// receivers must cope with both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetryTimestamp {
    /// Each attempt is signed anew with the time it is sent.
    #[default]
    Fresh,
    /// Every attempt repeats the first attempt's timestamp and signature.
    Original,
}

/// How webhooks are delivered.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Where events are posted; `None` records them without sending (settable at run time).
    pub endpoint: Option<String>,
    /// How long the endpoint has to answer before the attempt counts as failed (Zoom: 3 s).
    pub timeout: Duration,
    /// When retries happen, measured from the first attempt, before time compression
    /// (Zoom: about 5, 25 and 85 minutes, then the event is dropped).
    pub retry_offsets: Vec<Duration>,
    /// Which timestamp a retry carries.
    pub retry_timestamp: RetryTimestamp,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            endpoint: None,
            timeout: Duration::from_secs(3),
            retry_offsets: vec![
                Duration::from_secs(5 * 60),
                Duration::from_secs(25 * 60),
                Duration::from_secs(85 * 60),
            ],
            retry_timestamp: RetryTimestamp::Fresh,
        }
    }
}

/// Everything the simulator needs to start. `Default` gives `butterboard sim`'s defaults except the
/// listen address, which defaults to `127.0.0.1:0` so parallel tests never clash, and the secrets,
/// which `butterboard` replaces with ones generated per data directory ([`ZoomSimConfig::with_secrets`]).
#[derive(Clone)]
pub struct ZoomSimConfig {
    /// The `account_id` the token endpoint accepts.
    pub account_id: String,
    /// The OAuth client id (Basic auth user).
    pub client_id: String,
    /// The OAuth client secret (Basic auth password).
    pub client_secret: String,
    /// The app's secret token: webhook signatures and url-validation answers are keyed with it.
    pub webhook_secret_token: String,
    /// How long an API access token lives (Zoom: 1 h).
    pub token_ttl: Duration,
    /// How long the `download_token` of a recording webhook lives (Zoom: about 24 h).
    pub download_token_ttl: Duration,
    /// How long `download_access_token` from `include_fields` lives.
    pub download_access_token_ttl: Duration,
    /// How long the signed file URL that `download_url` redirects to stays valid.
    pub signed_url_ttl: Duration,
    /// Per-category and daily limits.
    pub rate_limits: RateLimits,
    /// Webhook delivery.
    pub webhook: WebhookConfig,
    /// How many times faster than real time scripts play and retries happen (1.0 = real time).
    /// A script may set its own.
    pub time_compression: f64,
    /// Every Nth meeting uuid the simulator makes starts with `/` or contains `//` (alternately), the
    /// uuids Zoom requires to be double percent-encoded in paths; 0 never does. Other uuids never
    /// contain `/`.
    pub uuid_slash_every: u32,
    /// Where state (users, meetings, recordings, tokens, daily counts) is kept as `state.json`, so a
    /// restarted simulator still knows them; `None` keeps everything in memory.
    pub data_dir: Option<PathBuf>,
    /// Where to listen when no listener is handed in.
    pub listen_addr: SocketAddr,
    /// The base URL written into join, start, download and play URLs; defaults to the bound address.
    pub public_base_url: Option<String>,
    /// Host e-mails the account has from the start.
    pub users: Vec<String>,
    /// Whether any well-formed e-mail used as `userId` becomes a user of the account (otherwise
    /// unknown users get Zoom's 1001 error).
    pub auto_provision_users: bool,
    /// The time zone of users, used for a local `start_time` sent without `timezone`.
    pub default_timezone: String,
    /// Wall time.
    pub clock: Arc<dyn Clock>,
}

impl Default for ZoomSimConfig {
    fn default() -> Self {
        Self {
            account_id: DEFAULT_ACCOUNT_ID.into(),
            client_id: DEFAULT_CLIENT_ID.into(),
            client_secret: DEFAULT_CLIENT_SECRET.into(),
            webhook_secret_token: DEFAULT_WEBHOOK_SECRET_TOKEN.into(),
            token_ttl: Duration::from_secs(3600),
            download_token_ttl: Duration::from_secs(24 * 3600),
            download_access_token_ttl: Duration::from_secs(24 * 3600),
            signed_url_ttl: Duration::from_secs(600),
            rate_limits: RateLimits::default(),
            webhook: WebhookConfig::default(),
            time_compression: 1.0,
            uuid_slash_every: 3,
            data_dir: None,
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_base_url: None,
            users: Vec::new(),
            auto_provision_users: true,
            default_timezone: "UTC".into(),
            clock: Arc::new(SystemClock),
        }
    }
}

impl ZoomSimConfig {
    /// Checks values that would make the simulator misbehave.
    pub fn validate(&self) -> anyhow::Result<()> {
        if !(self.time_compression.is_finite() && self.time_compression > 0.0) {
            anyhow::bail!("time_compression must be a positive number");
        }
        if self.account_id.is_empty() || self.client_id.is_empty() {
            anyhow::bail!("account_id and client_id must not be empty");
        }
        if jiff::tz::TimeZone::get(&self.default_timezone).is_err() {
            anyhow::bail!("default_timezone is not a known time zone: {}", self.default_timezone);
        }
        Ok(())
    }

    /// `d` shortened by the time compression factor.
    pub(crate) fn compress(&self, d: Duration) -> Duration {
        compress(d, self.time_compression)
    }
}

/// `d` divided by `factor` (a positive, finite factor; anything else leaves `d` as is). Never
/// panics: a result too large for a `Duration` saturates.
pub(crate) fn compress(d: Duration, factor: f64) -> Duration {
    if !(factor.is_finite() && factor > 0.0) {
        return d;
    }
    Duration::try_from_secs_f64(d.as_secs_f64() / factor).unwrap_or(Duration::MAX)
}

/// `start + d`, or a far-away instant when that would overflow (a sleep that never ends in practice).
pub(crate) fn deadline(start: tokio::time::Instant, d: Duration) -> tokio::time::Instant {
    const FAR: Duration = Duration::from_secs(100 * 365 * 86_400);
    start.checked_add(d.min(FAR)).unwrap_or(start)
}

// Secrets never reach logs: Debug prints them redacted.
impl fmt::Debug for ZoomSimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZoomSimConfig")
            .field("account_id", &self.account_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("webhook_secret_token", &"[redacted]")
            .field("token_ttl", &self.token_ttl)
            .field("download_token_ttl", &self.download_token_ttl)
            .field("rate_limits", &self.rate_limits)
            .field("webhook", &self.webhook)
            .field("time_compression", &self.time_compression)
            .field("uuid_slash_every", &self.uuid_slash_every)
            .field("data_dir", &self.data_dir)
            .field("listen_addr", &self.listen_addr)
            .finish_non_exhaustive()
    }
}
