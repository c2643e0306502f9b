//! Request metrics of the gRPC server: `butterboard_grpc_server_requests_total{service, method,
//! code}` and `butterboard_grpc_server_duration_seconds{service, method}`, the families the
//! alerts and dashboards read.
//!
//! A gRPC status travels in the response headers when the call failed before any message
//! ("trailers only") and otherwise in the trailers at the end of the body, so the layer wraps the
//! body and records when it sees the status, or `CANCELLED` when the body is dropped before
//! (the client went away). Health and reflection calls are left out: probes would drown the
//! services' own calls.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame, SizeHint};
use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram};

/// Wraps a gRPC server's services with request metrics.
#[derive(Clone)]
pub struct MetricsLayer {
    instruments: Arc<Instruments>,
}

struct Instruments {
    requests: Counter<u64>,
    duration: Histogram<f64>,
}

impl MetricsLayer {
    /// The instruments, with every method of `services` (full names, e.g.
    /// `butterboard.scenario.v1.ScenarioService`) at zero so the families exist from the start.
    pub fn new(services: &[&str]) -> Self {
        let meter = crate::telemetry::meter();
        let instruments = Instruments {
            requests: meter
                .u64_counter("butterboard_grpc_server_requests")
                .with_description("grpc calls by service, method and status code")
                .build(),
            duration: meter
                .f64_histogram("butterboard_grpc_server_duration")
                .with_unit("s")
                .with_description("grpc call duration until the status is sent")
                .with_boundaries(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
                .build(),
        };
        for (service, method) in methods(services) {
            instruments.requests.add(0, &labels(&service, &method, Some("OK")));
        }
        Self { instruments: Arc::new(instruments) }
    }
}

fn labels(service: &str, method: &str, code: Option<&str>) -> Vec<KeyValue> {
    let mut labels = vec![KeyValue::new("service", service.to_string()), KeyValue::new("method", method.to_string())];
    if let Some(code) = code {
        labels.push(KeyValue::new("code", code.to_string()));
    }
    labels
}

/// The methods of `services`, read from the descriptors reflection serves.
fn methods(services: &[&str]) -> Vec<(String, String)> {
    use prost::Message as _;
    let Ok(set) = prost_types::FileDescriptorSet::decode(butterboard_proto::FILE_DESCRIPTOR_SET) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for file in &set.file {
        for service in &file.service {
            let full = format!("{}.{}", file.package(), service.name());
            if services.contains(&full.as_str()) {
                out.extend(service.method.iter().map(|m| (full.clone(), m.name().to_string())));
            }
        }
    }
    out
}

impl<S> tower::Layer<S> for MetricsLayer {
    type Service = MetricsService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        MetricsService { inner, instruments: self.instruments.clone() }
    }
}

#[derive(Clone)]
pub struct MetricsService<S> {
    inner: S,
    instruments: Arc<Instruments>,
}

/// One call being measured; records once.
struct Call {
    instruments: Arc<Instruments>,
    service: String,
    method: String,
    started: Instant,
    recorded: bool,
}

impl Call {
    fn record(&mut self, code: tonic::Code) {
        if std::mem::replace(&mut self.recorded, true) {
            return;
        }
        let name = code_name(code);
        self.instruments.requests.add(1, &labels(&self.service, &self.method, Some(name)));
        self.instruments
            .duration
            .record(self.started.elapsed().as_secs_f64(), &labels(&self.service, &self.method, None));
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.record(tonic::Code::Cancelled);
    }
}

fn status_in(headers: &HeaderMap) -> Option<tonic::Code> {
    let value = headers.get("grpc-status")?.to_str().ok()?.parse::<i32>().ok()?;
    Some(tonic::Code::from_i32(value))
}

impl<S, B, R> tower::Service<Request<B>> for MetricsService<S>
where
    S: tower::Service<Request<B>, Response = Response<R>>,
    S::Future: Send + 'static,
    R: Body,
{
    type Response = Response<MeasuredBody<R>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let path = request.uri().path().trim_start_matches('/');
        let (service, method) = path.split_once('/').unwrap_or((path, ""));
        let call = (!service.starts_with("grpc.")).then(|| Call {
            instruments: self.instruments.clone(),
            service: service.to_string(),
            method: method.to_string(),
            started: Instant::now(),
            recorded: false,
        });
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await?;
            let mut call = call;
            if let (Some(call), Some(code)) = (call.as_mut(), status_in(response.headers())) {
                call.record(code);
            }
            Ok(response.map(|inner| MeasuredBody { inner, call }))
        })
    }
}

pin_project_lite::pin_project! {
    /// A response body that records the call when its trailers carry the status.
    pub struct MeasuredBody<B> {
        #[pin]
        inner: B,
        call: Option<Call>,
    }
}

impl<B: Body> Body for MeasuredBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        if let (Poll::Ready(Some(Ok(frame))), Some(call)) = (&polled, this.call.as_mut())
            && let Some(trailers) = frame.trailers_ref()
        {
            call.record(status_in(trailers).unwrap_or(tonic::Code::Unknown));
        }
        if let (Poll::Ready(None), Some(call)) = (&polled, this.call.as_mut()) {
            // A body that ends without trailers carried no status: the call did not finish.
            call.record(tonic::Code::Unknown);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The code as its canonical upper-case name (`OK`, `INVALID_ARGUMENT`).
fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}
