//! The admin HTTP server over a real socket: liveness, readiness, metrics, shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use butterboard_runtime::admin::{self, Readiness, ReadinessCheck};
use butterboard_runtime::shutdown::Shutdown;
use butterboard_runtime::telemetry;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A check whose outcome the test switches, optionally slow.
#[derive(Clone)]
struct Switch {
    name: &'static str,
    healthy: Arc<AtomicBool>,
    delay: Duration,
    /// Told each time a check starts.
    started: Arc<tokio::sync::Notify>,
}

impl Switch {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            healthy: Arc::new(AtomicBool::new(true)),
            delay: Duration::ZERO,
            started: Arc::new(tokio::sync::Notify::new()),
        }
    }
    fn slow(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

#[async_trait::async_trait]
impl ReadinessCheck for Switch {
    fn name(&self) -> String {
        self.name.to_string()
    }
    async fn check(&self) -> Result<(), String> {
        self.started.notify_one();
        tokio::time::sleep(self.delay).await;
        if self.healthy.load(Ordering::SeqCst) { Ok(()) } else { Err("connection refused".to_string()) }
    }
}

struct Running {
    address: SocketAddr,
    shutdown: Shutdown,
    server: JoinHandle<anyhow::Result<()>>,
}

async fn start(readiness: Readiness) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let shutdown = Shutdown::new();
    let server = tokio::spawn(admin::serve(listener, readiness, shutdown.clone()));
    Running { address, shutdown, server }
}

/// A minimal HTTP/1.1 GET: the status code and the body.
async fn get(address: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let status = response.split(' ').nth(1).and_then(|code| code.parse().ok()).expect("status line");
    let body = response.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn healthz_answers_while_the_process_runs() {
    let running = start(Readiness::new()).await;
    assert_eq!(get(running.address, "/healthz").await.0, 200);
}

#[tokio::test]
async fn readyz_turns_503_naming_the_check_that_fails_but_not_its_error_text() {
    let bus = Switch::new("bus:embedded");
    let running = start(Readiness::new().with(bus.clone()).with(Switch::new("store:scenario"))).await;

    let (status, body) = get(running.address, "/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""status":"ready""#) && body.contains("store:scenario"), "{body}");

    bus.healthy.store(false, Ordering::SeqCst);
    let (status, body) = get(running.address, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains(r#""name":"bus:embedded","ok":false,"error":"unavailable""#), "{body}");
    assert!(!body.contains("connection refused"), "the driver's error text stays in the log: {body}");
}

#[tokio::test]
async fn a_check_that_hangs_fails_after_the_timeout() {
    let running = start(Readiness::new().with(Switch::new("bus:jetstream").slow(Duration::from_secs(30)))).await;
    let started = std::time::Instant::now();
    let (status, body) = get(running.address, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains(r#""name":"bus:jetstream","ok":false,"error":"timed out""#), "{body}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn readyz_answers_503_once_shutdown_fires_and_the_server_stops() {
    let store = Switch::new("store:feedback").slow(Duration::from_millis(500));
    let running = start(Readiness::new().with(store.clone())).await;
    let probe = tokio::spawn(get(running.address, "/readyz"));
    // Shutdown fires while the probe's check is under way.
    tokio::time::timeout(Duration::from_secs(5), store.started.notified()).await.expect("the probe's check starts");
    running.shutdown.trigger();

    let (status, body) = probe.await.expect("probe");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("shutting down"), "{body}");
    let stopped = tokio::time::timeout(Duration::from_secs(5), running.server).await.expect("stops in time");
    assert!(matches!(stopped, Ok(Ok(()))), "{stopped:?}");
    assert!(TcpStream::connect(running.address).await.is_err(), "the listener is closed");
}

#[tokio::test]
async fn metrics_expose_a_counter_from_the_global_meter() {
    let _telemetry = telemetry::init("admin-test", None).expect("telemetry");
    let counter = telemetry::meter().u64_counter("admin_test.widgets").with_description("Widgets made").build();
    counter.add(2, &[opentelemetry::KeyValue::new("kind", "blue")]);
    let running = start(Readiness::new()).await;

    let (status, body) = get(running.address, "/metrics").await;
    assert_eq!(status, 200);
    assert!(body.contains("# TYPE admin_test_widgets_total counter"), "{body}");
    assert!(body.contains(r#"admin_test_widgets_total{kind="blue"} 2"#), "{body}");
}
