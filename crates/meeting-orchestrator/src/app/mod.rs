//! The service's operations, one method per API call, behind the gRPC layer: check who asks,
//! parse and validate, ask `scenario` and Zoom, change the store in one transaction with the
//! events owed. The API module only converts messages; the consumers and periodic tasks call the
//! same methods.
//!
//! - [`start`]: StartMeeting up to the intent; [`create`]: the Zoom call under the intent's lease,
//!   the commit, and recovery of intents whose request died.
//! - [`read`]: GetMeeting and ListMeetings with attendance; [`change`]: reschedule, invitees,
//!   cancel; [`hosts`]: who hosts and what their settings warn about.
//! - [`lifecycle`]: Zoom's webhooks become sessions, attendance and chat; [`settle`] publishes a
//!   session's end once late events had their chance, and reconciles ends that never came.
//! - [`auto`]: meetings for stages that schedule themselves.

pub mod auto;
pub mod change;
pub mod create;
pub mod errors;
pub mod hosts;
pub mod lifecycle;
pub mod read;
pub mod settle;
pub mod start;

use std::sync::Arc;

use butterboard_runtime::clock::Clock;
use butterboard_runtime::store::Store;

use crate::conferencing::Conferencing;
use crate::participants::ScenarioClient;
use crate::settings::OrchestratorSettings;

pub use read::{AttendanceView, MeetingView};
pub use start::{StartCommand, Started};

/// The orchestrator's application layer; cheap to clone.
#[derive(Clone)]
pub struct MeetingApp {
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) zoom: Arc<dyn Conferencing>,
    pub(crate) scenario: ScenarioClient,
    pub(crate) settings: Arc<OrchestratorSettings>,
    pub(crate) hosts: hosts::HostCache,
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
}

impl MeetingApp {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        zoom: Arc<dyn Conferencing>,
        scenario: ScenarioClient,
        settings: OrchestratorSettings,
    ) -> Self {
        Self {
            store,
            clock,
            zoom,
            scenario,
            settings: Arc::new(settings),
            hosts: hosts::HostCache::default(),
            metrics: Arc::new(crate::metrics::Metrics::new()),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    fn ms(d: std::time::Duration) -> i64 {
        i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
    }
}
