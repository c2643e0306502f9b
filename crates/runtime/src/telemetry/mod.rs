//! Logs, traces and metrics for one process.
//!
//! [`init`] installs, once per process:
//! - a `tracing` subscriber whose log output is filtered by `RUST_LOG` (default `info`), written
//!   to stderr: readable text on a terminal, one JSON object per line otherwise (containers, CI);
//! - an OpenTelemetry tracer provider fed by `tracing` spans at `info` and above, whatever
//!   `RUST_LOG` says. It always runs, so trace context propagates through NATS headers and gRPC
//!   metadata even without a collector; spans are exported over OTLP/gRPC only when an endpoint
//!   is configured;
//! - an OpenTelemetry meter provider read by `/metrics` ([`prometheus_text`]) and, with an
//!   endpoint, exported periodically over OTLP;
//! - the W3C trace-context propagator as the global propagator.
//!
//! An unreachable collector never blocks or fails the service: the OTLP channel connects lazily,
//! exports run on the SDK's background threads with a timeout, and the span queue drops what it
//! cannot hold.
//!
//! [`propagation`] moves trace context across process boundaries.

mod process;
mod prometheus;
pub mod propagation;

use std::io::IsTerminal as _;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use self::prometheus::PrometheusReader;

/// The instrumentation scope of every span and instrument of this workspace.
const SCOPE: &str = "butterboard";

/// How long one OTLP export may take before it is abandoned.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(5);

/// The providers of the first [`init`]; later calls reuse them.
static INSTALLED: Mutex<Option<Providers>> = Mutex::new(None);

/// The reader behind `/metrics`, set by the first [`init`].
static PROMETHEUS: OnceLock<PrometheusReader> = OnceLock::new();

#[derive(Clone)]
struct Providers {
    tracer: SdkTracerProvider,
    meter: SdkMeterProvider,
}

/// Keeps telemetry running; [`TelemetryGuard::shutdown`] (or dropping it) flushes what is pending.
#[must_use = "dropping the guard flushes telemetry; keep it for the life of the process"]
pub struct TelemetryGuard {
    providers: Option<Providers>,
}

impl TelemetryGuard {
    /// Flushes and stops the exporters. Call once, at the very end of the process: spans and
    /// metrics recorded afterwards are dropped, also by other holders of a guard.
    pub fn shutdown(mut self) {
        if let Some(providers) = self.providers.take() {
            if let Err(error) = providers.tracer.shutdown() {
                tracing::debug!(%error, "tracer provider did not shut down cleanly");
            }
            if let Err(error) = providers.meter.shutdown() {
                tracing::debug!(%error, "meter provider did not shut down cleanly");
            }
        }
    }
}

impl Drop for TelemetryGuard {
    /// Only flushes: a process (or a test binary) may hold several guards, and one going away must
    /// not stop telemetry for the others.
    fn drop(&mut self) {
        if let Some(providers) = self.providers.take() {
            if let Err(error) = providers.tracer.force_flush() {
                tracing::debug!(%error, "cannot flush spans");
            }
            if let Err(error) = providers.meter.force_flush() {
                tracing::debug!(%error, "cannot flush metrics");
            }
        }
    }
}

/// Installs logging, tracing and metrics for `service`; exports over OTLP/gRPC only when
/// `otel_endpoint` is set. Call it inside the tokio runtime (the OTLP channel needs one).
///
/// Safe to call more than once (tests): later calls keep the first setup and return a guard on it.
/// If another global `tracing` subscriber was installed first, it stays, and spans then carry no
/// OpenTelemetry context.
pub fn init(service: &str, otel_endpoint: Option<&str>) -> anyhow::Result<TelemetryGuard> {
    let mut installed = INSTALLED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(providers) = installed.as_ref() {
        tracing::debug!(service, "telemetry already initialised, keeping the first setup");
        return Ok(TelemetryGuard { providers: Some(providers.clone()) });
    }

    let resource = Resource::builder().with_service_name(service.to_string()).build();
    let tracer = tracer_provider(resource.clone(), otel_endpoint)?;
    let reader = PrometheusReader::new();
    let meter = meter_provider(resource, reader.clone(), otel_endpoint)?;

    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    opentelemetry::global::set_tracer_provider(tracer.clone());
    opentelemetry::global::set_meter_provider(meter.clone());
    // Cannot be set already: PROMETHEUS is only set here, under the INSTALLED lock.
    let _ = PROMETHEUS.set(reader);
    process::register();
    let subscriber_installed = install_subscriber(&tracer);

    let providers = Providers { tracer, meter };
    *installed = Some(providers.clone());
    drop(installed);
    if !subscriber_installed {
        tracing::debug!("a tracing subscriber was already installed; spans carry no opentelemetry context");
    }
    tracing::debug!(service, otlp = otel_endpoint.unwrap_or("off"), "telemetry initialised");
    Ok(TelemetryGuard { providers: Some(providers) })
}

/// The global meter: no-op instruments until [`init`] ran, real ones afterwards. Create
/// instruments once (at start-up) and keep them, rather than per event.
pub fn meter() -> opentelemetry::metrics::Meter {
    opentelemetry::global::meter(SCOPE)
}

/// Every metric in the Prometheus text exposition format (version 0.0.4); empty before [`init`].
pub fn prometheus_text() -> anyhow::Result<String> {
    match PROMETHEUS.get() {
        Some(reader) => reader.render(),
        None => Ok(String::new()),
    }
}

fn tracer_provider(resource: Resource, endpoint: Option<&str>) -> anyhow::Result<SdkTracerProvider> {
    let builder = SdkTracerProvider::builder().with_resource(resource);
    let Some(endpoint) = endpoint else {
        return Ok(builder.build());
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .with_timeout(EXPORT_TIMEOUT)
        .build()
        .context("cannot build the otlp span exporter")?;
    // The batch processor exports on its own thread with a bounded queue: a slow or absent
    // collector costs dropped spans, never a blocked request.
    Ok(builder.with_batch_exporter(exporter).build())
}

fn meter_provider(
    resource: Resource,
    prometheus: PrometheusReader,
    endpoint: Option<&str>,
) -> anyhow::Result<SdkMeterProvider> {
    let builder = SdkMeterProvider::builder().with_resource(resource).with_reader(prometheus);
    let Some(endpoint) = endpoint else {
        return Ok(builder.build());
    };
    let exporter = opentelemetry_otlp::MetricExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .with_timeout(EXPORT_TIMEOUT)
        .build()
        .context("cannot build the otlp metric exporter")?;
    Ok(builder.with_periodic_exporter(exporter).build())
}

/// Returns false when a global subscriber already existed (a second `init`, or a test's own).
///
/// `RUST_LOG` filters the log output only; traces always take `info` spans and above, so turning
/// logs down does not cut traces apart (and debug spans, such as health probes, stay out).
fn install_subscriber(tracer: &SdkTracerProvider) -> bool {
    // An invalid RUST_LOG falls back to `info` instead of stopping the service over a log setting.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let output = if std::io::stderr().is_terminal() {
        tracing_subscriber::fmt::layer().with_writer(std::io::stderr).boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .boxed()
    };
    let otel = tracing_opentelemetry::layer().with_tracer(tracer.tracer(SCOPE)).with_filter(LevelFilter::INFO);
    tracing_subscriber::registry().with(output.with_filter(filter)).with(otel).try_init().is_ok()
}
