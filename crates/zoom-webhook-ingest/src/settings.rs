//! How the ingest behaves: limits, the timestamp window, retention, group-commit sizing, and the
//! secret tokens it verifies with.
//!
//! The runtime's configuration names the secret (`ZOOM_WEBHOOK_SECRET_TOKEN`, which may hold
//! several tokens separated by commas while one is rotated); the tunables below have defaults
//! that suit Zoom and can be overridden through the configuration layers (file or environment)
//! by the variables of [`SETTINGS`].

use std::time::Duration;

use anyhow::bail;
use butterboard_runtime::config::{Config, ConfigError, Setting, vars as config_vars};
use zoom::webhook::TimestampWindow;

/// Variables of the tunables (read by [`IngestSettings::from_config`]).
pub mod vars {
    pub const MAX_BODY_BYTES: &str = "ZOOM_WEBHOOK_MAX_BODY_BYTES";
    pub const TIMESTAMP_PAST_SECS: &str = "ZOOM_WEBHOOK_TIMESTAMP_PAST_SECS";
    pub const TIMESTAMP_FUTURE_SECS: &str = "ZOOM_WEBHOOK_TIMESTAMP_FUTURE_SECS";
    pub const RETENTION_DAYS: &str = "ZOOM_WEBHOOK_RETENTION_DAYS";
}

/// The variables this service reads besides the shared ones.
pub const SETTINGS: &[Setting] = &[
    Setting::new(
        vars::MAX_BODY_BYTES,
        "largest webhook body accepted, in bytes (default 1048576; capped below the bus's message size)",
    ),
    Setting::new(vars::TIMESTAMP_PAST_SECS, "how old a signature timestamp may be, in seconds (default 300)"),
    Setting::new(vars::TIMESTAMP_FUTURE_SECS, "how far ahead a signature timestamp may be, in seconds (default 60)"),
    Setting::new(vars::RETENTION_DAYS, "days stored deliveries are kept (default 30)"),
];

/// Room left in a bus message for what a `zoom.*` event carries besides the body: the CloudEvents
/// and trace headers (about half a KiB), those added when it is dead-lettered, and NATS's own
/// framing, with a wide margin.
pub const BUS_HEADER_ALLOWANCE: usize = butterboard_runtime::bus::HEADER_RESERVE;

/// The largest body accepted: the configured limit, but never more than the bus takes in one
/// message (its `max_payload` less [`BUS_HEADER_ALLOWANCE`]). A body answered 200 that the bus then
/// refuses would stay in the outbox for good, blocking every event behind it; answered 413, Zoom
/// sees the problem at once.
pub fn body_limit(configured: usize, bus_max_payload: usize) -> usize {
    configured.min(bus_max_payload.saturating_sub(BUS_HEADER_ALLOWANCE))
}

/// The ingest's behaviour.
#[derive(Clone)]
pub struct IngestSettings {
    /// Larger bodies get 413 (Zoom's are a few KiB; 1 MiB leaves room). The bus's message size
    /// caps it further ([`body_limit`]).
    pub max_body_bytes: usize,
    /// How long a request may take to send its body once its headers passed; then 408. Zoom
    /// sends small bodies at once.
    pub body_read_timeout: Duration,
    /// How old or new a signature's timestamp may be.
    pub window: TimestampWindow,
    /// Deliveries older than this are purged.
    pub retention: Duration,
    /// How often the purge runs.
    pub purge_interval: Duration,
    /// Verified deliveries waiting for their commit at once; more get 503 at once (Zoom retries
    /// later). Requests still sending their body do not count.
    pub max_in_flight: usize,
    /// Deliveries waiting for the writers; more get 503 at once.
    pub max_queued: usize,
    /// How long a request waits for its commit before it gets 503, well inside Zoom's 3 s.
    pub reply_deadline: Duration,
    /// Deliveries per group commit at most.
    pub max_batch: usize,
    /// Concurrent group-commit writers; `None`: 4 on PostgreSQL, 1 on SQLite (one writer anyway).
    pub writers: Option<usize>,
    /// How often outbox lag is sampled for metrics.
    pub metrics_interval: Duration,
    /// The secret tokens; `None` takes them from the runtime configuration.
    pub secrets: Option<Vec<String>>,
}

impl Default for IngestSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            body_read_timeout: Duration::from_secs(5),
            window: TimestampWindow::default(),
            retention: Duration::from_secs(30 * 24 * 3600),
            purge_interval: Duration::from_secs(3600),
            max_in_flight: 8192,
            max_queued: 8192,
            reply_deadline: Duration::from_secs(2),
            max_batch: 1000,
            writers: None,
            metrics_interval: Duration::from_secs(5),
            secrets: None,
        }
    }
}

impl IngestSettings {
    /// The defaults with the overrides of [`SETTINGS`] from the configuration.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let values = &config.settings;
        let mut settings = Self::default();
        if let Some(n) = values.positive(vars::MAX_BODY_BYTES)? {
            settings.max_body_bytes = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(past) = values.seconds(vars::TIMESTAMP_PAST_SECS)? {
            settings.window.past = past;
        }
        if let Some(future) = values.seconds(vars::TIMESTAMP_FUTURE_SECS)? {
            settings.window.future = future;
        }
        if let Some(days) = values.positive(vars::RETENTION_DAYS)? {
            settings.retention = Duration::from_secs(days.saturating_mul(24 * 3600));
        }
        Ok(settings)
    }

    /// The secret tokens to verify with: the configured ones (comma-separated for rotation), or
    /// an error naming the variable. There is no built-in secret: the binary hands its Zoom
    /// simulator's secret, generated per data directory, to the ingest through the configuration.
    pub fn resolve_secrets(&self, config: &Config) -> anyhow::Result<Vec<String>> {
        if let Some(secrets) = &self.secrets {
            return Ok(secrets.clone());
        }
        let variable = config_vars::ZOOM_WEBHOOK_SECRET_TOKEN;
        let Some(configured) = &config.zoom.webhook_secret_token else {
            bail!(
                "{variable} is required to run zoom-webhook-ingest (the secret token of the Zoom app's event subscription)"
            )
        };
        let secrets: Vec<String> =
            configured.expose().split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
        if secrets.is_empty() {
            bail!("{variable} holds no secret token");
        }
        Ok(secrets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env = env.iter().map(|(name, value)| (name.to_string(), value.to_string()));
        Config::load_from(None, env, SETTINGS)
    }

    #[test]
    fn tunables_are_read_through_the_configuration_and_bad_values_name_the_variable() {
        let config = load(&[(vars::MAX_BODY_BYTES, "2048"), (vars::RETENTION_DAYS, "7")]).expect("valid");
        let settings = IngestSettings::from_config(&config).expect("valid");
        assert_eq!(settings.max_body_bytes, 2048);
        assert_eq!(settings.retention, Duration::from_secs(7 * 24 * 3600));
        let bad = load(&[(vars::TIMESTAMP_PAST_SECS, "-5")]).expect("loads");
        let error = IngestSettings::from_config(&bad).map(|_| ()).expect_err("refused").to_string();
        assert!(error.contains(vars::TIMESTAMP_PAST_SECS), "{error}");
    }

    #[test]
    fn the_body_limit_stays_below_what_the_bus_takes_in_one_message() {
        let nats_default = 1024 * 1024;
        assert_eq!(body_limit(1024 * 1024, nats_default), nats_default - BUS_HEADER_ALLOWANCE);
        assert_eq!(body_limit(4096, nats_default), 4096, "a smaller configured limit wins");
        assert_eq!(body_limit(64 << 20, 8 << 20), (8 << 20) - BUS_HEADER_ALLOWANCE, "a larger bus allows more");
        assert_eq!(body_limit(4096, 100), 0, "a bus smaller than the headers takes no body");
    }

    #[test]
    fn without_a_configured_secret_the_ingest_refuses_to_start_in_either_mode() {
        let embedded = Config::embedded_defaults();
        let mut distributed = Config::embedded_defaults();
        distributed.nats_url = Some("nats://127.0.0.1:4222".into());
        for config in [&embedded, &distributed] {
            let error = IngestSettings::default().resolve_secrets(config).expect_err("refused");
            assert!(error.to_string().contains("ZOOM_WEBHOOK_SECRET_TOKEN"), "{error}");
        }
        distributed.zoom.webhook_secret_token = Some(" new , old ".to_string().into());
        assert_eq!(
            IngestSettings::default().resolve_secrets(&distributed).ok(),
            Some(vec!["new".to_string(), "old".to_string()])
        );
        distributed.zoom.webhook_secret_token = Some(" , ".to_string().into());
        let error = IngestSettings::default().resolve_secrets(&distributed).expect_err("refused");
        assert!(error.to_string().contains("ZOOM_WEBHOOK_SECRET_TOKEN holds no secret token"), "{error}");
    }
}
