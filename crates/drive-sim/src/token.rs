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
use rsa::pkcs8::{DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};
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
    /// A string, or (rarely) a list of audiences.
    aud: serde_json::Value,
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
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("Invalid grant_type: {other}"),
            );
        }
        None => {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Missing required parameter: grant_type");
        }
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

/// The JOSE header of an assertion.
#[derive(Debug, Deserialize)]
struct JwtHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

/// Base64url with or without `=` padding: `yup-oauth2` pads its segments and Google accepts it,
/// which is why the signature is checked here over the segments exactly as sent rather than by a
/// JWT library that insists on unpadded input.
fn decode_segment(segment: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(segment.trim_end_matches('=')).ok()
}

fn signed_by(key: &KeyRecord, message: &[u8], signature: &[u8]) -> bool {
    let Ok(public) = rsa::RsaPublicKey::from_public_key_pem(&key.public_key_pem) else {
        return false;
    };
    let Ok(signature) = rsa::pkcs1v15::Signature::try_from(signature) else {
        return false;
    };
    let verifier = rsa::pkcs1v15::VerifyingKey::<rsa::sha2::Sha256>::new(public);
    rsa::signature::Verifier::verify(&verifier, message, &signature).is_ok()
}

/// Checks the assertion's RS256 signature against the keys issued to its `iss`, then its claims.
async fn verify_assertion(state: &AppState, assertion: &str) -> Result<Claims, Box<Response>> {
    let refuse = |text: &str| Box::new(invalid_grant(text));
    let segments: Vec<&str> = assertion.trim().split('.').collect();
    let [header, claims, signature] = segments[..] else {
        return Err(refuse("Invalid JWT: the assertion is not header.claims.signature."));
    };
    let header: JwtHeader = decode_segment(header)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| refuse("Invalid JWT: the header cannot be read."))?;
    if header.alg != "RS256" {
        return Err(refuse("Invalid JWT Signature."));
    }
    let parsed: Claims = decode_segment(claims)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| refuse("Invalid JWT: the claims cannot be read (iss, scope, aud, iat, exp)."))?;
    let signature = decode_segment(signature).ok_or_else(|| refuse("Invalid JWT Signature."))?;
    if state.config.service_account(&parsed.iss).is_none() {
        return Err(refuse("Invalid grant: account not found"));
    }
    let message = &assertion.trim().as_bytes()[..header_and_claims_len(assertion.trim())];
    let key = {
        let store = state.store.lock().await;
        store
            .index
            .keys
            .iter()
            .filter(|k| k.client_email.eq_ignore_ascii_case(&parsed.iss))
            .filter(|k| header.kid.as_deref().is_none_or(|kid| kid == k.private_key_id))
            .find(|k| signed_by(k, message, &signature))
            .cloned()
    };
    let key = key.ok_or_else(|| refuse("Invalid JWT Signature."))?;
    let audiences = [state.token_uri(), key.token_uri.clone(), "https://oauth2.googleapis.com/token".to_owned()];
    let audience_ok = match &parsed.aud {
        serde_json::Value::String(aud) => audiences.contains(aud),
        serde_json::Value::Array(list) => {
            list.iter().any(|a| a.as_str().is_some_and(|a| audiences.iter().any(|x| x == a)))
        }
        _ => false,
    };
    if !audience_ok {
        return Err(refuse("Invalid JWT: Failed audience check."));
    }
    let now = state.clock.now_secs();
    let lifetime = parsed.exp - parsed.iat;
    if parsed.iat > now + SKEW_SECS || parsed.exp <= now || !(1..=3600).contains(&lifetime) {
        return Err(refuse(
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. \
             Check your iat and exp values in the JWT claim.",
        ));
    }
    Ok(parsed)
}

/// Length of `header.claims`, the signed part of a JWT.
fn header_and_claims_len(assertion: &str) -> usize {
    assertion.rfind('.').unwrap_or(0)
}

/// Turns verified claims into an access token (or refuses the scope or the delegation).
fn issue(state: &AppState, claims: Claims) -> Response {
    let scopes: Vec<String> =
        claims.scope.as_deref().unwrap_or_default().split_whitespace().map(str::to_owned).collect();
    if scopes.is_empty() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "Invalid OAuth scope or ID token audience provided.",
        );
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
