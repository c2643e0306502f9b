//! The bus conformance suite on NATS JetStream, each test in a namespace of its own on the shared
//! test server, plus what only JetStream must show.

use std::sync::{Arc, Mutex};

use butterboard_runtime::bus::EventBus;
use butterboard_runtime::bus::jetstream::JetStreamBus;
use butterboard_runtime::shutdown::Shutdown;
use butterboard_runtime::testing::{self, bus::BusFixture};

/// A namespace on the test server; reopening connects a new client to the same namespace, as a
/// restarted process would. The dead-letter sweeper runs beside the current client.
struct JetStream {
    namespace: String,
    current: Mutex<(Arc<JetStreamBus>, Shutdown)>,
}

async fn connect(namespace: &str) -> (Arc<JetStreamBus>, Shutdown) {
    let bus = JetStreamBus::connect(&testing::nats_url(), Some(namespace)).await.expect("connect to the test NATS");
    let shutdown = Shutdown::new();
    bus.spawn_dead_letter_sweeper(shutdown.clone());
    (Arc::new(bus), shutdown)
}

async fn jetstream() -> JetStream {
    let namespace = testing::unique_name("t");
    let current = connect(&namespace).await;
    JetStream { namespace, current: Mutex::new(current) }
}

impl BusFixture for JetStream {
    fn bus(&self) -> Arc<dyn EventBus> {
        self.current.lock().expect("fixture lock").0.clone()
    }

    async fn reopen(&self) -> Arc<dyn EventBus> {
        let old = self.current.lock().expect("fixture lock").1.clone();
        old.trigger();
        let fresh = connect(&self.namespace).await;
        let bus = fresh.0.clone();
        *self.current.lock().expect("fixture lock") = fresh;
        bus
    }
}

impl Drop for JetStream {
    fn drop(&mut self) {
        if let Ok(current) = self.current.lock() {
            current.1.trigger();
        }
    }
}

butterboard_runtime::bus_conformance_tests!(jetstream);

#[tokio::test]
async fn streams_are_created_idempotently_with_a_two_hour_duplicate_window_on_zoom() {
    let namespace = testing::unique_name("t");
    let first = JetStreamBus::connect(&testing::nats_url(), Some(&namespace)).await.expect("first start");
    let _second =
        JetStreamBus::connect(&testing::nats_url(), Some(&namespace)).await.expect("a second start changes nothing");
    let js = async_nats::jetstream::new(first.client().clone());
    let mut zoom = js.get_stream(format!("{namespace}_ZOOM")).await.expect("ZOOM stream");
    let info = zoom.info().await.expect("info");
    assert!(info.config.duplicate_window >= std::time::Duration::from_secs(2 * 3600));
    assert_eq!(info.config.subjects, vec![format!("{namespace}.zoom.>")]);
    for name in ["ONBOARDING", "DLQ"] {
        js.get_stream(format!("{namespace}_{name}")).await.unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
