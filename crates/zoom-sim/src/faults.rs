//! Injected faults, for tests of what a client does when Zoom misbehaves: the next N matching API
//! requests answer with a status (a 5xx, or a 429 with `Retry-After: 1`) and Zoom's error body,
//! and/or wait before being answered. A fault can strike before the request is handled (nothing
//! happened, as when Zoom's front end fails) or after (the meeting was created but the answer was
//! lost, as when a connection breaks). Faults apply to `/oauth` and `/v2` routes, never `/_sim`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::state::{AppState, lock};

/// One fault rule. `path` matches the request path segment by segment: `*` matches one segment,
/// a final `**` any rest, e.g. `/v2/users/*/meetings` or `/v2/meetings/**`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// `POST`, `GET`, …; `None` matches every method.
    #[serde(default)]
    pub method: Option<String>,
    pub path: String,
    /// The status to answer with (400–599); `None` only delays.
    #[serde(default)]
    pub status: Option<u16>,
    /// How many matching requests it strikes; `None` every one until the faults are cleared.
    #[serde(default)]
    pub times: Option<u32>,
    /// How long a struck request waits before it is handled (or refused).
    #[serde(default)]
    pub latency_ms: u64,
    /// Handle the request first, then answer with `status` instead of the real answer.
    #[serde(default)]
    pub after_processing: bool,
}

impl Fault {
    /// The next `times` requests of `method path` answer `status` without being handled.
    pub fn status(method: &str, path: &str, status: u16, times: u32) -> Self {
        Self {
            method: Some(method.to_string()),
            path: path.to_string(),
            status: Some(status),
            times: Some(times),
            latency_ms: 0,
            after_processing: false,
        }
    }

    /// Every request of `method path` waits `latency` before being handled.
    pub fn latency(method: &str, path: &str, latency: Duration) -> Self {
        Self {
            method: Some(method.to_string()),
            path: path.to_string(),
            status: None,
            times: None,
            latency_ms: u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
            after_processing: false,
        }
    }

    fn check(&self) -> Result<(), ApiError> {
        if !self.path.starts_with('/') {
            return Err(ApiError::invalid("path", "must start with /"));
        }
        if self.status.is_some_and(|s| !(400..=599).contains(&s)) {
            return Err(ApiError::invalid("status", "must be from 400 to 599"));
        }
        if self.status.is_none() && self.latency_ms == 0 {
            return Err(ApiError::invalid("status", "a fault needs a status, a latency or both"));
        }
        if self.after_processing && self.status.is_none() {
            return Err(ApiError::invalid("after_processing", "needs a status to answer with"));
        }
        Ok(())
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        if self.method.as_deref().is_some_and(|m| !m.eq_ignore_ascii_case(method)) {
            return false;
        }
        let mut pattern = self.path.trim_matches('/').split('/');
        let mut segments = path.trim_matches('/').split('/');
        loop {
            match (pattern.next(), segments.next()) {
                (Some("**"), _) => return true,
                (None, None) => return true,
                (Some(p), Some(s)) if p == "*" || p == s => continue,
                _ => return false,
            }
        }
    }
}

/// A fault with its counters, as `/_sim/faults` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct FaultState {
    pub id: u64,
    #[serde(flatten)]
    pub fault: Fault,
    /// Requests it struck so far.
    pub hits: u64,
}

#[derive(Debug, Default)]
pub(crate) struct FaultTable {
    next_id: u64,
    rules: Vec<FaultState>,
}

impl FaultTable {
    pub fn add(&mut self, fault: Fault) -> Result<u64, ApiError> {
        fault.check()?;
        self.next_id += 1;
        self.rules.push(FaultState { id: self.next_id, fault, hits: 0 });
        Ok(self.next_id)
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    pub fn list(&self) -> Vec<FaultState> {
        self.rules.clone()
    }

    /// The first rule with strikes left that matches, counting the strike.
    fn strike(&mut self, method: &str, path: &str) -> Option<Fault> {
        let rule = self
            .rules
            .iter_mut()
            .find(|r| r.fault.times.is_none_or(|t| r.hits < u64::from(t)) && r.fault.matches(method, path))?;
        rule.hits += 1;
        Some(rule.fault.clone())
    }
}

/// The middleware in front of the API routes.
pub(crate) async fn layer(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let struck = lock(&state.faults).strike(request.method().as_str(), request.uri().path());
    let Some(fault) = struck else {
        return next.run(request).await;
    };
    tracing::info!(method = %request.method(), path = request.uri().path(), status = fault.status, "fault injected");
    if fault.latency_ms > 0 {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(fault.latency_ms)) => {}
            _ = state.shutdown.cancelled() => {}
        }
    }
    match fault.status {
        None => next.run(request).await,
        Some(status) => {
            if fault.after_processing {
                drop(next.run(request).await);
            }
            ApiError::Injected { status }.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_segment_by_segment() {
        let create = Fault::status("POST", "/v2/users/*/meetings", 503, 1);
        assert!(create.matches("POST", "/v2/users/oleg%40butterboard.online/meetings"));
        assert!(!create.matches("GET", "/v2/users/oleg%40butterboard.online/meetings"));
        assert!(!create.matches("POST", "/v2/users/oleg/meetings/extra"));
        let any = Fault { method: None, ..Fault::status("GET", "/v2/meetings/**", 500, 1) };
        assert!(any.matches("PATCH", "/v2/meetings/123"));
        assert!(any.matches("GET", "/v2/meetings/123/recordings"));
        assert!(!any.matches("GET", "/v2/users/x"));
    }

    #[test]
    fn a_fault_strikes_its_number_of_times_then_lets_requests_through() {
        let mut table = FaultTable::default();
        table.add(Fault::status("POST", "/v2/users/*/meetings", 503, 2)).expect("valid");
        assert!(table.strike("POST", "/v2/users/u/meetings").is_some());
        assert!(table.strike("POST", "/v2/users/u/meetings").is_some());
        assert!(table.strike("POST", "/v2/users/u/meetings").is_none());
        assert_eq!(table.list()[0].hits, 2);
        assert!(table.add(Fault { status: Some(200), ..Fault::status("GET", "/v2", 500, 1) }).is_err());
    }
}
