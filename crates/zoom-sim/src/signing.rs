//! Zoom's webhook signatures, shared by the simulator (to sign) and by tests (to verify).
//!
//! Zoom signs `v0:{x-zm-request-timestamp}:{raw body}` with HMAC-SHA256 keyed by the app's *secret
//! token* (not the OAuth client secret) and sends `v0=` + lowercase hex in `x-zm-signature`. The
//! `endpoint.url_validation` answer is the bare hex HMAC of the plain token, with no prefix.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-zm-signature";
/// The header carrying the signing time, in **seconds** (the body's `event_ts` is milliseconds).
pub const TIMESTAMP_HEADER: &str = "x-zm-request-timestamp";

fn mac(secret: &str) -> HmacSha256 {
    // HMAC takes keys of any length (long ones are hashed), so this never fails.
    HmacSha256::new_from_slice(secret.as_bytes()).expect("hmac accepts keys of any length")
}

fn signed_mac(secret: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
    let mut mac = mac(secret);
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    mac
}

/// The `x-zm-signature` value for `body` sent with `timestamp` (the header's text, in seconds):
/// `"v0=" + hex(HMAC-SHA256(secret, "v0:{timestamp}:{body}"))`.
pub fn sign(secret: &str, timestamp: impl std::fmt::Display, body: &[u8]) -> String {
    let timestamp = timestamp.to_string();
    format!("v0={}", hex::encode(signed_mac(secret, &timestamp, body).finalize().into_bytes()))
}

/// Whether `signature` (the `x-zm-signature` header) signs `body` with `timestamp` (the
/// `x-zm-request-timestamp` header, as received). Compares in constant time and hashes the raw bytes.
pub fn verify(secret: &str, timestamp: &str, body: &[u8], signature: &str) -> bool {
    let Some(hex_part) = signature.strip_prefix("v0=") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_part) else {
        return false;
    };
    signed_mac(secret, timestamp, body).verify_slice(&expected).is_ok()
}

/// The `encryptedToken` that answers an `endpoint.url_validation` challenge:
/// lowercase hex HMAC-SHA256 of `plain_token` keyed with the secret token.
pub fn encrypted_token(secret: &str, plain_token: &str) -> String {
    let mut mac = mac(secret);
    mac.update(plain_token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_a_changed_body_does_not() {
        let sig = sign("s3cret", 1_700_000_000, b"{\"a\":1}");
        assert!(sig.starts_with("v0="));
        assert!(verify("s3cret", "1700000000", b"{\"a\":1}", &sig));
        assert!(!verify("s3cret", "1700000000", b"{\"a\":2}", &sig));
        assert!(!verify("other", "1700000000", b"{\"a\":1}", &sig));
        assert!(!verify("s3cret", "1700000001", b"{\"a\":1}", &sig));
        assert!(!verify("s3cret", "1700000000", b"{\"a\":1}", "v0=zz"));
    }
}
