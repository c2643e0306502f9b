//! What every Butterboard Meetings service stands on.
//!
//! - [`config`]: layered, validated configuration (defaults → `--config` file → environment) and
//!   the [`Secret`](secret::Secret) wrapper that never prints its value.
//! - [`telemetry`]: `tracing` logs, OpenTelemetry traces and metrics, Prometheus text, and the
//!   propagation of trace context through NATS headers and gRPC metadata.
//! - [`bus`]: the event bus trait with its two implementations, NATS JetStream and the embedded
//!   SQLite-backed bus; [`envelope`] maps CloudEvents onto bus messages.
//! - [`store`]: sqlx over PostgreSQL or SQLite, per-service migrations, the transactional outbox,
//!   its relay, and the inbox; [`consumer`] runs a durable consumer with inbox de-duplication.
//! - [`grpc`] and [`admin`]: the gRPC server (health, reflection, JWT roles) and the admin HTTP
//!   server (`/healthz`, `/readyz`, `/metrics`); [`shutdown`]: the one shutdown token.
//! - [`service`]: what a service crate hands to the binary.
//! - `testing` (feature `testing`): conformance suites and helpers for tests.

pub mod admin;
pub mod auth;
pub mod bus;
pub mod clock;
pub mod config;
pub mod consumer;
pub mod envelope;
pub mod error;
pub mod events;
pub mod grpc;
pub mod grpc_metrics;
pub mod periodic;
pub mod secret;
pub mod service;
pub mod service_metrics;
pub mod service_name;
pub mod shutdown;
pub mod store;
pub mod telemetry;
pub mod webhook;

#[cfg(feature = "testing")]
pub mod testing;

pub use secret::Secret;
