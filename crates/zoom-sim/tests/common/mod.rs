//! Helpers shared by the integration tests: a simulator on port 0, a plain reqwest client, a token,
//! and a local webhook receiver whose answers each test scripts.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};
use zoom_sim::{ZoomSim, ZoomSimConfig};

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/zoom");

/// A config that plays scripts fast: 45 meeting minutes take about 27 ms.
pub fn fast_config() -> ZoomSimConfig {
    ZoomSimConfig { time_compression: 100_000.0, ..ZoomSimConfig::default() }
}

pub async fn start(config: ZoomSimConfig) -> ZoomSim {
    zoom_sim::start(config, None).await.expect("simulator starts")
}

/// A plain HTTP client that does not follow redirects (tests look at the 302 themselves).
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client builds")
}

/// An access token for the default credentials.
pub async fn token(http: &reqwest::Client, sim: &ZoomSim) -> String {
    let response = http
        .post(sim.oauth_url())
        .query(&[("grant_type", "account_credentials"), ("account_id", "sim-account")])
        .basic_auth("sim-client", Some("sim-secret"))
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("token json");
    body["access_token"].as_str().expect("access_token").to_string()
}

/// Creates a meeting for `host` and returns Zoom's answer.
pub async fn create_meeting(http: &reqwest::Client, sim: &ZoomSim, token: &str, host: &str, body: Value) -> Value {
    let response = http
        .post(format!("{}/users/{host}/meetings", sim.api_base_url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("create request");
    let status = response.status();
    let body: Value = response.json().await.expect("create json");
    assert_eq!(status, 201, "{body}");
    body
}

/// A scheduled meeting with cloud recording and one invitee.
pub fn meeting_body() -> Value {
    json!({
        "topic": "Meet the team",
        "type": 2,
        "start_time": "2026-12-01T09:00:00Z",
        "duration": 45,
        "timezone": "Europe/Moscow",
        "agenda": "Introductions",
        "settings": {"auto_recording": "cloud", "meeting_invitees": [{"email": "anna@butterboard.online"}]}
    })
}

/// A script with two participants, a chat message, a paused recording (two MP4 and two M4A
/// segments) and a transcript.
pub fn full_script(mp4_size: u64) -> zoom_sim::PlayScript {
    serde_json::from_value(json!({
        "duration_secs": 2700,
        "participants": [
            {"name": "Oleg Ivanov", "email": "oleg@butterboard.online", "join_secs": 0},
            {"name": "Анна Смирнова", "email": "anna@butterboard.online", "join_secs": 90, "leave_secs": 2600}
        ],
        "chat": [{"at_secs": 400, "sender": "anna@butterboard.online", "text": "Где найти презентацию?"}],
        "recording": {"segments": [
            {"start_secs": 3, "end_secs": 1200, "files": [{"file_type": "MP4", "size": mp4_size}, {"file_type": "M4A", "size": 5000}]},
            {"start_secs": 1500, "end_secs": 2690, "files": [{"file_type": "MP4", "size": 4096}, {"file_type": "M4A", "size": 2600}]}
        ]},
        "transcript": [{"start_secs": 10.0, "end_secs": 14.0, "speaker": "Oleg Ivanov", "text": "Welcome"}]
    }))
    .expect("script parses")
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub event: String,
    pub timestamp: String,
    pub signature: String,
    pub body: Bytes,
    pub at: Instant,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("body is json")
    }
}

/// How the receiver answers one request.
#[derive(Debug, Clone, Copy)]
pub struct Reply {
    pub status: u16,
    pub delay: Duration,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Self { status, delay: Duration::ZERO }
    }
    pub fn slow(delay: Duration) -> Self {
        Self { status: 200, delay }
    }
}

#[derive(Default)]
struct ReceiverState {
    received: Mutex<Vec<Received>>,
    replies: Mutex<HashMap<String, VecDeque<Reply>>>,
    validation_secret: Mutex<Option<String>>,
}

/// A local webhook endpoint: records every request and answers as scripted (200 by default).
pub struct Receiver {
    pub url: String,
    state: Arc<ReceiverState>,
}

impl Receiver {
    pub async fn start() -> Self {
        let state = Arc::new(ReceiverState::default());
        let app = Router::new().route("/zoom", axum::routing::post(receive)).with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("receiver binds");
        let url = format!("http://{}/zoom", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, state }
    }

    /// The next requests carrying `event` get these answers, in order; later ones get 200.
    pub fn reply(&self, event: &str, replies: Vec<Reply>) {
        self.state.replies.lock().expect("lock").insert(event.to_string(), replies.into());
    }

    /// Answer url-validation challenges computing the token with `secret`.
    pub fn answer_validation_with(&self, secret: &str) {
        *self.state.validation_secret.lock().expect("lock") = Some(secret.to_string());
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().expect("lock").clone()
    }

    pub fn events(&self) -> Vec<String> {
        self.received().into_iter().map(|r| r.event).collect()
    }
}

async fn receive(State(state): State<Arc<ReceiverState>>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let parsed: Value = serde_json::from_slice(&body).unwrap_or_default();
    let event = parsed["event"].as_str().unwrap_or_default().to_string();
    state.received.lock().expect("lock").push(Received {
        event: event.clone(),
        timestamp: header("x-zm-request-timestamp"),
        signature: header("x-zm-signature"),
        body: body.clone(),
        at: Instant::now(),
    });
    if event == "endpoint.url_validation" {
        let secret = state.validation_secret.lock().expect("lock").clone().unwrap_or_default();
        let plain = parsed["payload"]["plainToken"].as_str().unwrap_or_default();
        let encrypted = zoom_sim::signing::encrypted_token(&secret, plain);
        return axum::Json(json!({"plainToken": plain, "encryptedToken": encrypted})).into_response();
    }
    let reply = state.replies.lock().expect("lock").get_mut(&event).and_then(VecDeque::pop_front);
    let reply = reply.unwrap_or(Reply::status(200));
    tokio::time::sleep(reply.delay).await;
    StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK).into_response()
}

/// Zoom's error body check: status and `code`.
pub async fn assert_zoom_error(response: reqwest::Response, status: u16, code: i64) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("error body is json");
    assert_eq!(body["code"], code, "{body}");
    assert!(body["message"].is_string(), "{body}");
    body
}

/// `GET url` with the token.
pub async fn get(http: &reqwest::Client, url: &str, token: &str) -> reqwest::Response {
    http.get(url).bearer_auth(token).send().await.expect("request")
}

/// `GET url` with the token, expecting 200 and JSON.
pub async fn get_ok(http: &reqwest::Client, url: &str, token: &str) -> Value {
    let response = get(http, url, token).await;
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, 200, "{url}: {body}");
    body
}
