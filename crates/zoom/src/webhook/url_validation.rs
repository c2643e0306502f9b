//! `endpoint.url_validation`: Zoom posts `{"payload":{"plainToken":"…"}}` (signed like any event)
//! and wants back `{"plainToken": same, "encryptedToken": hex HMAC-SHA256(secret, plainToken)}`.

use serde::{Deserialize, Serialize};

use super::signature::{Verified, Verifier};

/// The event name of the challenge.
pub const EVENT: &str = "endpoint.url_validation";

/// The answer, serialised with `plainToken` first as Zoom's documentation shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlValidationResponse {
    #[serde(rename = "plainToken")]
    pub plain_token: String,
    #[serde(rename = "encryptedToken")]
    pub encrypted_token: String,
}

impl UrlValidationResponse {
    /// The answer to `plain_token`, keyed with the secret that signed the challenge.
    pub fn answer(verifier: &Verifier, verified: &Verified, plain_token: &str) -> Self {
        Self { plain_token: plain_token.to_string(), encrypted_token: verifier.encrypted_token(verified, plain_token) }
    }

    /// The response body: compact JSON.
    pub fn to_json(&self) -> String {
        // Two strings cannot fail to serialise; an empty object would only make Zoom retry.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }
}
