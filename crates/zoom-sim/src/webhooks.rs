//! Webhook delivery as Zoom does it: a signed POST that must be answered 200 or 204 within the
//! timeout (Zoom: 3 s), retried about 5, 25 and 85 minutes after the first try (compressible), then
//! dropped. Every attempt is recorded with the endpoint's answer, for inspection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::clock::zoom_time;
use crate::config::RetryTimestamp;
use crate::signing::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use crate::state::{AppState, lock};

/// How much of an endpoint's answer is kept.
const KEPT_BODY: usize = 4096;

/// One try at delivering an event.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// 1 for the first try, 2.. for retries.
    pub number: u32,
    pub sent_at: String,
    /// The `x-zm-request-timestamp` sent (seconds).
    pub request_timestamp: i64,
    /// The `x-zm-signature` sent.
    pub signature: String,
    /// The endpoint's status, if it answered in time.
    pub status: Option<u16>,
    pub latency_ms: u64,
    /// `timeout` or the connection error when there was no answer.
    pub error: Option<String>,
    /// The start of the endpoint's answer.
    pub response_body: String,
    /// 200 or 204 within the timeout.
    pub success: bool,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// The first attempt is under way.
    Sending,
    /// Failed so far; a retry is scheduled.
    Retrying,
    Delivered,
    /// Every attempt failed; Zoom drops the event.
    Dropped,
    /// No endpoint was configured: recorded, never sent.
    NoEndpoint,
}

/// One event and everything that happened to it.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: u64,
    pub event: String,
    pub meeting_id: Option<i64>,
    pub endpoint: Option<String>,
    /// The exact bytes sent (and signed).
    pub body: String,
    pub state: DeliveryState,
    pub attempts: Vec<Attempt>,
}

impl Delivery {
    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_default()
    }

    /// Whether it is settled: delivered, dropped or never sent.
    pub fn settled(&self) -> bool {
        !matches!(self.state, DeliveryState::Sending | DeliveryState::Retrying)
    }
}

/// Every delivery and url-validation challenge of this simulator.
#[derive(Debug, Default)]
pub(crate) struct WebhookLog {
    pub deliveries: Vec<Delivery>,
    pub validations: Vec<crate::validation::UrlValidation>,
}

/// What one POST produced.
pub(crate) struct Answer {
    pub status: Option<u16>,
    pub body: String,
    pub latency: Duration,
    pub error: Option<String>,
}

/// Posts `body` to `url`, signed with `timestamp`, waiting at most the configured timeout for the
/// whole answer.
pub(crate) async fn post(state: &AppState, url: &str, body: &str, timestamp: i64, signature: &str) -> Answer {
    let started = Instant::now();
    let request = state
        .http
        .post(url)
        .header("content-type", "application/json; charset=utf-8")
        .header("user-agent", "Zoom Marketplace/1.0a")
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, signature)
        // Zoom sends a tracking id, but it is not unique per event: never dedupe on it.
        .header("x-zm-trackingid", format!("v=2.0&s={}", uuid::Uuid::new_v4().simple()))
        .body(body.to_string());
    let exchange = async {
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        Ok::<_, reqwest::Error>((status, text))
    };
    match tokio::time::timeout(state.config.webhook.timeout, exchange).await {
        Ok(Ok((status, mut text))) => {
            text.truncate(text.floor_char_boundary(KEPT_BODY));
            Answer { status: Some(status), body: text, latency: started.elapsed(), error: None }
        }
        Ok(Err(e)) => {
            Answer { status: None, body: String::new(), latency: started.elapsed(), error: Some(e.to_string()) }
        }
        Err(_) => {
            Answer { status: None, body: String::new(), latency: started.elapsed(), error: Some("timeout".into()) }
        }
    }
}

fn record(state: &AppState, id: u64, attempt: Attempt, next: DeliveryState) {
    let mut log = lock(&state.webhooks);
    if let Some(d) = log.deliveries.iter_mut().find(|d| d.id == id) {
        d.attempts.push(attempt);
        d.state = next;
    }
}

async fn try_once(state: &AppState, id: u64, number: u32, url: &str, body: &str, timestamp: i64, last: bool) -> bool {
    let signature = sign(&state.config.webhook_secret_token, timestamp, body.as_bytes());
    let sent_at = zoom_time(state.now_ms());
    let answer = post(state, url, body, timestamp, &signature).await;
    let success = matches!(answer.status, Some(200 | 204));
    tracing::info!(
        delivery = id,
        attempt = number,
        status = answer.status,
        latency_ms = answer.latency.as_millis() as u64,
        success,
        "webhook attempt"
    );
    let next = match (success, last) {
        (true, _) => DeliveryState::Delivered,
        (false, true) => DeliveryState::Dropped,
        (false, false) => DeliveryState::Retrying,
    };
    let attempt = Attempt {
        number,
        sent_at,
        request_timestamp: timestamp,
        signature,
        status: answer.status,
        latency_ms: answer.latency.as_millis() as u64,
        error: answer.error,
        response_body: answer.body,
        success,
    };
    record(state, id, attempt, next);
    success
}

/// Records the event and makes its first attempt (returning after it); retries run in the
/// background on Zoom's schedule. Returns the delivery id.
pub(crate) async fn deliver(state: &Arc<AppState>, event: &str, meeting_id: Option<i64>, body: String) -> u64 {
    let endpoint = lock(&state.endpoint).clone();
    let id = {
        let mut log = lock(&state.webhooks);
        let id = log.deliveries.len() as u64 + 1;
        let delivery_state = if endpoint.is_some() { DeliveryState::Sending } else { DeliveryState::NoEndpoint };
        log.deliveries.push(Delivery {
            id,
            event: event.to_string(),
            meeting_id,
            endpoint: endpoint.clone(),
            body: body.clone(),
            state: delivery_state,
            attempts: Vec::new(),
        });
        id
    };
    let Some(url) = endpoint else {
        tracing::debug!(delivery = id, event, "no webhook endpoint, event recorded only");
        return id;
    };
    let first_try = tokio::time::Instant::now();
    let first_ts = state.now_ms() / 1000;
    let offsets = state.config.webhook.retry_offsets.clone();
    if try_once(state, id, 1, &url, &body, first_ts, offsets.is_empty()).await {
        return id;
    }
    let state = Arc::clone(state);
    let tracker = state.tasks.clone();
    tracker.spawn(async move {
        for (i, offset) in offsets.iter().enumerate() {
            let due = crate::config::deadline(first_try, state.config.compress(*offset));
            tokio::select! {
                _ = tokio::time::sleep_until(due) => {}
                _ = state.shutdown.cancelled() => return,
            }
            let timestamp = match state.config.webhook.retry_timestamp {
                RetryTimestamp::Fresh => state.now_ms() / 1000,
                RetryTimestamp::Original => first_ts,
            };
            let last = i + 1 == offsets.len();
            if try_once(&state, id, i as u32 + 2, &url, &body, timestamp, last).await {
                return;
            }
        }
        tracing::warn!(delivery = id, "webhook dropped after the last retry");
    });
    id
}
