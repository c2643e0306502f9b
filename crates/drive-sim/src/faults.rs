//! Fault injection: the failures real Drive produces, on demand.
//!
//! Rules come from the config or `POST /_sim/faults` and match by method and path prefix, for the
//! next `times` requests (or forever). Kinds: a 5xx (`backendError`), a rate limit (429 — or 403,
//! which Drive also uses for `userRateLimitExceeded` — with `Retry-After`), added latency, a
//! connection dropped after part of a chunk's body, and a chunk only partly accepted (a `308`
//! whose `Range` stops short, so clients must honour `Range` rather than assume the whole chunk
//! landed). Control endpoints (`/_sim/…`) are never faulted.

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::state::SharedState;

/// One fault rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Only requests with this method (`PUT`, `POST`, …); any when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Only requests whose path starts with this (`/upload/`, `/drive/v3/files`, `/token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
    /// How many matching requests to fault; every one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    #[serde(flatten)]
    pub action: FaultAction,
}

/// What happens to a faulted request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultAction {
    /// Answer with this 5xx status and Google's `backendError` body.
    ServerError { status: u16 },
    /// Answer 429 (or 403) with `rateLimitExceeded`/`userRateLimitExceeded` and `Retry-After`.
    RateLimit { status: u16, reason: RateLimitReason, retry_after_secs: u64 },
    /// Wait this long before handling the request.
    Latency { millis: u64 },
    /// Upload chunks only: read this many body bytes, then drop the connection without answering.
    DropConnection { after_bytes: u64 },
    /// Upload chunks only: store at most this many new bytes of the chunk and answer `308`.
    PartialChunk { accept_bytes: u64 },
}

/// The rate-limit reasons Drive uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RateLimitReason {
    RateLimitExceeded,
    UserRateLimitExceeded,
}

impl FaultRule {
    /// A rule for every request until removed; narrow it with the builder methods.
    pub fn new(action: FaultAction) -> FaultRule {
        FaultRule { method: None, path_prefix: None, times: None, action }
    }

    /// Fault only the next `n` matching requests.
    pub fn times(mut self, n: u32) -> FaultRule {
        self.times = Some(n);
        self
    }

    /// Fault only requests with this method.
    pub fn on_method(mut self, method: &str) -> FaultRule {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Fault only requests whose path starts with `prefix`.
    pub fn on_path(mut self, prefix: &str) -> FaultRule {
        self.path_prefix = Some(prefix.to_owned());
        self
    }

    fn matches(&self, method: &Method, path: &str, is_chunk: bool) -> bool {
        let chunk_only = matches!(self.action, FaultAction::DropConnection { .. } | FaultAction::PartialChunk { .. });
        self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()))
            && self.path_prefix.as_deref().is_none_or(|p| path.starts_with(p))
            && (is_chunk || !chunk_only)
    }
}

/// Chunk faults handed to the upload handler through request extensions.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ChunkFault {
    pub accept_bytes: Option<u64>,
    pub drop_after: Option<u64>,
}

/// The label of the faults applied to a request, for the request log.
#[derive(Debug, Clone)]
pub(crate) struct FaultLabel(pub String);

/// The active rules.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: std::sync::Mutex<Vec<FaultRule>>,
}

struct Taken {
    latency_ms: u64,
    terminal: Option<FaultAction>,
    chunk: ChunkFault,
    labels: Vec<String>,
}

impl Faults {
    pub fn new(rules: Vec<FaultRule>) -> Faults {
        Faults { rules: std::sync::Mutex::new(rules) }
    }

    fn rules(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        self.rules.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn add(&self, rule: FaultRule) {
        self.rules().push(rule);
    }

    pub fn clear(&self) {
        self.rules().clear();
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.rules().clone()
    }

    /// Consumes one use of every rule that applies to this request.
    fn take(&self, method: &Method, path: &str, is_chunk: bool) -> Taken {
        let mut taken = Taken { latency_ms: 0, terminal: None, chunk: ChunkFault::default(), labels: Vec::new() };
        let mut rules = self.rules();
        for rule in rules.iter_mut().filter(|r| r.matches(method, path, is_chunk)) {
            let used = match &rule.action {
                FaultAction::Latency { millis } => {
                    taken.latency_ms += millis;
                    true
                }
                FaultAction::ServerError { .. } | FaultAction::RateLimit { .. } if taken.terminal.is_none() => {
                    taken.terminal = Some(rule.action.clone());
                    true
                }
                FaultAction::DropConnection { after_bytes } if taken.chunk.drop_after.is_none() => {
                    taken.chunk.drop_after = Some(*after_bytes);
                    true
                }
                FaultAction::PartialChunk { accept_bytes } if taken.chunk.accept_bytes.is_none() => {
                    taken.chunk.accept_bytes = Some(*accept_bytes);
                    true
                }
                _ => false,
            };
            if used {
                taken.labels.push(label(&rule.action));
                if let Some(times) = rule.times.as_mut() {
                    *times = times.saturating_sub(1);
                }
            }
        }
        rules.retain(|r| r.times != Some(0));
        taken
    }
}

fn label(action: &FaultAction) -> String {
    match action {
        FaultAction::ServerError { status } => format!("server_error {status}"),
        FaultAction::RateLimit { status, .. } => format!("rate_limit {status}"),
        FaultAction::Latency { millis } => format!("latency {millis}ms"),
        FaultAction::DropConnection { after_bytes } => format!("drop_connection after {after_bytes}"),
        FaultAction::PartialChunk { accept_bytes } => format!("partial_chunk {accept_bytes}"),
    }
}

/// The error a terminal fault answers with, in Google's shape.
fn fault_error(action: &FaultAction) -> ApiError {
    match action {
        FaultAction::RateLimit { status, reason, retry_after_secs } => {
            let (reason, message) = match reason {
                RateLimitReason::RateLimitExceeded => ("rateLimitExceeded", "Rate Limit Exceeded"),
                RateLimitReason::UserRateLimitExceeded => ("userRateLimitExceeded", "User Rate Limit Exceeded"),
            };
            let mut error =
                ApiError::new(StatusCode::from_u16(*status).unwrap_or(StatusCode::TOO_MANY_REQUESTS), reason, message);
            error.domain = "usageLimits";
            error.retry_after_secs = Some(*retry_after_secs);
            error
        }
        FaultAction::ServerError { status } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = match status.as_u16() {
                502 => "Bad Gateway",
                503 => "Service Unavailable",
                504 => "Gateway Timeout",
                _ => "Internal Error",
            };
            ApiError::new(status, "backendError", message)
        }
        _ => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "backendError", "Internal Error"),
    }
}

/// Whether a request is an upload chunk carrying bytes (not a status query).
fn is_chunk(request: &Request) -> bool {
    let path = request.uri().path();
    let has_session = request.uri().query().is_some_and(|q| q.split('&').any(|p| p.starts_with("upload_id=")));
    let status_query = request
        .headers()
        .get("content-range")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().starts_with("bytes */"));
    path == "/upload/drive/v3/files" && has_session && !status_query
}

/// Middleware applying the active faults.
pub(crate) async fn inject(State(state): State<SharedState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with("/_sim") {
        return next.run(request).await;
    }
    let taken = state.faults.take(request.method(), &path, is_chunk(&request));
    if taken.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(taken.latency_ms)).await;
    }
    let label = (!taken.labels.is_empty()).then(|| FaultLabel(taken.labels.join(", ")));
    let mut response = match &taken.terminal {
        Some(action) => {
            // Read the body first, so the client sees the error rather than a reset connection.
            let mut body = request.into_body().into_data_stream();
            while let Some(Ok(_)) = body.next().await {}
            tracing::debug!(path = %path, fault = ?action, "fault injected");
            fault_error(action).into_response()
        }
        None => {
            if taken.chunk.accept_bytes.is_some() || taken.chunk.drop_after.is_some() {
                request.extensions_mut().insert(taken.chunk);
            }
            next.run(request).await
        }
    };
    if let Some(label) = label {
        response.extensions_mut().insert(label);
    }
    response
}
