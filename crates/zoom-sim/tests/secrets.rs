//! The simulator's secrets belong to its data directory: random, private, and the same after a
//! restart, so nobody can forge its webhooks with a published constant.

mod common;

use zoom_sim::config::{DEFAULT_CLIENT_SECRET, DEFAULT_WEBHOOK_SECRET_TOKEN};
use zoom_sim::{SimSecrets, ZoomSimConfig};

#[test]
fn two_data_directories_get_different_secrets_and_one_keeps_its_own_across_restarts() {
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = SimSecrets::load_or_create(first.path()).unwrap();
    let b = SimSecrets::load_or_create(second.path()).unwrap();
    assert_ne!(a.webhook_secret_token, b.webhook_secret_token);
    assert_ne!(a.client_secret, b.client_secret);
    assert_ne!(a.webhook_secret_token, a.client_secret, "the two secrets are unrelated");
    for secrets in [&a, &b] {
        assert_ne!(secrets.webhook_secret_token, DEFAULT_WEBHOOK_SECRET_TOKEN);
        assert_ne!(secrets.client_secret, DEFAULT_CLIENT_SECRET);
        assert!(secrets.webhook_secret_token.len() >= 64, "32 random bytes, hex");
    }
    assert_eq!(SimSecrets::load_or_create(first.path()).unwrap(), a, "a restart keeps the secrets");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(SimSecrets::path(first.path())).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "readable by its owner only");
    }
    let leftovers: Vec<_> = std::fs::read_dir(first.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, ["secrets.json"], "no temporary file is left behind");
}

#[test]
fn a_damaged_secrets_file_is_refused_rather_than_replaced() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(SimSecrets::path(dir.path()), r#"{"client_secret":"x","webhook_secret_token":"y"}"#).unwrap();
    let error = SimSecrets::load_or_create(dir.path()).unwrap_err().to_string();
    assert!(error.contains("secrets.json") && error.contains("delete it"), "{error}");
}

#[tokio::test]
async fn a_simulator_with_generated_secrets_refuses_the_published_client_secret() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = SimSecrets::load_or_create(dir.path()).unwrap();
    let sim = common::start(ZoomSimConfig::default().with_secrets(secrets.clone())).await;
    let http = common::client();
    let token = |secret: String| {
        http.post(sim.oauth_url())
            .query(&[("grant_type", "account_credentials"), ("account_id", "sim-account")])
            .basic_auth("sim-client", Some(secret))
            .send()
    };
    assert_eq!(token(DEFAULT_CLIENT_SECRET.to_string()).await.unwrap().status(), 401);
    assert_eq!(token(secrets.client_secret).await.unwrap().status(), 200);
}
