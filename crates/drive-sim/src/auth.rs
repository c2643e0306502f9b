//! Access tokens and the caller behind each API request.
//!
//! Tokens are self-contained (`ya29.sim.<claims>.<hmac>`) and signed with a secret kept in the
//! index, so a token issued before a restart still works after it, as Google's do. Their lifetime
//! is checked against the simulator's clock.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, SharedState};

const TOKEN_PREFIX: &str = "ya29.sim.";
const SCOPE_PREFIX: &str = "https://www.googleapis.com/auth/";

/// Who is calling, as established by the bearer token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Caller {
    /// The service account, or the person it impersonates with domain-wide delegation.
    #[serde(rename = "e")]
    pub email: String,
    /// Service accounts have no storage quota; an impersonated person does.
    #[serde(rename = "sa")]
    pub service_account: bool,
    #[serde(rename = "s")]
    pub scopes: Vec<String>,
    /// Expiry, epoch seconds on the simulator's clock.
    #[serde(rename = "x")]
    pub expires_at: i64,
}

impl Caller {
    fn has_scope(&self, names: &[&str]) -> bool {
        self.scopes.iter().any(|s| {
            let short = s.strip_prefix(SCOPE_PREFIX).unwrap_or(s);
            names.contains(&short)
        })
    }

    /// Any Drive scope lets a caller read metadata.
    pub fn require_read(&self) -> ApiResult<()> {
        let readable = ["drive", "drive.file", "drive.readonly", "drive.metadata", "drive.metadata.readonly"];
        if self.has_scope(&readable) { Ok(()) } else { Err(ApiError::insufficient_scopes()) }
    }

    /// Writes need `drive` (or `drive.file`, which the simulator treats as `drive`: it does not
    /// track which app created a file).
    pub fn require_write(&self) -> ApiResult<()> {
        if self.has_scope(&["drive", "drive.file"]) { Ok(()) } else { Err(ApiError::insufficient_scopes()) }
    }
}

type HmacSha256 = Hmac<Sha256>;

fn sign(secret: &[u8], payload: &str) -> ApiResult<Vec<u8>> {
    let mut mac =
        HmacSha256::new_from_slice(secret).map_err(|e| ApiError::internal(anyhow::anyhow!("hmac key: {e}")))?;
    mac.update(payload.as_bytes());
    Ok(mac.finalize().into_bytes().to_vec())
}

/// Issues an access token for `caller`.
pub(crate) fn mint(state: &AppState, caller: &Caller) -> ApiResult<String> {
    let claims = serde_json::to_vec(caller).map_err(|e| ApiError::internal(e.into()))?;
    let payload = URL_SAFE_NO_PAD.encode(claims);
    let signature = URL_SAFE_NO_PAD.encode(sign(&state.token_secret, &payload)?);
    Ok(format!("{TOKEN_PREFIX}{payload}.{signature}"))
}

/// Checks a token's signature and lifetime.
pub(crate) fn verify(state: &AppState, token: &str) -> ApiResult<Caller> {
    let rest = token.strip_prefix(TOKEN_PREFIX).ok_or_else(ApiError::invalid_credentials)?;
    let (payload, signature) = rest.split_once('.').ok_or_else(ApiError::invalid_credentials)?;
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| ApiError::invalid_credentials())?;
    let mut mac = HmacSha256::new_from_slice(&state.token_secret)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("hmac key: {e}")))?;
    mac.update(payload.as_bytes());
    mac.verify_slice(&signature).map_err(|_| ApiError::invalid_credentials())?;
    let claims = URL_SAFE_NO_PAD.decode(payload).map_err(|_| ApiError::invalid_credentials())?;
    let caller: Caller = serde_json::from_slice(&claims).map_err(|_| ApiError::invalid_credentials())?;
    if caller.expires_at <= state.clock.now_secs() {
        return Err(ApiError::invalid_credentials());
    }
    Ok(caller)
}

impl FromRequestParts<SharedState> for Caller {
    type Rejection = ApiError;

    /// `Authorization: Bearer <token>`; Google also accepts `?access_token=`, and so do we.
    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> Result<Self, Self::Rejection> {
        let from_header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|t| t.trim().to_owned());
        let token = match from_header {
            Some(token) => token,
            None => crate::params::Params::parse(parts.uri.query())
                .get("access_token")
                .map(str::to_owned)
                .ok_or_else(ApiError::login_required)?,
        };
        verify(state, &token)
    }
}
