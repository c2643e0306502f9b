//! Service-account keys and Google's OAuth token endpoint (`POST /token`, the JWT-bearer grant).
//!
//! The simulator writes real key files (a fresh RSA 2048 key, PKCS#8 PEM) whose `token_uri` points
//! back at it, so `yup-oauth2` and friends use them unchanged. An assertion must be RS256-signed
//! by a key the simulator issued, with `iss` = `client_email`, `aud` = `token_uri`, a `scope`, and
//! `iat`/`exp` at most an hour apart; `sub` asks for domain-wide delegation.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::{self, Caller};
use crate::state::{AppState, SharedState};
use crate::storage::KeyRecord;

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Clock skew Google tolerates on `iat`.
const SKEW_SECS: i64 = 300;

/// A Google service-account key file, field for field.
#[derive(Clone, Serialize, Deserialize)]
pub struct ServiceAccountKey {
    #[serde(rename = "type")]
    pub key_type: String,
    pub project_id: String,
    pub private_key_id: String,
    pub private_key: String,
    pub client_email: String,
    pub client_id: String,
    pub auth_uri: String,
    pub token_uri: String,
    pub auth_provider_x509_cert_url: String,
    pub client_x509_cert_url: String,
    pub universe_domain: String,
}

impl std::fmt::Debug for ServiceAccountKey {
    /// The private key never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("client_email", &self.client_email)
            .field("private_key_id", &self.private_key_id)
            .field("token_uri", &self.token_uri)
            .field("private_key", &"[redacted]")
            .finish()
    }
}

/// Creates a new key for a configured service account and remembers its public half.
pub(crate) async fn create_key(state: &AppState, email: &str) -> anyhow::Result<ServiceAccountKey> {
    let account = state
        .config
        .service_account(email)
        .ok_or_else(|| anyhow::anyhow!("{email} is not a configured service account"))?;
    let email = account.email.clone();
    // RSA key generation takes a moment: keep it off the async workers.
    let (private_pem, public_pem) = tokio::task::spawn_blocking(|| -> anyhow::Result<(String, String)> {
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)?;
        let private_pem = key.to_pkcs8_pem(LineEnding::LF)?.to_string();
        let public_pem = rsa::RsaPublicKey::from(&key).to_public_key_pem(LineEnding::LF)?;
        Ok((private_pem, public_pem))
    })
    .await??;
    let base = &state.base_url;
    let key = ServiceAccountKey {
        key_type: "service_account".to_owned(),
        project_id: state.config.project_id.clone(),
        private_key_id: crate::model::random_hex(20),
        private_key: private_pem,
        client_email: email.clone(),
        client_id: format!("1{}", crate::model::permission_id_for(&email)),
        auth_uri: format!("{base}o/oauth2/auth"),
        token_uri: state.token_uri(),
        auth_provider_x509_cert_url: format!("{base}oauth2/v1/certs"),
        client_x509_cert_url: format!("{base}robot/v1/metadata/x509/{}", email.replace('@', "%40")),
        universe_domain: "googleapis.com".to_owned(),
    };
    let mut store = state.store.lock().await;
    store.index.keys.push(KeyRecord {
        private_key_id: key.private_key_id.clone(),
        client_email: email,
        public_key_pem: public_pem,
        token_uri: key.token_uri.clone(),
        created_ms: state.clock.now_ms(),
    });
    store.persist().await?;
    Ok(key)
}

#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    #[serde(default)]
    scope: Option<String>,
    exp: i64,
    iat: i64,
    #[serde(default)]
    sub: Option<String>,
}

/// An OAuth error as Google's token endpoint writes it.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    tracing::debug!(error, description, "token request refused");
    (status, Json(json!({ "error": error, "error_description": description }))).into_response()
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// `POST /token`.
pub(crate) async fn token_endpoint(State(state): State<SharedState>, body: Bytes) -> Response {
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    match form.get("grant_type").map(String::as_str) {
        Some(JWT_BEARER) => {}
        Some(other) => {
            return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", &format!("Invalid grant_type: {other}"));
        }
        None => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Missing required parameter: grant_type"),
    }
    let Some(assertion) = form.get("assertion") else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Missing required parameter: assertion");
    };
    let claims = match verify_assertion(&state, assertion).await {
        Ok(claims) => claims,
        Err(response) => return *response,
    };
    issue(&state, claims)
}

/// Checks the assertion's signature against the keys issued to its `iss`, then its claims.
async fn verify_assertion(state: &AppState, assertion: &str) -> Result<Claims, Box<Response>> {
    let refuse = |text: &str| Box::new(invalid_grant(text));
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| refuse("Invalid JWT Signature."))?;
    if header.alg != Algorithm::RS256 {
        return Err(refuse("Invalid JWT Signature."));
    }
    // Read `iss` before verifying, only to pick the candidate keys.
    let unverified: Claims = assertion
        .split('.')
        .nth(1)
        .and_then(|part| URL_SAFE_NO_PAD.decode(part).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| refuse("Invalid JWT: the claims cannot be read."))?;
    if state.config.service_account(&unverified.iss).is_none() {
        return Err(refuse("Invalid grant: account not found"));
    }
    let keys: Vec<KeyRecord> = {
        let store = state.store.lock().await;
        store
            .index
            .keys
            .iter()
            .filter(|k| k.client_email.eq_ignore_ascii_case(&unverified.iss))
            .filter(|k| header.kid.as_deref().is_none_or(|kid| kid == k.private_key_id))
            .cloned()
            .collect()
    };
    let mut verified = None;
    for key in &keys {
        let Ok(decoding) = DecodingKey::from_rsa_pem(key.public_key_pem.as_bytes()) else {
            continue;
        };
        let mut validation = Validation::new(Algorithm::RS256);
        // Expiry is checked below against the simulator's clock, not the wall clock.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "aud", "iss"]);
        validation.set_audience(&[state.token_uri().as_str(), key.token_uri.as_str(), "https://oauth2.googleapis.com/token"]);
        validation.set_issuer(&[key.client_email.as_str()]);
        match jsonwebtoken::decode::<Claims>(assertion, &decoding, &validation) {
            Ok(data) => {
                verified = Some(data.claims);
                break;
            }
            Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::InvalidAudience) => {
                return Err(refuse("Invalid JWT: Failed audience check."));
            }
            Err(_) => {}
        }
    }
    let claims = verified.ok_or_else(|| refuse("Invalid JWT Signature."))?;
    let now = state.clock.now_secs();
    let lifetime = claims.exp - claims.iat;
    if claims.iat > now + SKEW_SECS || claims.exp <= now || !(1..=3600).contains(&lifetime) {
        return Err(refuse(
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. \
             Check your iat and exp values in the JWT claim.",
        ));
    }
    Ok(claims)
}

/// Turns verified claims into an access token (or refuses the scope or the delegation).
fn issue(state: &AppState, claims: Claims) -> Response {
    let scopes: Vec<String> = claims.scope.as_deref().unwrap_or_default().split_whitespace().map(str::to_owned).collect();
    if scopes.is_empty() {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", "Invalid OAuth scope or ID token audience provided.");
    }
    let delegation = state.config.service_account(&claims.iss).is_some_and(|sa| sa.domain_wide_delegation);
    let (email, service_account) = match claims.sub.as_deref() {
        None => (claims.iss.clone(), true),
        Some(sub) if sub.eq_ignore_ascii_case(&claims.iss) => (claims.iss.clone(), true),
        Some(_) if !delegation => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "unauthorized_client",
                "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.",
            );
        }
        Some(sub) if state.config.is_user(sub) => (sub.to_owned(), false),
        Some(_) => return invalid_grant("Invalid email or User ID"),
    };
    let ttl = i64::try_from(state.config.access_token_ttl_secs).unwrap_or(3600);
    let caller = Caller { email, service_account, scopes, expires_at: state.clock.now_secs() + ttl };
    match auth::mint(state, &caller) {
        Ok(token) => Json(json!({ "access_token": token, "expires_in": ttl, "token_type": "Bearer" })).into_response(),
        Err(e) => e.into_response(),
    }
}
