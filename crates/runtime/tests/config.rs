//! Configuration layering, validation and redaction, with the environment passed in.

use std::path::{Path, PathBuf};

use butterboard_runtime::config::{Config, ConfigError, JwtAlgorithm, Mode, Setting};
use butterboard_runtime::service::ServiceName;

const SECRET_32: &str = "0123456789abcdef0123456789abcdef";

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::load_from(None, env(pairs), &[])
}

fn error(pairs: &[(&str, &str)]) -> String {
    match load(pairs) {
        Ok(config) => panic!("expected an error, got {config:?}"),
        Err(error) => error.to_string(),
    }
}

fn write_file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("butterboard.toml");
    std::fs::write(&path, text).expect("write config file");
    path
}

#[test]
fn without_file_or_environment_the_defaults_run_embedded() {
    let config = load(&[]).expect("defaults are valid");
    assert_eq!(config.mode(), Mode::Embedded);
    assert_eq!(config.data_dir, PathBuf::from("./data"));
    assert_eq!(config.listen.webhook.to_string(), "0.0.0.0:8080");
    assert_eq!(config.listen.grpc.to_string(), "0.0.0.0:50051");
    assert_eq!(config.listen.admin.to_string(), "0.0.0.0:9090");
    assert_eq!(config.zoom.api_base_url, "https://api.zoom.us/v2");
    assert_eq!(config.zoom.oauth_url, "https://zoom.us/oauth/token");
    assert_eq!(config.drive.api_base_url, "https://www.googleapis.com/");
    assert_eq!(config.auth.issuer, "butterboard");
    assert_eq!(config.auth.audience, "butterboard-meetings");
    assert_eq!(config.auth.algorithm, JwtAlgorithm::Hs256);
    assert!(config.otel_endpoint.is_none() && config.bus_namespace.is_none());
}

#[test]
fn the_embedded_defaults_match_an_empty_load() {
    let loaded = load(&[]).expect("defaults are valid");
    assert_eq!(format!("{:?}", Config::embedded_defaults()), format!("{loaded:?}"));
}

#[test]
fn the_environment_overrides_the_file_which_overrides_the_defaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write_file(
        dir.path(),
        concat!(
            "butterboard_grpc_addr = \"127.0.0.1:6000\"\n",
            "butterboard_admin_addr = \"127.0.0.1:6001\"\n",
            "auth_jwt_issuer = \"from-file\"\n",
        ),
    );
    let config =
        Config::load_from(Some(&file), env(&[("BUTTERBOARD_GRPC_ADDR", "127.0.0.1:7000")]), &[]).expect("valid");
    assert_eq!(config.listen.grpc.to_string(), "127.0.0.1:7000");
    assert_eq!(config.listen.admin.to_string(), "127.0.0.1:6001");
    assert_eq!(config.listen.webhook.to_string(), "0.0.0.0:8080");
    assert_eq!(config.auth.issuer, "from-file");
}

#[test]
fn an_empty_environment_value_counts_as_unset() {
    let config = load(&[("NATS_URL", ""), ("BUTTERBOARD_GRPC_ADDR", "")]).expect("valid");
    assert_eq!(config.mode(), Mode::Embedded);
    assert_eq!(config.listen.grpc.to_string(), "0.0.0.0:50051");
}

#[test]
fn a_bad_socket_address_names_the_variable() {
    assert_eq!(error(&[("BUTTERBOARD_GRPC_ADDR", "x")]), "BUTTERBOARD_GRPC_ADDR: invalid socket address \"x\"");
}

#[test]
fn a_nats_url_must_use_the_nats_or_tls_scheme() {
    assert!(error(&[("NATS_URL", "http://nats:4222")]).starts_with("NATS_URL: "));
    let config = load(&[("NATS_URL", "nats://a:4222, tls://b:4222")]).expect("a list of servers is valid");
    assert_eq!(config.mode(), Mode::Distributed);
}

#[test]
fn a_bad_database_url_is_rejected_without_repeating_it() {
    let message = error(&[("NATS_URL", "nats://nats:4222"), ("SCENARIO_DATABASE_URL", "mysql://u:hunter2@db/x")]);
    assert_eq!(message, "SCENARIO_DATABASE_URL: must be a postgres:// or postgresql:// URL");
}

#[test]
fn a_database_url_without_nats_is_rejected() {
    let message = error(&[("FEEDBACK_DATABASE_URL", "postgres://db/feedback")]);
    assert_eq!(message, "NATS_URL is required in distributed mode (FEEDBACK_DATABASE_URL is set)");
}

#[test]
fn distributed_mode_asks_each_service_for_its_database_url() {
    let config = load(&[("NATS_URL", "nats://nats:4222"), ("FEEDBACK_DATABASE_URL", "postgresql://u:p@db/feedback")])
        .expect("valid");
    assert_eq!(config.mode(), Mode::Distributed);
    assert_eq!(
        config.database_url(ServiceName::Feedback).map(|url| url.expose().clone()).ok().as_deref(),
        Some("postgresql://u:p@db/feedback")
    );
    let missing = config.database_url(ServiceName::Scenario).map(|_| ()).expect_err("no scenario database");
    assert_eq!(missing.to_string(), "SCENARIO_DATABASE_URL is required to run scenario in distributed mode");
}

#[test]
fn an_unknown_algorithm_is_rejected() {
    assert_eq!(
        error(&[("AUTH_JWT_ALGORITHM", "ES256")]),
        "AUTH_JWT_ALGORITHM: unknown algorithm \"ES256\", expected HS256 or RS256"
    );
}

#[test]
fn rs256_needs_a_public_key_file() {
    assert_eq!(
        error(&[("AUTH_JWT_ALGORITHM", "RS256")]),
        "AUTH_JWT_RS256_PUBLIC_KEY_FILE is required when AUTH_JWT_ALGORITHM is RS256"
    );
    let config =
        load(&[("AUTH_JWT_ALGORITHM", "rs256"), ("AUTH_JWT_RS256_PUBLIC_KEY_FILE", "/keys/jwt.pub")]).expect("valid");
    assert_eq!(config.auth.algorithm, JwtAlgorithm::Rs256);
}

#[test]
fn a_short_hs256_secret_is_rejected() {
    assert_eq!(error(&[("AUTH_JWT_HS256_SECRET", "short")]), "AUTH_JWT_HS256_SECRET: must be at least 32 bytes");
}

#[test]
fn half_configured_zoom_credentials_name_the_missing_one() {
    assert_eq!(
        error(&[("ZOOM_ACCOUNT_ID", "acc"), ("ZOOM_CLIENT_ID", "cid")]),
        "ZOOM_CLIENT_SECRET is required when ZOOM_ACCOUNT_ID is set"
    );
}

#[test]
fn drive_credentials_need_a_root_folder() {
    assert_eq!(
        error(&[("GOOGLE_APPLICATION_CREDENTIALS", "/keys/sa.json")]),
        "DRIVE_ROOT_FOLDER_ID is required when GOOGLE_APPLICATION_CREDENTIALS is set"
    );
}

#[test]
fn base_urls_are_normalised_for_appending_paths() {
    let config =
        load(&[("ZOOM_API_BASE_URL", "http://127.0.0.1:9000/v2/"), ("DRIVE_API_BASE_URL", "http://127.0.0.1:9001")])
            .expect("valid");
    assert_eq!(config.zoom.api_base_url, "http://127.0.0.1:9000/v2");
    assert_eq!(config.drive.api_base_url, "http://127.0.0.1:9001/");
    assert!(error(&[("ZOOM_OAUTH_URL", "not a url")]).starts_with("ZOOM_OAUTH_URL: invalid http(s) URL"));
}

#[test]
fn a_bus_namespace_may_not_contain_subject_wildcards() {
    assert!(error(&[("BUTTERBOARD_BUS_NAMESPACE", "test.>")]).starts_with("BUTTERBOARD_BUS_NAMESPACE: "));
    let config = load(&[("BUTTERBOARD_BUS_NAMESPACE", "t-01_a")]).expect("valid");
    assert_eq!(config.bus_namespace.as_deref(), Some("t-01_a"));
}

#[test]
fn an_unknown_key_in_the_file_is_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write_file(dir.path(), "butterboard_grcp_addr = \"127.0.0.1:1\"\n");
    let message = Config::load_from(Some(&file), Vec::new(), &[]).map(|_| ()).expect_err("typo").to_string();
    assert!(message.contains("unknown key \"butterboard_grcp_addr\""), "{message}");
}

const SERVICE_SETTINGS: &[Setting] = &[Setting::new("FEEDBACK_REMINDER_AFTER_DAYS", "business days before a reminder")];

#[test]
fn a_service_setting_comes_through_the_file_and_the_environment_and_the_environment_wins() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write_file(dir.path(), "feedback_reminder_after_days = \"3\"\n");
    let from_file = Config::load_from(Some(&file), Vec::new(), SERVICE_SETTINGS).expect("a declared key");
    assert_eq!(from_file.settings.positive("FEEDBACK_REMINDER_AFTER_DAYS").ok().flatten(), Some(3));
    let both =
        Config::load_from(Some(&file), env(&[("FEEDBACK_REMINDER_AFTER_DAYS", "5")]), SERVICE_SETTINGS).expect("valid");
    assert_eq!(both.settings.get("FEEDBACK_REMINDER_AFTER_DAYS"), Some("5"));
    // Undeclared, the same key is a typo like any other.
    let refused = Config::load_from(Some(&file), Vec::new(), &[]).map(|_| ()).expect_err("undeclared");
    assert!(refused.to_string().contains("unknown key \"feedback_reminder_after_days\""), "{refused}");
    // And an undeclared variable in the environment is none of the configuration's business.
    let ignored = Config::load_from(None, env(&[("FEEDBACK_REMINDER_AFTER_DAYS", "5")]), &[]).expect("valid");
    assert_eq!(ignored.settings.get("FEEDBACK_REMINDER_AFTER_DAYS"), None);
}

#[test]
fn reflection_and_the_token_lifetime_limit_are_configurable() {
    let defaults = load(&[]).expect("valid");
    assert!(defaults.grpc_reflection);
    assert_eq!(defaults.auth.max_lifetime, std::time::Duration::from_secs(24 * 3600));
    let set = load(&[("BUTTERBOARD_GRPC_REFLECTION", "false"), ("AUTH_JWT_MAX_LIFETIME_SECS", "600")]).expect("valid");
    assert!(!set.grpc_reflection);
    assert_eq!(set.auth.max_lifetime, std::time::Duration::from_secs(600));
    assert!(error(&[("BUTTERBOARD_GRPC_REFLECTION", "maybe")]).starts_with("BUTTERBOARD_GRPC_REFLECTION: "));
    assert!(error(&[("AUTH_JWT_MAX_LIFETIME_SECS", "0")]).starts_with("AUTH_JWT_MAX_LIFETIME_SECS: "));
}

#[test]
fn a_missing_config_file_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope.toml");
    let error = Config::load_from(Some(&missing), Vec::new(), &[]).map(|_| ()).expect_err("missing file");
    assert!(matches!(error, ConfigError::File { ref path, .. } if *path == missing), "{error}");
}

#[test]
fn secrets_never_appear_in_debug() {
    let config = load(&[
        ("NATS_URL", "nats://natsuser:natspass@nats:4222"),
        ("SCENARIO_DATABASE_URL", "postgres://u:dbpass@db/scenario"),
        ("ZOOM_ACCOUNT_ID", "acc"),
        ("ZOOM_CLIENT_ID", "cid"),
        ("ZOOM_CLIENT_SECRET", "zoomclientsecret"),
        ("ZOOM_WEBHOOK_SECRET_TOKEN", "zoomwebhooksecret"),
        ("AUTH_JWT_HS256_SECRET", SECRET_32),
    ])
    .expect("valid");
    let debug = format!("{config:?}");
    for secret in ["natspass", "dbpass", "zoomclientsecret", "zoomwebhooksecret", SECRET_32] {
        assert!(!debug.contains(secret), "{secret} leaked into {debug}");
    }
    assert!(debug.contains("[redacted]"));
}
