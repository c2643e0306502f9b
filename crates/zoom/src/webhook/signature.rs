//! `x-zm-signature` verification: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}`, keyed
//! with the app's secret token, compared in constant time.
//!
//! Zoom's own SDK does not check how old the timestamp is, so replay protection is ours: a
//! configurable window (default 5 minutes into the future, 2 hours into the past, since Zoom may
//! resend a delivery about 85 minutes after the first try, possibly with the first timestamp).
//! Several secrets can be accepted at once so a secret can be rotated without dropping deliveries.

use std::fmt;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-zm-signature";
/// The header carrying the signing time, in **seconds** since the epoch.
pub const TIMESTAMP_HEADER: &str = "x-zm-request-timestamp";

/// How far a request's timestamp may be from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampWindow {
    /// How far into the future (clock skew).
    pub future: Duration,
    /// How far into the past (Zoom's retries).
    pub past: Duration,
}

impl Default for TimestampWindow {
    fn default() -> Self {
        Self { future: Duration::from_secs(5 * 60), past: Duration::from_secs(2 * 3600) }
    }
}

/// Why a request's signature was refused. A receiver answers 401 for every one of these and
/// says nothing more; the variant is for logs and metrics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing x-zm-request-timestamp")]
    MissingTimestamp,
    #[error("missing x-zm-signature")]
    MissingSignature,
    #[error("x-zm-request-timestamp is not a number of seconds")]
    BadTimestamp,
    #[error("timestamp is {age_secs} s old, older than the window allows")]
    Stale { age_secs: i64 },
    #[error("timestamp is {ahead_secs} s in the future, further than the window allows")]
    FromTheFuture { ahead_secs: i64 },
    #[error("x-zm-signature is not v0= followed by 64 hex digits")]
    Malformed,
    #[error("signature does not match any configured secret")]
    Mismatch,
}

impl SignatureError {
    /// A short label for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            SignatureError::MissingTimestamp | SignatureError::MissingSignature => "missing",
            SignatureError::BadTimestamp | SignatureError::Malformed => "malformed",
            SignatureError::Stale { .. } | SignatureError::FromTheFuture { .. } => "timestamp",
            SignatureError::Mismatch => "mismatch",
        }
    }
}

/// A request that passed: which secret signed it (for the URL validation answer) and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub secret_index: usize,
    /// The header's timestamp, seconds since the epoch.
    pub timestamp: i64,
}

/// A configured secret token with its HMAC key schedule computed once.
#[derive(Clone)]
struct Key {
    mac: HmacSha256,
}

impl Key {
    fn new(secret: &[u8]) -> Option<Self> {
        HmacSha256::new_from_slice(secret).ok().map(|mac| Self { mac })
    }
}

/// Checks webhook signatures against one or more secret tokens. `Debug` never shows them.
#[derive(Clone)]
pub struct Verifier {
    keys: Vec<Key>,
    window: TimestampWindow,
}

/// No usable secret was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at least one non-empty webhook secret token is required")]
pub struct NoSecret;

impl Verifier {
    /// A verifier accepting any of `secrets` (empty ones are skipped), with the default window.
    pub fn new<S: AsRef<[u8]>>(secrets: impl IntoIterator<Item = S>) -> Result<Self, NoSecret> {
        let keys: Vec<Key> =
            secrets.into_iter().filter(|s| !s.as_ref().is_empty()).filter_map(|s| Key::new(s.as_ref())).collect();
        if keys.is_empty() {
            return Err(NoSecret);
        }
        Ok(Self { keys, window: TimestampWindow::default() })
    }

    pub fn with_window(mut self, window: TimestampWindow) -> Self {
        self.window = window;
        self
    }

    pub fn window(&self) -> TimestampWindow {
        self.window
    }

    /// How many secrets are accepted.
    pub fn secret_count(&self) -> usize {
        self.keys.len()
    }

    /// Checks the two headers (as received) against the raw `body` at `now_ms`.
    pub fn verify(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now_ms: i64,
    ) -> Result<Verified, SignatureError> {
        let timestamp_text = timestamp.ok_or(SignatureError::MissingTimestamp)?;
        let signature = signature.ok_or(SignatureError::MissingSignature)?;
        let seconds = parse_seconds(timestamp_text)?;
        self.check_window(seconds, now_ms)?;
        let expected = decode_signature(signature)?;
        for (index, key) in self.keys.iter().enumerate() {
            let mut mac = key.mac.clone();
            feed(&mut mac, timestamp_text, body);
            if mac.verify_slice(&expected).is_ok() {
                return Ok(Verified { secret_index: index, timestamp: seconds });
            }
        }
        Err(SignatureError::Mismatch)
    }

    fn check_window(&self, seconds: i64, now_ms: i64) -> Result<(), SignatureError> {
        let now = now_ms.div_euclid(1000);
        let age = now.saturating_sub(seconds);
        if age > secs(self.window.past) {
            return Err(SignatureError::Stale { age_secs: age });
        }
        if -age > secs(self.window.future) {
            return Err(SignatureError::FromTheFuture { ahead_secs: -age });
        }
        Ok(())
    }

    /// The `encryptedToken` of a URL validation challenge, keyed with the secret that signed it.
    pub fn encrypted_token(&self, verified: &Verified, plain_token: &str) -> String {
        let key = self.keys.get(verified.secret_index).unwrap_or(&self.keys[0]);
        let mut mac = key.mac.clone();
        mac.update(plain_token.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("secrets", &format_args!("[{} redacted]", self.keys.len()))
            .field("window", &self.window)
            .finish()
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn parse_seconds(text: &str) -> Result<i64, SignatureError> {
    if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::BadTimestamp);
    }
    text.parse().map_err(|_| SignatureError::BadTimestamp)
}

fn decode_signature(signature: &str) -> Result<[u8; 32], SignatureError> {
    let hex_part = signature.strip_prefix("v0=").ok_or(SignatureError::Malformed)?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut out).map_err(|_| SignatureError::Malformed)?;
    Ok(out)
}

fn feed(mac: &mut HmacSha256, timestamp: &str, body: &[u8]) {
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
}

/// The `x-zm-signature` Zoom would send for `body` at `timestamp` (seconds) with `secret`; for
/// tests, simulators and load generators.
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length; an empty key signs too (and no verifier accepts it).
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    feed(&mut mac, timestamp, body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW_MS: i64 = 1_764_579_612_000;

    fn verifier() -> Verifier {
        Verifier::new(["old-secret", "new-secret"]).expect("secrets")
    }

    #[test]
    fn a_request_signed_with_either_rotated_secret_verifies_naming_the_secret() {
        let body = br#"{"event":"x"}"#;
        let by_new = sign(b"new-secret", "1764579612", body);
        let verified = verifier().verify(Some("1764579612"), Some(&by_new), body, NOW_MS);
        assert_eq!(verified, Ok(Verified { secret_index: 1, timestamp: 1_764_579_612 }));
        let by_old = sign(b"old-secret", "1764579612", body);
        assert_eq!(verifier().verify(Some("1764579612"), Some(&by_old), body, NOW_MS).map(|v| v.secret_index), Ok(0));
    }

    #[test]
    fn the_window_accepts_two_hours_back_and_five_minutes_ahead_and_nothing_beyond() {
        let body = b"{}";
        let at = |ts: i64| {
            let ts = ts.to_string();
            verifier().verify(Some(&ts), Some(&sign(b"new-secret", &ts, body)), body, NOW_MS)
        };
        let now = NOW_MS / 1000;
        assert!(at(now - 7200).is_ok());
        assert_eq!(at(now - 7201), Err(SignatureError::Stale { age_secs: 7201 }));
        assert!(at(now + 300).is_ok());
        assert_eq!(at(now + 301), Err(SignatureError::FromTheFuture { ahead_secs: 301 }));
    }

    #[test]
    fn malformed_headers_are_refused_before_any_hashing() {
        let v = verifier();
        assert_eq!(v.verify(None, Some("v0=00"), b"", NOW_MS), Err(SignatureError::MissingTimestamp));
        assert_eq!(v.verify(Some("1764579612"), None, b"", NOW_MS), Err(SignatureError::MissingSignature));
        assert_eq!(v.verify(Some("17645796l2"), Some("v0=00"), b"", NOW_MS), Err(SignatureError::BadTimestamp));
        assert_eq!(v.verify(Some("-1"), Some("v0=00"), b"", NOW_MS), Err(SignatureError::BadTimestamp));
        assert_eq!(v.verify(Some("1764579612"), Some("v1=00"), b"", NOW_MS), Err(SignatureError::Malformed));
        assert_eq!(v.verify(Some("1764579612"), Some("v0=abcd"), b"", NOW_MS), Err(SignatureError::Malformed));
        let upper = sign(b"new-secret", "1764579612", b"").to_uppercase().replacen("V0=", "v0=", 1);
        assert!(v.verify(Some("1764579612"), Some(&upper), b"", NOW_MS).is_ok(), "hex is case-insensitive");
    }

    #[test]
    fn no_secret_at_all_is_an_error_and_debug_hides_the_secrets() {
        assert_eq!(Verifier::new([""]).err(), Some(NoSecret));
        assert!(!format!("{:?}", verifier()).contains("secret\""));
        assert!(!format!("{:?}", verifier()).contains("new-secret"));
    }
}
