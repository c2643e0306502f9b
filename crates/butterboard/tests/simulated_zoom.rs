//! `butterboard run` on the built-in Zoom simulator, as someone who can reach the machine meets
//! it: the webhook listener is on loopback unless an address is configured, and a delivery signed
//! with the simulator's published default secret is refused; the data directory's own secret is
//! what the ingest verifies with.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_butterboard");
/// The default webhook port: this test leaves the webhook address unset on purpose.
const DEFAULT_WEBHOOK_PORT: u16 = 8080;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Listening sockets on `port` as `/proc/net/tcp{,6}` shows them: the local address in hex.
fn listening_on(port: u16) -> Vec<String> {
    let mut found = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state)) = (fields.get(1), fields.get(3)) else { continue };
            // 0A is LISTEN.
            if *state == "0A" && local.ends_with(&format!(":{port:04X}")) {
                found.push(local.to_string());
            }
        }
    }
    found
}

async fn wait_ready(child: &mut Child, admin: u16) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("butterboard exited early with {status}");
        }
        if let Ok(response) = client.get(format!("http://127.0.0.1:{admin}/readyz")).send().await
            && response.status() == 200
        {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "not ready within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A `meeting.started` body and its headers, signed with `secret` now.
fn signed(secret: &str, n: u32) -> (String, String, String) {
    let body = serde_json::json!({
        "event": "meeting.started",
        "event_ts": 1_764_579_612_000_i64 + i64::from(n),
        "payload": {"account_id": "sim-account", "object": {"id": "84512390771", "uuid": format!("uuid-{n}=="), "topic": "Meet the team"}}
    })
    .to_string();
    let timestamp = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()).to_string();
    let signature = zoom_sim::signing::sign(secret, &timestamp, body.as_bytes());
    (body, timestamp, signature)
}

async fn post(url: &str, (body, timestamp, signature): (String, String, String)) -> u16 {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("x-zm-request-timestamp", timestamp)
        .header("x-zm-signature", signature)
        .body(body)
        .send()
        .await
        .expect("the webhook listener answers on loopback");
    response.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_simulator_the_webhook_listens_on_loopback_and_the_published_secret_is_refused() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    assert!(
        listening_on(DEFAULT_WEBHOOK_PORT).is_empty(),
        "port {DEFAULT_WEBHOOK_PORT} is taken by another process; this test needs the default webhook port"
    );
    let data = tempfile::tempdir().unwrap();
    let admin = free_port();
    let mut child = Command::new(BINARY)
        .arg("run")
        .env_clear()
        .env("BUTTERBOARD_DATA_DIR", data.path())
        .env("BUTTERBOARD_ADMIN_ADDR", format!("127.0.0.1:{admin}"))
        .env("BUTTERBOARD_GRPC_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_ready(&mut child, admin).await;

    // 127.0.0.1:8080 is 0100007F:1F90; any other local address would reach beyond the machine.
    let listeners = listening_on(DEFAULT_WEBHOOK_PORT);
    let url = format!("http://127.0.0.1:{DEFAULT_WEBHOOK_PORT}/zoom/webhooks");
    let published = post(&url, signed(zoom_sim::config::DEFAULT_WEBHOOK_SECRET_TOKEN, 1)).await;
    let secrets = zoom_sim::SimSecrets::load_or_create(&data.path().join("sim/zoom")).unwrap();
    let own = post(&url, signed(&secrets.webhook_secret_token, 2)).await;

    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let output = child.wait_with_output().unwrap();
    let logs = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert_eq!(listeners, ["0100007F:1F90"], "the webhook listener is on loopback only: {logs}");
    assert_eq!(published, 401, "a delivery signed with the published default secret is forged");
    assert_eq!(own, 200, "the data directory's simulator secret is the one verified: {logs}");
    assert!(logs.contains(r#""webhook":"127.0.0.1:8080""#), "{logs}");
    assert!(!logs.contains(&secrets.webhook_secret_token), "the secret never reaches the logs");
    assert!(output.status.success(), "{logs}");
}
