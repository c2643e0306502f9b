//! Trace context across boundaries with the real subscriber and SDK tracer provider installed by
//! `telemetry::init`: bus headers, and a gRPC call from client span to server span.

use std::time::Duration;

use butterboard_proto::ingest::v1::ingest_admin_service_client::IngestAdminServiceClient;
use butterboard_proto::ingest::v1::ingest_admin_service_server::{IngestAdminService, IngestAdminServiceServer};
use butterboard_proto::ingest::v1::{WhoAmIRequest, WhoAmIResponse};
use butterboard_runtime::auth::{self, Authenticator, Role};
use butterboard_runtime::bus::Headers;
use butterboard_runtime::shutdown::Shutdown;
use butterboard_runtime::telemetry::{self, TelemetryGuard, propagation};
use opentelemetry::trace::{TraceContextExt as _, TraceId};
use tokio::net::TcpListener;
use tonic::{Request, Response, Status};
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

fn init() -> TelemetryGuard {
    telemetry::init("telemetry-test", None).expect("telemetry")
}

fn trace_id(span: &tracing::Span) -> TraceId {
    span.context().span().span_context().trace_id()
}

#[test]
fn init_can_be_called_more_than_once() {
    let first = init();
    let second = telemetry::init("another-name", None).expect("a second init is harmless");
    drop(second);
    drop(first);
    // Still recording after a guard went away.
    let span = tracing::info_span!("after drop");
    assert_ne!(trace_id(&span), TraceId::INVALID);
}

#[test]
fn a_span_injected_into_headers_is_extracted_with_the_same_trace_id() {
    let _telemetry = init();
    let publisher = tracing::info_span!("publish");
    let mut headers = Headers::new();
    publisher.in_scope(|| propagation::inject_current(&mut headers));

    let expected = trace_id(&publisher);
    assert_ne!(expected, TraceId::INVALID, "the sdk tracer provider assigns trace ids");
    assert!(headers.contains_key("traceparent"), "{headers:?}");
    assert_eq!(propagation::extract(&headers).span().span_context().trace_id(), expected);

    let consumer = tracing::info_span!("consume");
    propagation::set_parent_from_headers(&consumer, &headers);
    assert_eq!(trace_id(&consumer), expected, "the consumer's span joins the publisher's trace");
}

#[test]
fn without_a_span_nothing_is_injected() {
    let _telemetry = init();
    let mut headers = Headers::new();
    propagation::inject_current(&mut headers);
    assert!(headers.is_empty(), "{headers:?}");
}

/// Answers with the trace id its handler runs in.
struct TraceEcho;

#[tonic::async_trait]
impl IngestAdminService for TraceEcho {
    async fn who_am_i(&self, request: Request<WhoAmIRequest>) -> Result<Response<WhoAmIResponse>, Status> {
        auth::caller(&request)?;
        let trace = trace_id(&tracing::Span::current());
        Ok(Response::new(WhoAmIResponse { subject: trace.to_string(), roles: Vec::new() }))
    }
}

#[tokio::test]
async fn a_grpc_call_joins_the_callers_trace() {
    let _telemetry = init();
    let auth = Authenticator::hs256(b"test-key-test-key-test-key-test!", "butterboard", "butterboard-meetings");
    let token = auth.mint("orchestrator", &[Role::Service], Duration::from_secs(60)).expect("mint");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let routes = tonic::service::Routes::new(auth.protect(IngestAdminServiceServer::new(TraceEcho)));
    let shutdown = Shutdown::new();
    tokio::spawn(butterboard_runtime::grpc::serve(listener, routes, auth, shutdown.clone()));

    let caller = tracing::info_span!("start meeting");
    let answered = async {
        let mut client = IngestAdminServiceClient::connect(format!("http://{address}")).await.expect("connect");
        let mut request = Request::new(WhoAmIRequest {});
        auth::attach_bearer(&mut request, &token).expect("header");
        butterboard_runtime::grpc::inject_trace(&mut request);
        client.who_am_i(request).await.expect("call").into_inner().subject
    }
    .instrument(caller.clone())
    .await;
    shutdown.trigger();

    let expected = trace_id(&caller);
    assert_ne!(expected, TraceId::INVALID, "the caller's span has a trace");
    assert_eq!(answered, expected.to_string());
}
