//! The binary as an operator meets it: `run` in embedded mode becomes ready and stops cleanly on
//! SIGTERM; bad configuration and bad targets stop it with a message naming the problem; a token
//! minted by `butterboard token` is accepted by the running gRPC API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use butterboard_proto::scenario::v1::WhoAmIRequest;
use butterboard_proto::scenario::v1::scenario_service_client::ScenarioServiceClient;

const BINARY: &str = env!("CARGO_BIN_EXE_butterboard");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `butterboard` with a clean environment: embedded mode, data in `data`, loopback ports.
struct Embedded {
    data: tempfile::TempDir,
    admin: u16,
    grpc: u16,
}

impl Embedded {
    fn new() -> Self {
        Self { data: tempfile::tempdir().unwrap(), admin: free_port(), grpc: free_port() }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BINARY);
        command
            .args(args)
            .env_clear()
            .env("BUTTERBOARD_DATA_DIR", self.data.path())
            .env("BUTTERBOARD_ADMIN_ADDR", format!("127.0.0.1:{}", self.admin))
            .env("BUTTERBOARD_GRPC_ADDR", format!("127.0.0.1:{}", self.grpc))
            .env("BUTTERBOARD_WEBHOOK_ADDR", format!("127.0.0.1:{}", free_port()))
            .env("RUST_LOG", "info");
        command
    }

    fn spawn(&self) -> Child {
        self.command(&["run"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
    }

    fn output(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    async fn wait_ready(&self, child: &mut Child) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{}/readyz", self.admin);
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("butterboard exited early with {status}");
            }
            if let Ok(response) = client.get(&url).send().await
                && response.status() == 200
            {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "not ready within 30 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Polls `check` for up to 20 s.
fn testing_wait(check: impl Fn() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn sigterm(child: &Child) {
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
}

/// Waits for the process to exit within `limit`, returning its status and everything it logged.
fn wait_exit(mut child: Child, limit: Duration) -> (std::process::ExitStatus, String) {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(started.elapsed() < limit, "did not exit within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let logs = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status, logs)
}

#[tokio::test]
async fn run_embedded_becomes_ready_and_exits_zero_on_sigterm() {
    let embedded = Embedded::new();
    let mut child = embedded.spawn();
    embedded.wait_ready(&mut child).await;
    for service in ["scenario", "meeting-orchestrator", "zoom-webhook-ingest", "recording-archiver", "feedback"] {
        assert!(embedded.data.path().join(format!("{service}.sqlite")).exists(), "{service} has its own store");
    }
    // No credentials: the built-in simulators stand in, and Drive files land under the data dir.
    assert!(embedded.data.path().join("sim/drive-service-account.json").exists(), "the drive simulator issued a key");
    assert!(
        embedded.data.path().join("drive/Butterboard Recordings").is_dir(),
        "the shared drive is browsable on disk"
    );
    sigterm(&child);
    let (status, logs) = wait_exit(child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "graceful shutdown exits 0: {logs}");
}

#[tokio::test]
async fn sim_serves_zoom_and_drive_and_prints_how_to_use_them() {
    let embedded = Embedded::new();
    let (zoom, drive) = (free_port(), free_port());
    let mut child = embedded
        .command(&["sim", "--zoom-addr", &format!("127.0.0.1:{zoom}"), "--drive-addr", &format!("127.0.0.1:{drive}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The simulators are up once their description is printed; it names this data directory's
    // secrets, which are the ones the simulator accepts.
    let stdout = child.stdout.take().unwrap();
    let (line_tx, line_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
            let _ = line_tx.send(line);
        }
    });
    let mut printed = Vec::new();
    while !printed.last().is_some_and(|l: &String| l.contains("ctrl-c to stop")) {
        printed.push(line_rx.recv_timeout(Duration::from_secs(20)).expect("the description is printed"));
    }
    let printed = printed.join("\n");
    let value = |name: &str| {
        let line = printed.lines().find_map(|l| l.trim().strip_prefix(&format!("{name}=")).map(str::to_string));
        line.unwrap_or_else(|| panic!("{name} in {printed}"))
    };
    let (client_secret, webhook_secret) = (value("ZOOM_CLIENT_SECRET"), value("ZOOM_WEBHOOK_SECRET_TOKEN"));
    let kept = zoom_sim::SimSecrets::load_or_create(&embedded.data.path().join("sim/zoom")).unwrap();
    assert_eq!((&client_secret, &webhook_secret), (&kept.client_secret, &kept.webhook_secret_token));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let token_url =
        format!("http://127.0.0.1:{zoom}/oauth/token?grant_type=account_credentials&account_id=sim-account");
    let published = client.post(&token_url).basic_auth("sim-client", Some("sim-secret")).send().await.unwrap();
    assert_eq!(published.status(), 401, "the published default client secret is refused");
    let response = client.post(&token_url).basic_auth("sim-client", Some(&client_secret)).send().await.unwrap();
    assert_eq!(response.status(), 200, "the printed client secret is accepted");
    let token = response.json::<serde_json::Value>().await.unwrap();
    assert!(token["access_token"].as_str().is_some_and(|t| !t.is_empty()));
    let started = Instant::now();
    // The Drive simulator starts after the Zoom one: wait for it too.
    let about = loop {
        if let Ok(response) = client.get(format!("http://127.0.0.1:{drive}/drive/v3/about?fields=user")).send().await {
            break response;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the drive simulator answers");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(about.status(), 401, "the drive simulator wants a token like Drive does");
    let drive_key = embedded.data.path().join("sim/drive-service-account.json");
    assert!(testing_wait(|| drive_key.exists()), "the key file is written before the description");
    sigterm(&child);
    let (status, logs) = wait_exit(child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "{logs}");
    for line in ["ZOOM_API_BASE_URL=", "GOOGLE_APPLICATION_CREDENTIALS=", "DRIVE_ROOT_FOLDER_ID="] {
        assert!(printed.contains(line), "{line} in {printed}");
    }
}

#[tokio::test]
async fn health_needs_no_token_and_a_cli_token_is_accepted_by_the_running_api() {
    let embedded = Embedded::new();
    let mut child = embedded.spawn();
    embedded.wait_ready(&mut child).await;
    let minted = embedded.output(&["token", "--role", "hr", "--sub", "hr@butterboard.online"]);
    assert!(minted.status.success(), "{}", String::from_utf8_lossy(&minted.stderr));
    let token = String::from_utf8(minted.stdout).unwrap().trim().to_string();

    let channel = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{}", embedded.grpc))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    for service in ["butterboard.scenario.v1.ScenarioService", "butterboard.feedback.v1.FeedbackService"] {
        let request = tonic_health::pb::HealthCheckRequest { service: service.into() };
        let status = health.check(request).await.expect("health needs no token").into_inner().status;
        assert_eq!(status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32, "{service}");
    }

    let mut client = ScenarioServiceClient::connect(format!("http://127.0.0.1:{}", embedded.grpc)).await.unwrap();
    let refused = client.who_am_i(WhoAmIRequest {}).await.expect_err("no token");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);

    let mut request = tonic::Request::new(WhoAmIRequest {});
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let me = client.who_am_i(request).await.expect("a minted token is accepted").into_inner();
    assert_eq!(me.subject, "hr@butterboard.online");
    assert_eq!(me.roles, vec!["hr".to_string()]);
    sigterm(&child);
    let (status, logs) = wait_exit(child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "{logs}");
}

#[test]
fn an_invalid_listen_address_stops_the_process_naming_the_variable() {
    let embedded = Embedded::new();
    let output = embedded.command(&["run"]).env("BUTTERBOARD_GRPC_ADDR", "not-an-address").output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("BUTTERBOARD_GRPC_ADDR"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_unknown_target_lists_the_valid_ones() {
    let output = Embedded::new().output(&["run", "--target", "scenario,zoom"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("valid targets: all, scenario, meeting-orchestrator"), "{stderr}");
}

#[test]
fn distributed_mode_refuses_a_target_without_its_database_url() {
    let embedded = Embedded::new();
    let output = embedded
        .command(&["run", "--target", "scenario"])
        .env("NATS_URL", "nats://127.0.0.1:4222")
        .env("FEEDBACK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SCENARIO_DATABASE_URL"), "{stderr}");
}

#[test]
fn secrets_in_the_environment_never_reach_the_logs() {
    let embedded = Embedded::new();
    let mut child = embedded
        .command(&["run"])
        .env("ZOOM_ACCOUNT_ID", "account-1")
        .env("ZOOM_CLIENT_ID", "client-1")
        .env("ZOOM_CLIENT_SECRET", "zoom-client-secret-value")
        .env("ZOOM_WEBHOOK_SECRET_TOKEN", "zoom-webhook-secret-value")
        .env("AUTH_JWT_HS256_SECRET", "jwt-secret-value-0123456789abcdef")
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Debug logs outgrow a pipe's buffer long before the process is ready: read them as they
    // come, or the process blocks writing them.
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(embedded.wait_ready(&mut child));
    sigterm(&child);
    child.wait().unwrap();
    let logs = format!("{}{}", stdout.join().unwrap(), stderr.join().unwrap());
    assert!(logs.contains("butterboard starting"), "logs were captured: {logs}");
    for secret in ["zoom-client-secret-value", "zoom-webhook-secret-value", "jwt-secret-value"] {
        assert!(!logs.contains(secret), "{secret} leaked into the logs");
    }
}

#[tokio::test]
async fn demo_imports_the_example_assigns_employees_and_shows_who_meets_and_a_rerun_changes_nothing() {
    let embedded = Embedded::new();
    let absent = embedded.output(&["demo"]);
    assert!(!absent.status.success());
    let error = String::from_utf8_lossy(&absent.stderr);
    assert!(error.contains("cannot reach the scenario service"), "{error}");

    let mut child = embedded.spawn();
    embedded.wait_ready(&mut child).await;
    let first = embedded.output(&["demo", "--start-date", "2026-03-02"]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let shown = String::from_utf8(first.stdout).unwrap();
    assert!(shown.contains("imported from the shipped example"), "{shown}");
    // Monday 2 March: meet the team on the third working day, in the employee's week 1.
    assert!(shown.contains("2026-03-04 Meet the team"), "{shown}");
    let meeting = shown.split("brings together").nth(1).expect("the meeting's people");
    for person in ["oleg.manager@example.com", "ivan.team@example.com", "maria.team@example.com"] {
        assert!(meeting.contains(person), "{person} in {meeting}");
    }
    assert_eq!(meeting.matches("new employee").count(), 3, "{meeting}");

    let again = embedded.output(&["demo", "--start-date", "2026-03-02"]);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let shown = String::from_utf8(again.stdout).unwrap();
    assert!(shown.contains("imported before"), "the scenario is reused: {shown}");
    let meeting = shown.split("brings together").nth(1).expect("the meeting's people");
    assert_eq!(meeting.matches("new employee").count(), 3, "nobody assigned twice: {meeting}");

    let bad = embedded.output(&["demo", "--employees", "4", "--start-date", "the first of March"]);
    assert!(!bad.status.success());
    let error = String::from_utf8_lossy(&bad.stderr);
    assert!(error.contains("start_date") && !error.contains("panicked"), "{error}");
    sigterm(&child);
    let (status, logs) = wait_exit(child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "{logs}");
}
