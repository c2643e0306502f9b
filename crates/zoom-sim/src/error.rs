//! The errors the simulated API answers with, in Zoom's shapes: `{"code": n, "message": "…"}` with
//! Zoom's HTTP status for each code, and OAuth's `{"reason", "error"}` for the token endpoint.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// One failed API call, as Zoom would answer it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// Missing, unknown or wrong-kind bearer token (Zoom code 124).
    #[error("invalid access token")]
    InvalidToken,
    /// A bearer token past its lifetime (Zoom code 124, its own message).
    #[error("access token is expired")]
    ExpiredToken,
    /// The body is not a JSON object (Zoom code 300).
    #[error("request body is not a json object")]
    InvalidJson,
    /// A field failed validation (Zoom code 300, HTTP 400).
    #[error("invalid field {field}: {detail}")]
    Validation { field: String, detail: String },
    /// No such meeting (Zoom code 3001, HTTP 404).
    #[error("meeting does not exist: {0}")]
    MeetingNotFound(String),
    /// An `occurrence_id` that is not one of the meeting's occurrences (Zoom code 3000, HTTP 400).
    #[error("invalid occurrence id")]
    InvalidOccurrence,
    /// No played session with that uuid or id (Zoom code 3001, HTTP 404).
    #[error("past meeting not found: {0}")]
    PastMeetingNotFound(String),
    /// A session that has not ended yet, or a meeting never held (Zoom code 3001, HTTP 404).
    #[error("meeting has not ended: {0}")]
    MeetingNotEnded(String),
    /// A `next_page_token` this server did not issue (Zoom code 300, HTTP 400).
    #[error("invalid next page token")]
    InvalidPageToken,
    /// A fault injected through `/_sim/faults`.
    #[error("injected fault {status}")]
    Injected { status: u16 },
    /// No such user in the account, or `me` with a server-to-server token (Zoom code 1001, HTTP 404).
    #[error("user does not exist: {0}")]
    UserNotFound(String),
    /// No recording for that meeting (Zoom code 3301, HTTP 404).
    #[error("recording does not exist")]
    RecordingNotFound,
    /// A per-second category limit (HTTP 429, `Retry-After` in seconds).
    #[error("per-second rate limit reached")]
    RateLimited { retry_after_secs: u64, category: &'static str, limit: u32 },
    /// The per-user daily create/update limit (HTTP 429). Zoom documents `X-RateLimit-Type:
    /// Daily-limit` and `Retry-After` with an ISO-8601 date-time, but real answers have been seen
    /// without them; `headers` chooses.
    #[error("daily meeting create/update limit reached")]
    DailyLimit { reset_at: String, limit: u32, headers: bool },
    /// A signed file URL whose signature does not match (HTTP 403).
    #[error("bad signature")]
    BadSignature,
    /// A signed file URL past its expiry (HTTP 401).
    #[error("signed url expired")]
    SignedUrlExpired,
    /// A `Range` the file cannot satisfy (HTTP 416).
    #[error("range not satisfiable")]
    RangeNotSatisfiable { size: u64 },
    /// A simulator-control request that conflicts with the current state (HTTP 409).
    #[error("conflict: {0}")]
    Conflict(String),
    /// No route (HTTP 404).
    #[error("not found")]
    NoRoute,
}

impl ApiError {
    /// A code-300 validation error naming `field`.
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::Validation { field: field.into(), detail: detail.into() }
    }

    /// The HTTP status Zoom answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidToken | Self::ExpiredToken | Self::SignedUrlExpired => StatusCode::UNAUTHORIZED,
            Self::InvalidJson | Self::Validation { .. } | Self::InvalidOccurrence | Self::InvalidPageToken => {
                StatusCode::BAD_REQUEST
            }
            Self::MeetingNotFound(_)
            | Self::UserNotFound(_)
            | Self::RecordingNotFound
            | Self::PastMeetingNotFound(_)
            | Self::MeetingNotEnded(_)
            | Self::NoRoute => StatusCode::NOT_FOUND,
            Self::Injected { status } => StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            Self::RateLimited { .. } | Self::DailyLimit { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::BadSignature => StatusCode::FORBIDDEN,
            Self::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::Conflict(_) => StatusCode::CONFLICT,
        }
    }

    fn body(&self) -> serde_json::Value {
        match self {
            Self::InvalidToken => json!({"code": 124, "message": "Invalid access token."}),
            Self::ExpiredToken => json!({"code": 124, "message": "Access token is expired."}),
            Self::InvalidJson => json!({"code": 300, "message": "Request Body should be a valid JSON object."}),
            // Zoom names the field in `errors[]` under "Validation Failed."; the message names it too
            // so a client that only logs `message` still says what was wrong.
            Self::Validation { field, detail } => json!({
                "code": 300,
                "message": format!("Validation Failed. Invalid field: {field}: {detail}"),
                "errors": [{"field": field, "message": detail}],
            }),
            Self::MeetingNotFound(id) => json!({"code": 3001, "message": format!("Meeting does not exist: {id}.")}),
            Self::InvalidOccurrence => json!({"code": 3000, "message": "Invalid occurrence_id."}),
            Self::PastMeetingNotFound(_) => {
                json!({"code": 3001, "message": "This meeting is not available or ID is not valid."})
            }
            Self::MeetingNotEnded(_) => json!({"code": 3001, "message": "Meeting ID is invalid or not end."}),
            Self::InvalidPageToken => json!({"code": 300, "message": "The next page token is invalid or expired."}),
            Self::Injected { status } => json!({
                "code": status,
                "message": StatusCode::from_u16(*status).ok().and_then(|s| s.canonical_reason()).unwrap_or("Error"),
            }),
            Self::UserNotFound(id) => json!({"code": 1001, "message": format!("User does not exist: {id}.")}),
            Self::RecordingNotFound => json!({"code": 3301, "message": "This recording does not exist."}),
            Self::RateLimited { .. } => json!({
                "code": 429,
                "message": "You have reached the maximum per-second rate limit for this API. Try again later.",
            }),
            // Word for word as Zoom answers it.
            Self::DailyLimit { limit, .. } => json!({
                "code": 429,
                "message": format!(
                    "You have exceeded the daily rate limit ({limit}) of Meeting Create/Update API requests \
                     permitted for this particular user. You may resume these requests at GMT 00:00:00."
                ),
            }),
            Self::BadSignature => json!({"code": 403, "message": "Signature does not match."}),
            Self::SignedUrlExpired => json!({"code": 401, "message": "Signed URL has expired."}),
            Self::RangeNotSatisfiable { .. } => json!({"code": 416, "message": "Requested range not satisfiable."}),
            Self::Conflict(detail) => json!({"code": 409, "message": detail}),
            Self::NoRoute => json!({"code": 404, "message": "Not found."}),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), axum::Json(self.body())).into_response();
        let headers = response.headers_mut();
        match &self {
            Self::RateLimited { retry_after_secs, category, limit } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
                headers.insert("x-ratelimit-category", HeaderValue::from_static(category));
                headers.insert("x-ratelimit-type", HeaderValue::from_static("QPS"));
                headers.insert("x-ratelimit-limit", HeaderValue::from(*limit));
                headers.insert("x-ratelimit-remaining", HeaderValue::from(0));
            }
            Self::DailyLimit { reset_at, limit, headers: true } => {
                // Zoom's daily limits answer with an ISO-8601 date-time here, not seconds.
                if let Ok(value) = HeaderValue::from_str(reset_at) {
                    headers.insert(header::RETRY_AFTER, value);
                }
                headers.insert("x-ratelimit-type", HeaderValue::from_static("Daily-limit"));
                headers.insert("x-ratelimit-limit", HeaderValue::from(*limit));
                headers.insert("x-ratelimit-remaining", HeaderValue::from(0));
            }
            Self::Injected { status: 429 } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(1));
            }
            Self::RangeNotSatisfiable { size } => {
                if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    headers.insert(header::CONTENT_RANGE, value);
                }
            }
            _ => {}
        }
        response
    }
}

/// An OAuth token-endpoint error: `{"reason": "…", "error": "…"}`.
#[derive(Debug, Clone)]
pub struct OAuthError {
    pub status: StatusCode,
    pub reason: String,
    pub error: &'static str,
}

impl OAuthError {
    pub fn new(status: StatusCode, error: &'static str, reason: impl Into<String>) -> Self {
        Self { status, reason: reason.into(), error }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({"reason": self.reason, "error": self.error}))).into_response()
    }
}
