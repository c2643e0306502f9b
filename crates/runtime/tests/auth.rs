//! The authenticator on its own: keys from config, the embedded key file, expiry, roles.

use std::time::Duration;

use butterboard_runtime::auth::{AuthError, Authenticator, KEY_FILE_NAME, Role};
use butterboard_runtime::config::{Config, JwtAlgorithm};
use butterboard_runtime::secret::Secret;

/// A key pair generated for these tests only; it protects nothing.
const RSA_PRIVATE: &[u8] = include_bytes!("fixtures/jwt-rs256-test-only.pem");
const RSA_PUBLIC: &[u8] = include_bytes!("fixtures/jwt-rs256-test-only.pub.pem");

const ISSUER: &str = "butterboard";
const AUDIENCE: &str = "butterboard-meetings";

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// A token with chosen claims, for what `mint` refuses to produce (expired, foreign roles).
fn forge(secret: &[u8], claims: serde_json::Value) -> String {
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &jsonwebtoken::EncodingKey::from_secret(secret))
        .expect("encode")
}

#[test]
fn an_expired_token_is_refused_as_expired() {
    let auth = Authenticator::hs256(&[1; 32], ISSUER, AUDIENCE);
    let token = forge(
        &[1; 32],
        serde_json::json!({
            "sub": "anna@example.com", "roles": ["hr"], "iss": ISSUER, "aud": AUDIENCE,
            "iat": now() - 600, "exp": now() - 120,
        }),
    );
    assert!(matches!(auth.verify(&token), Err(AuthError::Expired)));
}

#[test]
fn a_token_for_another_audience_or_issuer_is_invalid() {
    let auth = Authenticator::hs256(&[1; 32], ISSUER, AUDIENCE);
    let other_audience = Authenticator::hs256(&[1; 32], ISSUER, "someone-else");
    let other_issuer = Authenticator::hs256(&[1; 32], "someone-else", AUDIENCE);
    for minter in [other_audience, other_issuer] {
        let token = minter.mint("anna@example.com", &[Role::Hr], Duration::from_secs(60)).expect("mint");
        assert!(matches!(auth.verify(&token), Err(AuthError::Invalid(_))));
    }
}

#[test]
fn unknown_roles_in_a_token_are_ignored() {
    let auth = Authenticator::hs256(&[1; 32], ISSUER, AUDIENCE);
    let token = forge(
        &[1; 32],
        serde_json::json!({
            "sub": "oleg@example.com", "roles": ["manager", "admin", "manager"], "iss": ISSUER, "aud": AUDIENCE,
            "iat": now(), "exp": now() + 60,
        }),
    );
    let caller = auth.verify(&token).expect("valid token");
    assert_eq!(caller.subject, "oleg@example.com");
    assert_eq!(caller.roles, [Role::Manager]);
}

#[test]
fn a_token_signed_with_hs256_is_refused_by_an_rs256_authenticator() {
    let rs256 = Authenticator::rs256(RSA_PUBLIC, None, ISSUER, AUDIENCE).expect("rsa public key");
    let hs256 = Authenticator::hs256(RSA_PUBLIC, ISSUER, AUDIENCE);
    let token = hs256.mint("mallory@example.com", &[Role::Hr], Duration::from_secs(60)).expect("mint");
    assert!(matches!(rs256.verify(&token), Err(AuthError::Invalid(_))));
}

#[test]
fn rs256_keys_come_from_the_configured_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let public = dir.path().join("jwt.pub.pem");
    let private = dir.path().join("jwt.pem");
    std::fs::write(&public, RSA_PUBLIC).expect("write public key");
    std::fs::write(&private, RSA_PRIVATE).expect("write private key");
    let mut config = Config::embedded_defaults();
    config.auth.algorithm = JwtAlgorithm::Rs256;
    config.auth.rs256_public_key_file = Some(public.clone());
    config.auth.rs256_private_key_file = Some(private);

    let auth = Authenticator::from_config(&config).expect("rs256 from files");
    let token = auth.mint("scenario", &[Role::Service], Duration::from_secs(60)).expect("mint with the private key");
    assert_eq!(auth.verify(&token).map(|c| c.roles).ok(), Some(vec![Role::Service]));

    config.auth.rs256_private_key_file = None;
    let verify_only = Authenticator::from_config(&config).expect("rs256 with the public key only");
    assert!(verify_only.verify(&token).is_ok());
    let refused = verify_only.mint("scenario", &[Role::Service], Duration::from_secs(60)).expect_err("no private key");
    assert!(refused.to_string().contains("AUTH_JWT_RS256_PRIVATE_KEY_FILE"), "{refused}");
}

#[test]
fn a_missing_rs256_key_file_names_the_variable() {
    let mut config = Config::embedded_defaults();
    config.auth.algorithm = JwtAlgorithm::Rs256;
    config.auth.rs256_public_key_file = Some("/nonexistent/jwt.pub.pem".into());
    let error = Authenticator::from_config(&config).expect_err("missing file");
    assert!(error.to_string().starts_with("AUTH_JWT_RS256_PUBLIC_KEY_FILE: "), "{error}");
}

#[test]
fn embedded_mode_generates_one_private_key_and_reuses_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config::embedded_defaults();
    config.data_dir = dir.path().join("data");

    let server = Authenticator::from_config(&config).expect("generates a key");
    let cli = Authenticator::from_config(&config).expect("reuses the key");
    let token = cli.mint("hr@example.com", &[Role::Hr], Duration::from_secs(60)).expect("mint");
    assert!(server.verify(&token).is_ok(), "the server accepts what the cli minted");

    let key_file = config.data_dir.join(KEY_FILE_NAME);
    let content = std::fs::read_to_string(&key_file).expect("key file");
    assert_eq!(content.trim().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The file's content works as AUTH_JWT_HS256_SECRET, so moving off embedded mode keeps tokens.
    let mut explicit = Config::embedded_defaults();
    explicit.auth.hs256_secret = Some(Secret::new(content.trim().to_string()));
    assert!(Authenticator::from_config(&explicit).expect("explicit secret").verify(&token).is_ok());
}

#[test]
fn a_damaged_key_file_is_refused_rather_than_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(KEY_FILE_NAME), "short\n").expect("write");
    let mut config = Config::embedded_defaults();
    config.data_dir = dir.path().to_path_buf();
    assert!(Authenticator::from_config(&config).is_err());
    assert_eq!(std::fs::read_to_string(dir.path().join(KEY_FILE_NAME)).ok().as_deref(), Some("short\n"));
}

#[test]
fn distributed_mode_without_a_secret_names_the_variable() {
    let mut config = Config::embedded_defaults();
    config.nats_url = Some("nats://nats:4222".to_string());
    let error = Authenticator::from_config(&config).expect_err("no secret");
    assert_eq!(error.to_string(), "AUTH_JWT_HS256_SECRET is required in distributed mode");
}

#[test]
fn debug_shows_no_key_material() {
    let auth = Authenticator::hs256(b"a-very-secret-key-of-32-bytes!!!", ISSUER, AUDIENCE);
    let debug = format!("{auth:?}");
    assert!(!debug.contains("a-very-secret"), "{debug}");
    assert!(debug.contains("HS256"), "{debug}");
}

fn claims(extra: serde_json::Value) -> serde_json::Value {
    let mut claims = serde_json::json!({
        "sub": "anna@example.com", "roles": ["hr"], "iss": ISSUER, "aud": AUDIENCE,
        "iat": now(), "exp": now() + 60,
    });
    for (key, value) in extra.as_object().expect("an object") {
        claims[key] = value.clone();
    }
    claims
}

#[test]
fn a_token_not_valid_yet_is_refused() {
    let auth = Authenticator::hs256(&[1; 32], ISSUER, AUDIENCE);
    let later = forge(&[1; 32], claims(serde_json::json!({ "nbf": now() + 600, "exp": now() + 1200 })));
    assert!(matches!(auth.verify(&later), Err(AuthError::Invalid(reason)) if reason == "not valid yet"));
    let now_valid = forge(&[1; 32], claims(serde_json::json!({ "nbf": now() - 1 })));
    assert!(auth.verify(&now_valid).is_ok());
}

#[test]
fn a_token_living_longer_than_the_configured_maximum_is_refused_and_never_minted() {
    let auth = Authenticator::hs256(&[1; 32], ISSUER, AUDIENCE).with_max_lifetime(Duration::from_secs(3600));
    let week = forge(&[1; 32], claims(serde_json::json!({ "exp": now() + 7 * 24 * 3600 })));
    assert!(matches!(auth.verify(&week), Err(AuthError::Invalid(reason)) if reason.contains("lifetime")));
    let without_iat = claims(serde_json::json!({}));
    let mut without_iat = without_iat.as_object().cloned().expect("an object");
    without_iat.remove("iat");
    let token = forge(&[1; 32], serde_json::Value::Object(without_iat));
    assert!(auth.verify(&token).is_err(), "a lifetime cannot be bounded without iat");
    let refused = auth.mint("anna@example.com", &[Role::Hr], Duration::from_secs(7200)).expect_err("too long");
    assert!(refused.to_string().contains("AUTH_JWT_MAX_LIFETIME_SECS"), "{refused}");
    let hour = auth.mint("anna@example.com", &[Role::Hr], Duration::from_secs(3600)).expect("within the limit");
    assert!(auth.verify(&hour).is_ok());
}

#[test]
fn the_default_maximum_lifetime_is_a_day() {
    let auth = Authenticator::from_config(&Config {
        data_dir: tempfile::tempdir().expect("tempdir").keep(),
        ..Config::embedded_defaults()
    })
    .expect("an embedded key");
    assert_eq!(auth.max_lifetime(), Duration::from_secs(24 * 3600));
    let day_and_more = forge(&[1; 32], claims(serde_json::json!({ "exp": now() + 25 * 3600 })));
    let strict = Authenticator::hs256(&[1; 32], ISSUER, AUDIENCE);
    assert!(strict.verify(&day_and_more).is_err());
}
