//! Receiving Zoom webhooks: check the signature, answer the URL validation challenge, read the
//! event.
//!
//! The order a receiver should follow is [`signature::Verifier::verify`] on the raw bytes first,
//! then [`events::Envelope::parse`] (or [`events::ZoomEvent::parse`]) on the same bytes: never
//! parse what is not verified, and never verify re-serialised JSON.

pub mod events;
pub mod signature;
pub mod url_validation;

pub use events::{Envelope, EventError, EventName, ZoomEvent};
pub use signature::{SIGNATURE_HEADER, SignatureError, TIMESTAMP_HEADER, TimestampWindow, Verified, Verifier, sign};
pub use url_validation::UrlValidationResponse;

/// What a receiver does with one request: verify it, then read its envelope. The function a
/// fuzzer drives, and the one `zoom-webhook-ingest` calls; it never panics, whatever the input.
pub fn verify_and_parse(
    verifier: &Verifier,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_ms: i64,
) -> Result<(Verified, Envelope), ReceiveError> {
    let verified = verifier.verify(timestamp, signature, body, now_ms)?;
    let envelope = Envelope::parse(body)?;
    Ok((verified, envelope))
}

/// Why a request was not accepted: its signature (answer 401) or its body (answer 400).
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error(transparent)]
    Body(#[from] EventError),
}
