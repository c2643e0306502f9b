//! `endpoint.url_validation`: Zoom posts a signed challenge with a `plainToken` and expects, within
//! the timeout, **200** with `{"plainToken": same, "encryptedToken": hex HMAC-SHA256(secret token,
//! plainToken)}`. Zoom sends one when an endpoint is saved and again every 72 hours; here on demand.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use serde::Serialize;

use crate::clock::zoom_time;
use crate::error::ApiError;
use crate::signing::{encrypted_token, sign};
use crate::state::{AppState, lock};
use crate::webhooks::post;

/// The outcome of one challenge.
#[derive(Debug, Clone, Serialize)]
pub struct UrlValidation {
    pub endpoint: String,
    pub sent_at: String,
    pub plain_token: String,
    /// The `encryptedToken` a correct endpoint answers with.
    pub expected_encrypted_token: String,
    pub status: Option<u16>,
    pub latency_ms: u64,
    pub response_body: String,
    /// Whether the endpoint answered 200 in time with the right tokens.
    pub valid: bool,
    /// Why not, when not.
    pub reason: Option<String>,
}

// Field order as in Zoom's deliveries (see the shared fixture).
#[derive(Serialize)]
struct Challenge<'a> {
    payload: ChallengePayload<'a>,
    event_ts: i64,
    event: &'static str,
}

#[derive(Serialize)]
struct ChallengePayload<'a> {
    #[serde(rename = "plainToken")]
    plain_token: &'a str,
}

/// Sends a challenge to the current endpoint and judges the answer.
pub(crate) async fn challenge(state: &Arc<AppState>) -> Result<UrlValidation, ApiError> {
    let endpoint =
        lock(&state.endpoint).clone().ok_or_else(|| ApiError::Conflict("no webhook endpoint is configured".into()))?;
    let plain_token = URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 16]>());
    let now = state.now_ms();
    let body = Challenge {
        payload: ChallengePayload { plain_token: &plain_token },
        event_ts: now,
        event: "endpoint.url_validation",
    };
    let body = serde_json::to_string(&body).unwrap_or_default();
    let timestamp = now / 1000;
    let signature = sign(&state.config.webhook_secret_token, timestamp, body.as_bytes());
    let answer = post(state, &endpoint, &body, timestamp, &signature).await;
    let expected = encrypted_token(&state.config.webhook_secret_token, &plain_token);
    let reason = judge(&answer.status, &answer.body, &plain_token, &expected, answer.error.as_deref());
    let result = UrlValidation {
        endpoint,
        sent_at: zoom_time(now),
        plain_token,
        expected_encrypted_token: expected,
        status: answer.status,
        latency_ms: answer.latency.as_millis() as u64,
        response_body: answer.body,
        valid: reason.is_none(),
        reason,
    };
    tracing::info!(valid = result.valid, status = result.status, "url validation challenge sent");
    lock(&state.webhooks).validations.push(result.clone());
    Ok(result)
}

fn judge(status: &Option<u16>, body: &str, plain: &str, expected: &str, error: Option<&str>) -> Option<String> {
    if let Some(error) = error {
        return Some(format!("no answer: {error}"));
    }
    if *status != Some(200) {
        return Some(format!("status {} instead of 200", status.unwrap_or_default()));
    }
    let Ok(answer) = serde_json::from_str::<serde_json::Value>(body) else {
        return Some("the answer is not json".into());
    };
    if answer.get("plainToken").and_then(|v| v.as_str()) != Some(plain) {
        return Some("plainToken differs from the one sent".into());
    }
    if answer.get("encryptedToken").and_then(|v| v.as_str()) != Some(expected) {
        return Some("encryptedToken is not hex hmac-sha256(secret token, plainToken)".into());
    }
    None
}
