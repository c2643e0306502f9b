//! Configuration: embedded defaults → optional `--config` file → environment (ARCHITECTURE §8),
//! validated once into a typed [`Config`].
//!
//! Every setting has exactly one name, its environment variable (see [`vars`]). The TOML file uses
//! the same names in lowercase, flat, with string values:
//!
//! ```toml
//! nats_url = "nats://nats:4222"
//! scenario_database_url = "postgres://scenario@db/scenario"
//! butterboard_grpc_addr = "0.0.0.0:50051"
//! auth_jwt_algorithm = "RS256"
//! auth_jwt_rs256_public_key_file = "/etc/butterboard/jwt.pub.pem"
//! ```
//!
//! One name per setting keeps docs, deploy files, the file and error messages in step: an error
//! says `BUTTERBOARD_GRPC_ADDR` and the reader knows where to look in either layer. Unknown keys
//! in the file are an error, because a typo must not silently fall back to a default. An empty
//! value counts as unset, because deploy tooling often renders an absent value as `""`.
//!
//! Only the names in [`vars`] and the per-service database URLs are read; the other standard
//! `OTEL_*` variables are left to the OpenTelemetry SDK.
//!
//! **Mode** ([`Config::mode`]): embedded when neither `NATS_URL` nor any database URL is set,
//! distributed otherwise. A database URL without `NATS_URL` is rejected; `NATS_URL` alone is
//! accepted, and each service then asks [`Config::database_url`] for its own URL when it starts,
//! since which services run is decided by `--target`, not by configuration.

mod layers;
mod settings;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use crate::secret::Secret;
use crate::service_name::ServiceName;

pub use settings::{Setting, Settings};

/// The variable names of ARCHITECTURE §8 (the per-service database URLs come from
/// [`ServiceName::database_env`]).
pub mod vars {
    pub const NATS_URL: &str = "NATS_URL";
    pub const DATA_DIR: &str = "BUTTERBOARD_DATA_DIR";
    pub const BUS_NAMESPACE: &str = "BUTTERBOARD_BUS_NAMESPACE";
    pub const WEBHOOK_ADDR: &str = "BUTTERBOARD_WEBHOOK_ADDR";
    pub const GRPC_ADDR: &str = "BUTTERBOARD_GRPC_ADDR";
    pub const ADMIN_ADDR: &str = "BUTTERBOARD_ADMIN_ADDR";
    pub const ZOOM_ACCOUNT_ID: &str = "ZOOM_ACCOUNT_ID";
    pub const ZOOM_CLIENT_ID: &str = "ZOOM_CLIENT_ID";
    pub const ZOOM_CLIENT_SECRET: &str = "ZOOM_CLIENT_SECRET";
    pub const ZOOM_WEBHOOK_SECRET_TOKEN: &str = "ZOOM_WEBHOOK_SECRET_TOKEN";
    pub const ZOOM_API_BASE_URL: &str = "ZOOM_API_BASE_URL";
    pub const ZOOM_OAUTH_URL: &str = "ZOOM_OAUTH_URL";
    pub const ZOOM_DOWNLOAD_ORIGINS: &str = "ZOOM_DOWNLOAD_ORIGINS";
    pub const GOOGLE_APPLICATION_CREDENTIALS: &str = "GOOGLE_APPLICATION_CREDENTIALS";
    pub const DRIVE_ROOT_FOLDER_ID: &str = "DRIVE_ROOT_FOLDER_ID";
    pub const DRIVE_API_BASE_URL: &str = "DRIVE_API_BASE_URL";
    pub const AUTH_JWT_ISSUER: &str = "AUTH_JWT_ISSUER";
    pub const AUTH_JWT_AUDIENCE: &str = "AUTH_JWT_AUDIENCE";
    pub const AUTH_JWT_ALGORITHM: &str = "AUTH_JWT_ALGORITHM";
    pub const AUTH_JWT_HS256_SECRET: &str = "AUTH_JWT_HS256_SECRET";
    pub const AUTH_JWT_RS256_PUBLIC_KEY_FILE: &str = "AUTH_JWT_RS256_PUBLIC_KEY_FILE";
    pub const AUTH_JWT_RS256_PRIVATE_KEY_FILE: &str = "AUTH_JWT_RS256_PRIVATE_KEY_FILE";
    pub const OTEL_EXPORTER_OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
    pub const AUTH_JWT_MAX_LIFETIME_SECS: &str = "AUTH_JWT_MAX_LIFETIME_SECS";
    pub const GRPC_REFLECTION: &str = "BUTTERBOARD_GRPC_REFLECTION";
    pub const SQLITE_SYNCHRONOUS: &str = "BUTTERBOARD_SQLITE_SYNCHRONOUS";

    /// Every name above.
    pub const ALL: [&str; 26] = [
        NATS_URL,
        DATA_DIR,
        BUS_NAMESPACE,
        WEBHOOK_ADDR,
        GRPC_ADDR,
        ADMIN_ADDR,
        ZOOM_ACCOUNT_ID,
        ZOOM_CLIENT_ID,
        ZOOM_CLIENT_SECRET,
        ZOOM_WEBHOOK_SECRET_TOKEN,
        ZOOM_API_BASE_URL,
        ZOOM_OAUTH_URL,
        ZOOM_DOWNLOAD_ORIGINS,
        GOOGLE_APPLICATION_CREDENTIALS,
        DRIVE_ROOT_FOLDER_ID,
        DRIVE_API_BASE_URL,
        AUTH_JWT_ISSUER,
        AUTH_JWT_AUDIENCE,
        AUTH_JWT_ALGORITHM,
        AUTH_JWT_HS256_SECRET,
        AUTH_JWT_RS256_PUBLIC_KEY_FILE,
        AUTH_JWT_RS256_PRIVATE_KEY_FILE,
        OTEL_EXPORTER_OTLP_ENDPOINT,
        AUTH_JWT_MAX_LIFETIME_SECS,
        GRPC_REFLECTION,
        SQLITE_SYNCHRONOUS,
    ];
}

/// The embedded defaults, the first layer.
pub mod defaults {
    use super::*;

    pub const DATA_DIR: &str = "./data";
    pub const WEBHOOK_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 8080);
    pub const GRPC_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 50051);
    pub const ADMIN_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 9090);
    pub const ZOOM_API_BASE_URL: &str = "https://api.zoom.us/v2";
    pub const ZOOM_OAUTH_URL: &str = "https://zoom.us/oauth/token";
    /// Ends in `/`: `google-drive3` and our upload code append paths to it.
    pub const DRIVE_API_BASE_URL: &str = "https://www.googleapis.com/";
    pub const AUTH_JWT_ISSUER: &str = "butterboard";
    pub const AUTH_JWT_AUDIENCE: &str = "butterboard-meetings";
    pub const AUTH_JWT_ALGORITHM: JwtAlgorithm = JwtAlgorithm::Hs256;
    /// Tokens living longer than a working day are refused; `butterboard token` stays within it.
    pub const AUTH_JWT_MAX_LIFETIME: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
    pub const GRPC_REFLECTION: bool = true;
}

/// How the process runs (ARCHITECTURE §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// No `NATS_URL` and no database URL: embedded bus and SQLite stores in the data directory.
    Embedded,
    /// NATS JetStream and PostgreSQL.
    Distributed,
}

/// A configuration value that is missing or invalid; the message names the variable and never
/// repeats a secret value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `BUTTERBOARD_GRPC_ADDR: invalid socket address "x"`.
    #[error("{variable}: {reason}")]
    Invalid { variable: String, reason: String },
    /// `SCENARIO_DATABASE_URL is required to run scenario in distributed mode`; `reason` reads as
    /// the rest of that sentence.
    #[error("{variable} is required {reason}")]
    Missing { variable: String, reason: String },
    #[error("cannot read config file {path}: {reason}")]
    File { path: PathBuf, reason: String },
}

impl ConfigError {
    pub(crate) fn invalid(variable: &str, reason: impl Into<String>) -> Self {
        ConfigError::Invalid { variable: variable.to_string(), reason: reason.into() }
    }
    pub(crate) fn missing(variable: &str, reason: impl Into<String>) -> Self {
        ConfigError::Missing { variable: variable.to_string(), reason: reason.into() }
    }
}

/// The three listeners (ARCHITECTURE §8).
#[derive(Debug, Clone)]
pub struct Listen {
    pub webhook: SocketAddr,
    pub grpc: SocketAddr,
    pub admin: SocketAddr,
    /// The variables of the addresses set in the file or the environment; the others hold the
    /// defaults (all interfaces), which [`Listen::loopback_unless_configured`] may narrow.
    pub configured: Vec<&'static str>,
}

impl Listen {
    /// Moves every address left at its default onto 127.0.0.1, keeping its port: a process on the
    /// built-in simulators, whose secrets live in the data directory, serves this machine only
    /// unless told otherwise. Returns the configured addresses that still reach beyond loopback,
    /// by variable, so the caller can warn about them.
    pub fn loopback_unless_configured(&mut self) -> Vec<(&'static str, SocketAddr)> {
        let mut beyond = Vec::new();
        for (variable, addr) in [
            (vars::WEBHOOK_ADDR, &mut self.webhook),
            (vars::GRPC_ADDR, &mut self.grpc),
            (vars::ADMIN_ADDR, &mut self.admin),
        ] {
            if !self.configured.contains(&variable) {
                addr.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
            } else if !addr.ip().is_loopback() {
                beyond.push((variable, *addr));
            }
        }
        beyond
    }
}

/// Zoom's Server-to-Server OAuth app and webhook secret. Without credentials the built-in
/// simulator is used.
#[derive(Debug, Clone)]
pub struct ZoomConfig {
    pub account_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub webhook_secret_token: Option<Secret>,
    /// Without a trailing `/`, so paths are appended as `{base}/users/...`.
    pub api_base_url: String,
    pub oauth_url: String,
    /// Origins besides Zoom's own (`https://zoom.us`, `https://*.zoom.us`) that recording
    /// downloads may send their token to: the simulator's, in embedded mode and tests.
    pub download_origins: Vec<String>,
}

impl ZoomConfig {
    /// True when the OAuth credentials are set (validation makes it all three or none).
    pub fn has_credentials(&self) -> bool {
        self.account_id.is_some() && self.client_id.is_some() && self.client_secret.is_some()
    }
}

/// Google Drive: a service-account key file and the Shared Drive folder to archive into.
#[derive(Debug, Clone)]
pub struct DriveConfig {
    pub credentials_file: Option<PathBuf>,
    pub root_folder_id: Option<String>,
    /// Always ends in `/`.
    pub api_base_url: String,
}

impl DriveConfig {
    /// True when a service-account key is configured (validation then requires the root folder).
    pub fn has_credentials(&self) -> bool {
        self.credentials_file.is_some()
    }
}

/// The JWT signature algorithm of `AUTH_JWT_ALGORITHM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    Hs256,
    Rs256,
}

impl JwtAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            JwtAlgorithm::Hs256 => "HS256",
            JwtAlgorithm::Rs256 => "RS256",
        }
    }
}

impl fmt::Display for JwtAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Bearer-token verification (ARCHITECTURE §5).
#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub issuer: String,
    pub audience: String,
    pub algorithm: JwtAlgorithm,
    pub hs256_secret: Option<Secret>,
    pub rs256_public_key_file: Option<PathBuf>,
    pub rs256_private_key_file: Option<PathBuf>,
    /// Tokens whose `exp - iat` exceeds this are refused.
    pub max_lifetime: std::time::Duration,
}

/// The validated configuration of one process. `Debug` never shows a secret.
#[derive(Clone)]
pub struct Config {
    /// May be a comma-separated list of servers; may carry credentials (redacted in `Debug`).
    pub nats_url: Option<String>,
    pub databases: BTreeMap<ServiceName, Secret>,
    /// Where other services' gRPC APIs are (`<SERVICE>_GRPC_URL`); a service not named here is
    /// reached at this process's own gRPC address ([`Config::grpc_url`]).
    pub grpc_urls: BTreeMap<ServiceName, String>,
    pub data_dir: PathBuf,
    /// A prefix for streams and subjects, so parallel tests can share one NATS server.
    pub bus_namespace: Option<String>,
    pub listen: Listen,
    pub zoom: ZoomConfig,
    pub drive: DriveConfig,
    pub auth: AuthConfig,
    pub otel_endpoint: Option<String>,
    /// Whether the gRPC server offers reflection (`BUTTERBOARD_GRPC_REFLECTION`, on by default).
    pub grpc_reflection: bool,
    /// How embedded-mode SQLite files sync (`BUTTERBOARD_SQLITE_SYNCHRONOUS`): `full` by default,
    /// since webhooks answered 200 and publishes acknowledged must survive a power loss.
    pub sqlite_synchronous: crate::store::SqliteSync,
    /// The services' own settings that are set (see [`Setting`]).
    pub settings: Settings,
}

impl Config {
    /// Loads defaults, then `file` (if given; it must exist), then the process environment.
    /// `settings` are the services' own variables, accepted besides the shared ones.
    pub fn load(file: Option<&Path>, settings: &[Setting]) -> Result<Config, ConfigError> {
        Self::load_from(file, layers::process_env(settings)?, settings)
    }

    /// Like [`Config::load`] with the environment passed in, so tests never touch the process
    /// environment (mutating it is `unsafe` in edition 2024 and races with other tests).
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        settings: &[Setting],
    ) -> Result<Config, ConfigError> {
        let values = layers::merge(file, env, settings)?;
        let mut config = validate::build(&values)?;
        config.settings = values.of(settings);
        Ok(config)
    }

    /// The defaults alone: embedded mode, data in `./data`, HS256 without a configured secret.
    /// Tests typically point `data_dir` at a temporary directory.
    pub fn embedded_defaults() -> Config {
        Config {
            nats_url: None,
            databases: BTreeMap::new(),
            grpc_urls: BTreeMap::new(),
            data_dir: PathBuf::from(defaults::DATA_DIR),
            bus_namespace: None,
            listen: Listen {
                webhook: defaults::WEBHOOK_ADDR,
                grpc: defaults::GRPC_ADDR,
                admin: defaults::ADMIN_ADDR,
                configured: Vec::new(),
            },
            zoom: ZoomConfig {
                account_id: None,
                client_id: None,
                client_secret: None,
                webhook_secret_token: None,
                api_base_url: defaults::ZOOM_API_BASE_URL.to_string(),
                oauth_url: defaults::ZOOM_OAUTH_URL.to_string(),
                download_origins: Vec::new(),
            },
            drive: DriveConfig {
                credentials_file: None,
                root_folder_id: None,
                api_base_url: defaults::DRIVE_API_BASE_URL.to_string(),
            },
            auth: AuthConfig {
                issuer: defaults::AUTH_JWT_ISSUER.to_string(),
                audience: defaults::AUTH_JWT_AUDIENCE.to_string(),
                algorithm: defaults::AUTH_JWT_ALGORITHM,
                hs256_secret: None,
                rs256_public_key_file: None,
                rs256_private_key_file: None,
                max_lifetime: defaults::AUTH_JWT_MAX_LIFETIME,
            },
            otel_endpoint: None,
            grpc_reflection: defaults::GRPC_REFLECTION,
            sqlite_synchronous: crate::store::SqliteSync::default(),
            settings: Settings::default(),
        }
    }

    /// Embedded iff neither `NATS_URL` nor any database URL is set (ARCHITECTURE §3).
    pub fn mode(&self) -> Mode {
        if self.nats_url.is_none() && self.databases.is_empty() { Mode::Embedded } else { Mode::Distributed }
    }

    /// Where this process's own gRPC server answers, as a URL a client of the same host can dial:
    /// `http://127.0.0.1:50051` for the default `0.0.0.0:50051`. The default of every
    /// `<SERVICE>_GRPC_URL`, since one process serves all its services on one port.
    pub fn local_grpc_url(&self) -> String {
        let mut addr = self.listen.grpc;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                SocketAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            });
        }
        format!("http://{addr}")
    }

    /// Where `service`'s gRPC API answers: `<SERVICE>_GRPC_URL` when set, else this process's own
    /// gRPC address (one process serves all its services on one port).
    pub fn grpc_url(&self, service: ServiceName) -> String {
        self.grpc_urls.get(&service).cloned().unwrap_or_else(|| self.local_grpc_url())
    }

    /// The PostgreSQL URL of `service`. Only distributed mode has database URLs; in embedded mode
    /// each service keeps SQLite in the data directory and this is an error too.
    pub fn database_url(&self, service: ServiceName) -> Result<&Secret, ConfigError> {
        match (self.mode(), self.databases.get(&service)) {
            (Mode::Distributed, Some(url)) => Ok(url),
            (Mode::Distributed, None) => {
                Err(ConfigError::missing(service.database_env(), format!("to run {service} in distributed mode")))
            }
            (Mode::Embedded, _) => Err(ConfigError::invalid(
                service.database_env(),
                "not used in embedded mode, where each service keeps SQLite in BUTTERBOARD_DATA_DIR",
            )),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("mode", &self.mode())
            .field("nats_url", &self.nats_url.as_deref().map(validate::redact_userinfo))
            .field("databases", &self.databases)
            .field("grpc_urls", &self.grpc_urls)
            .field("data_dir", &self.data_dir)
            .field("bus_namespace", &self.bus_namespace)
            .field("listen", &self.listen)
            .field("zoom", &self.zoom)
            .field("drive", &self.drive)
            .field("auth", &self.auth)
            .field("otel_endpoint", &self.otel_endpoint.as_deref().map(validate::redact_userinfo))
            .field("grpc_reflection", &self.grpc_reflection)
            .field("sqlite_synchronous", &self.sqlite_synchronous)
            .field("settings", &self.settings)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)]) -> Config {
        let env = env.iter().map(|(name, value)| (name.to_string(), value.to_string()));
        Config::load_from(None, env, &[]).expect("valid")
    }

    #[test]
    fn listeners_left_at_their_defaults_move_to_loopback_and_configured_ones_stay() {
        let mut listen = load(&[(vars::GRPC_ADDR, "0.0.0.0:7000"), (vars::ADMIN_ADDR, "127.0.0.1:7001")]).listen;
        assert_eq!(listen.webhook, defaults::WEBHOOK_ADDR, "the default reaches every interface");
        let beyond = listen.loopback_unless_configured();
        assert_eq!(listen.webhook.to_string(), "127.0.0.1:8080");
        assert_eq!(listen.grpc.to_string(), "0.0.0.0:7000", "a configured address wins");
        assert_eq!(listen.admin.to_string(), "127.0.0.1:7001");
        assert_eq!(beyond, [(vars::GRPC_ADDR, "0.0.0.0:7000".parse().expect("address"))]);
        // An address configured to the default's very value is still configured.
        let mut listen = load(&[(vars::WEBHOOK_ADDR, "0.0.0.0:8080")]).listen;
        assert_eq!(listen.loopback_unless_configured().len(), 1);
        assert_eq!(listen.webhook.to_string(), "0.0.0.0:8080");
    }
}
