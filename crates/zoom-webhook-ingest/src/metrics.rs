//! The ingest's instruments (OpenTelemetry, exported on `/metrics` and over OTLP).

use std::time::Duration;

use butterboard_runtime::periodic::Periodic;
use butterboard_runtime::service::Task;
use butterboard_runtime::shutdown::Shutdown;
use butterboard_runtime::store::Store;
use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Gauge, Histogram};

use crate::store::outbox_backlog;

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stored,
    Duplicate,
    UrlValidation,
    Unauthorized,
    TooLarge,
    BadRequest,
    Unavailable,
    Overloaded,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Stored => "stored",
            Outcome::Duplicate => "duplicate",
            Outcome::UrlValidation => "url_validation",
            Outcome::Unauthorized => "unauthorized",
            Outcome::TooLarge => "too_large",
            Outcome::BadRequest => "bad_request",
            Outcome::Unavailable => "unavailable",
            Outcome::Overloaded => "overloaded",
        }
    }
}

#[derive(Clone)]
pub struct Metrics {
    deliveries: Counter<u64>,
    signature_failures: Counter<u64>,
    duplicates: Counter<u64>,
    latency: Histogram<f64>,
    batch_size: Histogram<u64>,
    outbox_pending: Gauge<u64>,
    outbox_oldest_age: Gauge<f64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let meter = butterboard_runtime::telemetry::meter();
        Self {
            deliveries: meter
                .u64_counter("butterboard_ingest_deliveries")
                .with_description("webhook requests by zoom event type and outcome")
                .build(),
            signature_failures: meter
                .u64_counter("butterboard_ingest_signature_failures")
                .with_description("webhook requests refused for their signature or timestamp")
                .build(),
            duplicates: meter
                .u64_counter("butterboard_ingest_duplicates")
                .with_description("verified deliveries whose body was stored before")
                .build(),
            latency: meter
                .f64_histogram("butterboard_ingest_latency_seconds")
                .with_description("time to answer a webhook request")
                .with_unit("s")
                .build(),
            batch_size: meter
                .u64_histogram("butterboard_ingest_group_commit_size")
                .with_description("deliveries per group commit")
                .build(),
            outbox_pending: meter
                .u64_gauge("butterboard_ingest_outbox_pending")
                .with_description("zoom events stored but not yet acknowledged by the bus")
                .build(),
            outbox_oldest_age: meter
                .f64_gauge("butterboard_ingest_outbox_lag_seconds")
                .with_description("age of the oldest zoom event waiting in the outbox")
                .with_unit("s")
                .build(),
        }
    }

    pub fn answered(&self, event_type: &str, outcome: Outcome, took: Duration) {
        let labels = [KeyValue::new("event_type", event_type.to_string()), KeyValue::new("outcome", outcome.as_str())];
        self.deliveries.add(1, &labels);
        self.latency.record(took.as_secs_f64(), &labels[1..]);
        if outcome == Outcome::Duplicate {
            self.duplicates.add(1, &labels[..1]);
        }
    }

    pub fn signature_failed(&self, reason: &'static str) {
        self.signature_failures.add(1, &[KeyValue::new("reason", reason)]);
    }

    pub fn committed(&self, size: usize) {
        self.batch_size.record(size as u64, &[]);
    }

    /// Samples the outbox every `interval` until shutdown, as a periodic task.
    pub fn outbox_task(self, store: Store, interval: Duration, shutdown: Shutdown) -> Task {
        Periodic::every("outbox-metrics", interval).task(shutdown, move || {
            let (metrics, store) = (self.clone(), store.clone());
            async move {
                match outbox_backlog(store.pool()).await {
                    Ok((pending, oldest)) => {
                        metrics.outbox_pending.record(u64::try_from(pending).unwrap_or(0), &[]);
                        let age = oldest
                            .map(|at| (butterboard_runtime::clock::now_ms() - at).max(0) as f64 / 1000.0)
                            .unwrap_or(0.0);
                        metrics.outbox_oldest_age.record(age, &[]);
                    }
                    Err(error) => tracing::debug!(%error, "cannot sample the outbox"),
                }
                Ok(())
            }
        })
    }
}
