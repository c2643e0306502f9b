//! The Zoom simulator on port 0, a client pointed at it, and a fault proxy that answers chosen
//! requests with 5xx before passing the rest to the simulator (the simulator has no 5xx faults).

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use zoom::rest::{BudgetConfig, ClientConfig, Credentials, RetryPolicy, ZoomClient};
use zoom_sim::{ZoomSim, ZoomSimConfig};

pub const HOST: &str = "oleg@butterboard.online";

pub fn fast(config: ZoomSimConfig) -> ZoomSimConfig {
    ZoomSimConfig { time_compression: 100_000.0, ..config }
}

pub async fn sim(config: ZoomSimConfig) -> ZoomSim {
    zoom_sim::start(fast(config), None).await.expect("simulator starts")
}

pub fn credentials() -> Credentials {
    Credentials { account_id: "sim-account".into(), client_id: "sim-client".into(), client_secret: "sim-secret".into() }
}

/// Client settings for tests: quick retries, no local budget (so the simulator's limits are hit).
pub fn config(api: &str, oauth: &str) -> ClientConfig {
    let mut config = ClientConfig::with_urls(api, oauth, credentials());
    config.retry = RetryPolicy {
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        ..RetryPolicy::default()
    };
    config.budget = BudgetConfig {
        light_per_second: 0.0,
        medium_per_second: 0.0,
        heavy_per_second: 0.0,
        ..BudgetConfig::default()
    };
    config.request_timeout = Duration::from_secs(10);
    config
}

/// A client for the simulator, whose origin serves its download URLs.
pub fn client(sim: &ZoomSim) -> ZoomClient {
    let config = config(&sim.api_base_url(), &sim.oauth_url()).allow_download_origin(sim.base_url());
    ZoomClient::new(config).expect("client")
}

/// A script recording two segments (MP4 of `mp4_size` bytes and M4A each) and a transcript.
pub fn recorded_script(mp4_size: u64) -> zoom_sim::PlayScript {
    serde_json::from_value(json!({
        "duration_secs": 2700,
        "participants": [{"name": "Oleg Ivanov", "email": HOST, "join_secs": 0}],
        "recording": {"segments": [
            {"start_secs": 3, "end_secs": 1200, "files": [{"file_type": "MP4", "size": mp4_size}, {"file_type": "M4A", "size": 5000}]},
            {"start_secs": 1500, "end_secs": 2690, "files": [{"file_type": "MP4", "size": 4096}]}
        ]},
        "transcript": [{"start_secs": 10.0, "end_secs": 14.0, "speaker": "Oleg Ivanov", "text": "Welcome"}]
    }))
    .expect("script parses")
}

/// A proxy in front of the simulator that answers the first `failures` requests whose path
/// contains `path_part` with `status`, and forwards everything else.
pub struct FaultProxy {
    pub base_url: String,
    pub hits: Arc<AtomicUsize>,
}

struct ProxyState {
    target: String,
    path_part: String,
    status: StatusCode,
    failures: usize,
    hits: Arc<AtomicUsize>,
    http: reqwest::Client,
}

impl FaultProxy {
    pub async fn start(target: &str, path_part: &str, status: u16, failures: usize) -> FaultProxy {
        let hits = Arc::new(AtomicUsize::new(0));
        let state = Arc::new(ProxyState {
            target: target.trim_end_matches('/').to_string(),
            path_part: path_part.to_string(),
            status: StatusCode::from_u16(status).expect("status"),
            failures,
            hits: hits.clone(),
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("proxy client"),
        });
        let app = axum::Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        FaultProxy { base_url, hits }
    }
}

async fn forward(State(state): State<Arc<ProxyState>>, request: Request) -> Response {
    let path = request.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    if path.contains(&state.path_part) {
        let hit = state.hits.fetch_add(1, Ordering::SeqCst);
        if hit < state.failures {
            return (state.status, axum::Json(json!({"code": state.status.as_u16(), "message": "injected fault"})))
                .into_response();
        }
    }
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default();
    let mut outgoing = state.http.request(parts.method, format!("{}{path}", state.target)).body(body);
    for (name, value) in &parts.headers {
        if name != "host" {
            outgoing = outgoing.header(name, value);
        }
    }
    match outgoing.send().await {
        Ok(answer) => {
            let mut response = Response::builder().status(answer.status().as_u16());
            for (name, value) in answer.headers() {
                response = response.header(name, value);
            }
            response
                .body(Body::from_stream(answer.bytes_stream()))
                .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}
