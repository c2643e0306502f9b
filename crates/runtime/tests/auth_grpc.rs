//! The gRPC server end to end with a real tonic client: bearer tokens and roles on a protected
//! service, health and reflection without a token, graceful shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use butterboard_proto::ingest::v1::ingest_admin_service_client::IngestAdminServiceClient;
use butterboard_proto::ingest::v1::ingest_admin_service_server::{IngestAdminService, IngestAdminServiceServer};
use butterboard_proto::ingest::v1::{WhoAmIRequest, WhoAmIResponse};
use butterboard_runtime::auth::{self, Authenticator, Role};
use butterboard_runtime::grpc::GrpcServer;
use butterboard_runtime::shutdown::Shutdown;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_stream::StreamExt as _;
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

const ISSUER: &str = "butterboard";
const AUDIENCE: &str = "butterboard-meetings";
const KEY: &[u8] = b"test-key-test-key-test-key-test!";

/// A service whose only call requires the `hr` role and echoes the caller.
struct HrOnly;

#[tonic::async_trait]
impl IngestAdminService for HrOnly {
    async fn who_am_i(&self, request: Request<WhoAmIRequest>) -> Result<Response<WhoAmIResponse>, Status> {
        let caller = auth::caller(&request)?;
        caller.require_any(&[Role::Hr])?;
        Ok(Response::new(WhoAmIResponse {
            subject: caller.subject.clone(),
            roles: caller.roles.iter().map(ToString::to_string).collect(),
        }))
    }
}

struct Running {
    channel: Channel,
    shutdown: Shutdown,
    server: JoinHandle<anyhow::Result<()>>,
}

async fn start() -> Running {
    let auth = Authenticator::hs256(KEY, ISSUER, AUDIENCE);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address: SocketAddr = listener.local_addr().expect("address");
    let routes = tonic::service::Routes::new(auth.protect(IngestAdminServiceServer::new(HrOnly)));
    let shutdown = Shutdown::new();
    let server = tokio::spawn(butterboard_runtime::grpc::serve(listener, routes, auth, shutdown.clone()));
    let channel = Channel::from_shared(format!("http://{address}")).expect("uri").connect().await.expect("connect");
    Running { channel, shutdown, server }
}

fn with_token(token: &str) -> Request<WhoAmIRequest> {
    let mut request = Request::new(WhoAmIRequest {});
    auth::attach_bearer(&mut request, token).expect("header value");
    request
}

async fn who_am_i(running: &Running, request: Request<WhoAmIRequest>) -> Result<WhoAmIResponse, Status> {
    IngestAdminServiceClient::new(running.channel.clone()).who_am_i(request).await.map(Response::into_inner)
}

fn mint(roles: &[Role]) -> String {
    Authenticator::hs256(KEY, ISSUER, AUDIENCE).mint("anna@example.com", roles, Duration::from_secs(60)).expect("mint")
}

#[tokio::test]
async fn a_call_without_a_token_is_unauthenticated() {
    let running = start().await;
    let status = who_am_i(&running, Request::new(WhoAmIRequest {})).await.expect_err("no token");
    assert_eq!(status.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_unauthenticated_and_not_echoed() {
    let running = start().await;
    let forged = Authenticator::hs256(b"another-key-another-key-another!", ISSUER, AUDIENCE)
        .mint("mallory@example.com", &[Role::Hr], Duration::from_secs(60))
        .expect("mint");
    let status = who_am_i(&running, with_token(&forged)).await.expect_err("wrong key");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(!status.message().contains(&forged), "{}", status.message());
}

#[tokio::test]
async fn an_expired_token_is_unauthenticated() {
    let running = start().await;
    let now = jsonwebtoken::get_current_timestamp();
    let claims = serde_json::json!({
        "sub": "anna@example.com", "roles": ["hr"], "iss": ISSUER, "aud": AUDIENCE,
        "iat": now - 3600, "exp": now - 600,
    });
    let expired =
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &jsonwebtoken::EncodingKey::from_secret(KEY))
            .expect("encode");
    let status = who_am_i(&running, with_token(&expired)).await.expect_err("expired");
    assert_eq!(status.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn a_valid_token_without_the_role_is_permission_denied() {
    let running = start().await;
    let status = who_am_i(&running, with_token(&mint(&[Role::Employee]))).await.expect_err("employee is not hr");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(status.message(), "requires one of the roles: hr");
}

#[tokio::test]
async fn an_hr_token_is_answered_with_its_subject_and_roles() {
    let running = start().await;
    let response = who_am_i(&running, with_token(&mint(&[Role::Hr, Role::Manager]))).await.expect("hr may call");
    assert_eq!(response.subject, "anna@example.com");
    assert_eq!(response.roles, ["hr", "manager"]);
}

#[tokio::test]
async fn the_health_check_answers_serving_without_a_token() {
    let running = start().await;
    let mut health = HealthClient::new(running.channel.clone());
    let response = health.check(HealthCheckRequest { service: String::new() }).await.expect("health answers");
    assert_eq!(response.into_inner().status(), ServingStatus::Serving);
}

#[tokio::test]
async fn reflection_lists_the_services_without_a_token() {
    let running = start().await;
    let mut reflection = ServerReflectionClient::new(running.channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection answers")
        .into_inner();
    let response = stream.next().await.expect("one response").expect("no error");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection response {response:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in
        ["butterboard.ingest.v1.IngestAdminService", "butterboard.scenario.v1.ScenarioService", "grpc.health.v1.Health"]
    {
        assert!(names.iter().any(|name| name == expected), "{expected} missing from {names:?}");
    }
}

#[tokio::test]
async fn per_service_health_can_be_set_and_shutdown_stops_the_server() {
    let auth = Authenticator::hs256(KEY, ISSUER, AUDIENCE);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let server = GrpcServer::new(tonic::service::Routes::new(auth.protect(IngestAdminServiceServer::new(HrOnly))));
    let reporter = server.health_reporter();
    reporter.set_not_serving::<IngestAdminServiceServer<HrOnly>>().await;
    let shutdown = Shutdown::new();
    let task = tokio::spawn(server.with_shutdown_grace(Duration::from_secs(2)).serve(listener, shutdown.clone()));

    let channel = Channel::from_shared(format!("http://{address}")).expect("uri").connect().await.expect("connect");
    let status = HealthClient::new(channel)
        .check(HealthCheckRequest { service: "butterboard.ingest.v1.IngestAdminService".to_string() })
        .await
        .expect("health answers")
        .into_inner()
        .status();
    assert_eq!(status, ServingStatus::NotServing);

    shutdown.trigger();
    let stopped = tokio::time::timeout(Duration::from_secs(5), task).await.expect("stops in time");
    assert!(matches!(stopped, Ok(Ok(()))), "{stopped:?}");
}

#[tokio::test]
async fn the_server_returns_once_shutdown_fires() {
    let running = start().await;
    running.shutdown.trigger();
    let stopped = tokio::time::timeout(Duration::from_secs(15), running.server).await.expect("stops in time");
    assert!(matches!(stopped, Ok(Ok(()))), "{stopped:?}");
}
