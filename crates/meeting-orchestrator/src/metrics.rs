//! The orchestrator's own metrics, besides the consumers' and the relay's.

use opentelemetry::KeyValue;
use opentelemetry::metrics::Counter;

pub struct Metrics {
    /// Zoom events about meetings this service did not create, ignored.
    unknown_meeting_events: Counter<u64>,
    meetings_created: Counter<u64>,
}

impl Metrics {
    pub fn new() -> Self {
        let meter = butterboard_runtime::telemetry::meter();
        Self {
            unknown_meeting_events: meter
                .u64_counter("butterboard_meeting_unknown_zoom_events")
                .with_description("zoom meeting events about meetings butterboard did not create, ignored")
                .build(),
            meetings_created: meter
                .u64_counter("butterboard_meetings_created")
                .with_description("zoom meetings created, by how (request, recovery, automatic)")
                .build(),
        }
    }

    pub fn unknown_meeting_event(&self, event: &str) {
        self.unknown_meeting_events.add(1, &[KeyValue::new("event", event.to_string())]);
    }

    pub fn meeting_created(&self, how: &'static str) {
        self.meetings_created.add(1, &[KeyValue::new("how", how)]);
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
