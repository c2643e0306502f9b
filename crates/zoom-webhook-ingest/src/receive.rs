//! `POST /zoom/webhooks`: verify, answer the URL validation challenge, or store and answer 200.
//!
//! | request | answer |
//! | --- | --- |
//! | missing or malformed signature headers, timestamp outside the window | 401 before the body is read |
//! | body over the limit (the configured one, or the bus's message size) | 413 |
//! | body not received within the body timeout | 408 |
//! | signature that does not match the body | 401, empty body |
//! | valid signature, body not a JSON object with a safe `event` name | 400 naming the problem |
//! | `endpoint.url_validation` | 200 `{"plainToken","encryptedToken"}` |
//! | any other event, new or repeated | 200 once stored with its outbox row |
//! | store down, queue full, commit not done in time | 503 (Zoom retries) |

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use butterboard_runtime::clock::Clock;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use zoom::webhook::url_validation::{self, UrlValidationResponse};
use zoom::webhook::{Envelope, SIGNATURE_HEADER, SignatureError, TIMESTAMP_HEADER, Verifier};

use crate::commit::{Committed, Committer};
use crate::metrics::{Metrics, Outcome};
use crate::settings::IngestSettings;
use crate::store::{NewDelivery, zoom_message};

/// The path Zoom posts to.
pub const PATH: &str = "/zoom/webhooks";

/// Request headers kept with each delivery.
const KEPT_HEADERS: [&str; 5] = [TIMESTAMP_HEADER, SIGNATURE_HEADER, "x-zm-trackingid", "user-agent", "content-type"];

/// What the handler needs; shared by every request.
pub struct Receiver {
    pub verifier: Verifier,
    pub committer: Committer,
    pub settings: IngestSettings,
    pub clock: Arc<dyn Clock>,
    pub metrics: Metrics,
    /// Deliveries waiting for their commit at most; more get 503.
    pub in_flight: Arc<Semaphore>,
    /// The largest body accepted ([`crate::settings::body_limit`]).
    pub body_limit: usize,
}

/// The webhook router.
pub fn router(receiver: Arc<Receiver>) -> Router {
    Router::new().route(PATH, post(receive)).with_state(receiver)
}

async fn receive(State(receiver): State<Arc<Receiver>>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let (event_type, outcome, response) = handle(&receiver, &headers, body).await;
    receiver.metrics.answered(&event_type, outcome, started.elapsed());
    response
}

fn status(code: StatusCode) -> Response {
    code.into_response()
}

fn bad_request(reason: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "error": reason }).to_string(),
    )
        .into_response()
}

async fn handle(receiver: &Receiver, headers: &HeaderMap, body: Body) -> (String, Outcome, Response) {
    let unknown = || "unknown".to_string();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // Everything that can be refused without the body is refused before reading it: a client
    // that sends headers and then stalls costs nothing but its connection.
    let (timestamp, signature) = (header(TIMESTAMP_HEADER), header(SIGNATURE_HEADER));
    if let Err(error) = headers_pass(&receiver.verifier, timestamp, signature, receiver.clock.now_ms()) {
        tracing::debug!(reason = %error, "webhook refused before its body");
        receiver.metrics.signature_failed(error.label());
        return (unknown(), Outcome::Unauthorized, status(StatusCode::UNAUTHORIZED));
    }
    let body = match read_body(receiver, headers, body).await {
        Ok(body) => body,
        Err((outcome, response)) => return (unknown(), outcome, response),
    };
    let now_ms = receiver.clock.now_ms();
    let verified = match receiver.verifier.verify(timestamp, signature, &body, now_ms) {
        Ok(verified) => verified,
        Err(error) => {
            tracing::debug!(reason = %error, "webhook refused");
            receiver.metrics.signature_failed(error.label());
            return (unknown(), Outcome::Unauthorized, status(StatusCode::UNAUTHORIZED));
        }
    };
    let envelope = match Envelope::parse(&body) {
        Ok(envelope) => envelope,
        Err(error) => {
            tracing::info!(%error, "verified webhook with an unreadable body");
            return (unknown(), Outcome::BadRequest, bad_request(error.to_string()));
        }
    };
    let event_type = envelope.event.as_str().to_string();
    if event_type == url_validation::EVENT {
        let Some(plain) = envelope.plain_token.as_deref() else {
            return (event_type, Outcome::BadRequest, bad_request("payload.plainToken is missing".into()));
        };
        let answer = UrlValidationResponse::answer(&receiver.verifier, &verified, plain).to_json();
        let response = (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], answer).into_response();
        return (event_type, Outcome::UrlValidation, response);
    }
    // The in-flight limit bounds what waits for a commit, not who is still sending.
    let Ok(_permit) = receiver.in_flight.try_acquire() else {
        return (event_type, Outcome::Overloaded, status(StatusCode::SERVICE_UNAVAILABLE));
    };
    let delivery = new_delivery(headers, body, envelope, now_ms);
    let (outcome, response) = store(receiver, delivery).await;
    (event_type, outcome, response)
}

/// The body, within the size limit and the body deadline.
async fn read_body(receiver: &Receiver, headers: &HeaderMap, body: Body) -> Result<Bytes, (Outcome, Response)> {
    let limit = receiver.body_limit;
    let too_large_answer = || (Outcome::TooLarge, status(StatusCode::PAYLOAD_TOO_LARGE));
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large_answer());
    }
    match tokio::time::timeout(receiver.settings.body_read_timeout, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(error)) if too_large(&error) => Err(too_large_answer()),
        Ok(Err(error)) => {
            // The client went away or broke the framing mid-body.
            tracing::debug!(%error, "webhook body could not be read");
            Err((Outcome::BadRequest, status(StatusCode::BAD_REQUEST)))
        }
        Err(_) => {
            tracing::debug!("webhook body not received in time");
            Err((Outcome::BadRequest, status(StatusCode::REQUEST_TIMEOUT)))
        }
    }
}

/// Whether reading the body failed because it exceeded the limit (a body without a
/// `Content-Length`, or one longer than it declared).
fn too_large(error: &axum::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if current.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = current.source();
    }
    false
}

/// Whether the signature headers can pass before the body is known: both present, the timestamp
/// a number inside the window, the signature well-formed. The verifier checks all of that before
/// it compares the HMAC, so a mismatch over an empty body means the headers themselves are fine.
fn headers_pass(
    verifier: &Verifier,
    timestamp: Option<&str>,
    signature: Option<&str>,
    now_ms: i64,
) -> Result<(), SignatureError> {
    match verifier.verify(timestamp, signature, b"", now_ms) {
        Ok(_) | Err(SignatureError::Mismatch) => Ok(()),
        Err(error) => Err(error),
    }
}

fn new_delivery(headers: &HeaderMap, body: Bytes, envelope: Envelope, now_ms: i64) -> NewDelivery {
    let kept: serde_json::Map<String, serde_json::Value> = KEPT_HEADERS
        .iter()
        .filter_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()).map(|v| (name.to_string(), v.into())))
        .collect();
    let dedupe_key = hex::encode(Sha256::digest(&body));
    let event_id = uuid::Uuid::now_v7().to_string();
    let event_type = envelope.event.as_str().to_string();
    let message =
        zoom_message(event_id, &event_type, envelope.event_ts, envelope.meeting_uuid.as_deref(), body.clone());
    NewDelivery {
        dedupe_key,
        event_type,
        meeting_uuid: envelope.meeting_uuid,
        event_ts: envelope.event_ts,
        received_at: now_ms,
        headers: serde_json::Value::Object(kept).to_string(),
        body,
        message,
    }
}

async fn store(receiver: &Receiver, delivery: NewDelivery) -> (Outcome, Response) {
    let answer = match receiver.committer.submit(delivery) {
        Ok(answer) => answer,
        Err(refused) => {
            tracing::warn!(?refused, "webhook shed: the commit queue is full or closed");
            return (Outcome::Overloaded, status(StatusCode::SERVICE_UNAVAILABLE));
        }
    };
    match tokio::time::timeout(receiver.settings.reply_deadline, answer).await {
        Ok(Ok(Committed::Stored)) => (Outcome::Stored, status(StatusCode::OK)),
        Ok(Ok(Committed::Duplicate)) => (Outcome::Duplicate, status(StatusCode::OK)),
        Ok(Ok(Committed::Unavailable)) | Ok(Err(_)) => (Outcome::Unavailable, status(StatusCode::SERVICE_UNAVAILABLE)),
        Err(_) => {
            tracing::warn!(
                deadline_ms = receiver.settings.reply_deadline.as_millis() as u64,
                "webhook not committed in time, answering 503"
            );
            (Outcome::Overloaded, status(StatusCode::SERVICE_UNAVAILABLE))
        }
    }
}
