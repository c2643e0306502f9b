//! Server-to-Server OAuth: `POST /oauth/token` with `grant_type=account_credentials` and
//! `account_id` (query or form body) and HTTP Basic `client_id:client_secret`. There is no refresh
//! token: a client asks again shortly before `expires_in` runs out.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::json;

use crate::error::OAuthError;
use crate::ids;
use crate::state::{AppState, lock};
use crate::store::{Token, TokenKind};

/// The scopes a simulated S2S app has.
const SCOPES: &str =
    "meeting:read:admin meeting:write:admin recording:read:admin recording:write:admin user:read:admin";

/// `POST /oauth/token`.
pub(crate) async fn token(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match issue(&state, query.as_deref(), &headers, &body) {
        Ok(response) => response,
        Err(e) => {
            tracing::debug!(error = %e.reason, "token request refused");
            e.into_response()
        }
    }
}

fn issue(state: &AppState, query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthError> {
    check_client(state, headers)?;
    // Zoom documents the parameters in the query string; form bodies are accepted too.
    let mut params: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    params.extend(url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned());
    match params.get("grant_type").map(String::as_str) {
        Some("account_credentials") => {}
        Some(_) | None => {
            return Err(OAuthError::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", "Unsupported grant type"));
        }
    }
    let Some(account_id) = params.get("account_id").filter(|a| !a.is_empty()) else {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: account_id",
        ));
    };
    if *account_id != state.config.account_id {
        return Err(OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", "Invalid account_id"));
    }
    let access_token = ids::token("sim_at_");
    let ttl = state.config.token_ttl;
    let expires_ms = state.now_ms().saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
    {
        let mut store = lock(&state.store);
        store.prune_tokens(state.now_ms());
        store.tokens.insert(access_token.clone(), Token { kind: TokenKind::Api, expires_ms });
    }
    state.changed();
    tracing::debug!(ttl_secs = ttl.as_secs(), "access token issued");
    let body = json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": ttl.as_secs(),
        "scope": SCOPES,
        "api_url": state.base_url,
    });
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

fn check_client(state: &AppState, headers: &HeaderMap) -> Result<(), OAuthError> {
    let invalid = || OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_client", "Invalid client_id or client_secret");
    let value = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(invalid)?;
    let (scheme, encoded) = value.trim().split_once(' ').ok_or_else(invalid)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(invalid());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| invalid())?;
    let decoded = String::from_utf8(decoded).map_err(|_| invalid())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(invalid)?;
    if id != state.config.client_id || secret != state.config.client_secret {
        return Err(invalid());
    }
    Ok(())
}
