//! An unreachable OTLP collector must neither fail nor stall the service. Its own test binary,
//! since telemetry is installed once per process.

use std::time::{Duration, Instant};

use butterboard_runtime::telemetry;

// Multi-thread: the OTLP exporters run on the SDK's threads but their gRPC channel lives on the
// tokio runtime, which must keep running while the guard flushes (as under `#[tokio::main]`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_collector_neither_fails_nor_blocks_the_service() {
    let started = Instant::now();
    // Port 1 on loopback: nothing listens there, connections are refused.
    let guard = telemetry::init("otlp-test", Some("http://127.0.0.1:1")).expect("init does not connect");
    assert!(started.elapsed() < Duration::from_secs(2), "init must not wait for the collector");

    let counter = telemetry::meter().u64_counter("otlp_test.events").build();
    for n in 0..100 {
        let span = tracing::info_span!("work", n);
        let _entered = span.enter();
        counter.add(1, &[]);
        tracing::info!("did some work");
    }
    assert!(started.elapsed() < Duration::from_secs(2), "recording must not wait for the collector");
    assert!(telemetry::prometheus_text().expect("metrics").contains("otlp_test_events_total 100"));

    let flushing = Instant::now();
    tokio::task::spawn_blocking(move || guard.shutdown()).await.expect("shutdown");
    assert!(
        flushing.elapsed() < Duration::from_secs(15),
        "shutdown gives up on the collector: {:?}",
        flushing.elapsed()
    );
}
