//! The orchestrator as it runs for real: `scenario` and the orchestrator as two services sharing
//! one bus (the orchestrator asking scenario over gRPC on loopback), against a Zoom simulator
//! started here, in either mode. Helpers build the example scenario, assign new employees,
//! publish Zoom's webhook bodies on the bus the way the ingest does, and read what the simulator
//! received.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use butterboard_proto::meeting::v1 as mpb;
use butterboard_proto::meeting::v1::meeting_service_client::MeetingServiceClient;
use butterboard_proto::scenario::v1 as spb;
use butterboard_proto::scenario::v1::scenario_service_client::ScenarioServiceClient;
use butterboard_runtime::bus::OutgoingMessage;
use butterboard_runtime::envelope::{CONTENT_TYPE_JSON, CloudEvent};
use butterboard_runtime::service::ServiceName;
use butterboard_runtime::store::Store;
use butterboard_runtime::testing::{self, Mode, TEST_EPOCH_MS, TestService};
use meeting_orchestrator::settings::vars;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt;
use zoom_sim::{ZoomSim, ZoomSimConfig};

/// Zoom users of the simulated account: HR's Helen, the manager Oleg, and the default host.
pub const HR: &str = "helen@example.com";
pub const MANAGER: &str = "oleg@example.com";
pub const DEFAULT_HOST: &str = "zoom-host@example.com";
pub const MINUTE: i64 = 60_000;

pub struct World {
    pub mode: Mode,
    pub sim: ZoomSim,
    pub sim_clock: zoom_sim::ManualClock,
    pub scenario: TestService,
    pub orchestrator: TestService,
}

pub async fn sim() -> (ZoomSim, zoom_sim::ManualClock) {
    let clock = zoom_sim::ManualClock::at(TEST_EPOCH_MS);
    let config = ZoomSimConfig {
        clock: Arc::new(clock.clone()),
        token_ttl: Duration::from_secs(90 * 86_400),
        time_compression: 100_000.0,
        users: vec![HR.into(), MANAGER.into(), DEFAULT_HOST.into()],
        auto_provision_users: false,
        default_timezone: "Europe/Berlin".into(),
        ..ZoomSimConfig::default()
    };
    (zoom_sim::start(config, None).await.expect("the zoom simulator starts"), clock)
}

/// The orchestrator's builder pointed at `sim` and `scenario`, with quick background rounds.
pub fn orchestrator(mode: Mode, sim: &ZoomSim, scenario: &TestService) -> testing::service::Builder {
    let (api, oauth) = (sim.api_base_url(), sim.oauth_url());
    TestService::builder(ServiceName::MeetingOrchestrator, meeting_orchestrator::migrations())
        .mode(mode)
        .bus(scenario.bus.clone())
        .peer(ServiceName::Scenario, format!("http://{}", scenario.grpc_addr))
        .setting(vars::ZOOM_DEFAULT_HOST, DEFAULT_HOST)
        .setting(vars::SWEEP_INTERVAL_MS, "50")
        .setting(vars::ZOOM_DEADLINE_SECS, "5")
        .configure(move |c| {
            c.zoom.account_id = Some("sim-account".into());
            c.zoom.client_id = Some("sim-client".into());
            c.zoom.client_secret = Some(butterboard_runtime::Secret::new("sim-secret".to_string()));
            c.zoom.api_base_url = api;
            c.zoom.oauth_url = oauth;
        })
}

impl World {
    pub async fn start(mode: Mode) -> World {
        Self::start_with(mode, false, |b| b).await
    }

    /// With the scenario scheduler running (it publishes `onboarding.stage.due`), and the
    /// orchestrator's builder changed by `change`.
    pub async fn start_with(
        mode: Mode,
        scheduler: bool,
        change: impl FnOnce(testing::service::Builder) -> testing::service::Builder,
    ) -> World {
        let (sim, sim_clock) = sim().await;
        let options = scenario::Options { run_scheduler: scheduler, ..scenario::Options::default() };
        let scenario = TestService::builder(ServiceName::Scenario, scenario::migrations())
            .mode(mode)
            .start(|ctx| scenario::start_with(ctx, options))
            .await;
        let orchestrator = change(orchestrator(mode, &sim, &scenario)).start(meeting_orchestrator::start).await;
        World { mode, sim, sim_clock, scenario, orchestrator }
    }

    pub fn meetings(&self) -> MeetingServiceClient<Channel> {
        MeetingServiceClient::new(self.orchestrator.channel.clone())
    }

    pub fn scenarios(&self) -> ScenarioServiceClient<Channel> {
        ScenarioServiceClient::new(self.scenario.channel.clone())
    }

    /// The example scenario with an extra task stage.
    pub async fn import_example(&self) -> String {
        let yaml = format!(
            "{}\n  - id: set-up-laptop\n    title: Set up the laptop\n    kind: task\n    timing:\n      offset: {{ unit: business_days, amount: 0 }}\n",
            scenario::EXAMPLE_SCENARIO_YAML.trim_end()
        );
        let request = spb::ImportScenarioRequest { yaml, ..Default::default() };
        let response = self.scenarios().import_scenario(self.scenario.hr(request)).await.expect("import").into_inner();
        response.scenario.expect("scenario").id
    }

    /// Assigns `email` (named after its local part) with `manager`, Ivan and Maria as the team,
    /// Tanya as trainer and Helen as HR contact.
    pub async fn assign(&self, scenario_id: &str, email: &str, manager: &str) -> spb::Assignment {
        let person = |email: &str, zone: &str| spb::Person {
            email: email.into(),
            display_name: email.split('@').next().unwrap_or_default().into(),
            time_zone: zone.into(),
        };
        let request = spb::AssignEmployeeRequest {
            scenario_id: scenario_id.into(),
            employee: Some(person(email, "Europe/Berlin")),
            start_date: "2025-03-03".into(),
            manager: Some(person(manager, "")),
            team: vec![person("ivan@example.com", ""), person("maria@example.com", "")],
            trainer: Some(person("tanya@example.com", "")),
            hr: Some(person(HR, "")),
            buddy: None,
        };
        self.scenarios().assign_employee(self.scenario.hr(request)).await.expect("assign").into_inner()
    }

    pub async fn instance(&self, assignment_id: &str, stage: &str, occurrence: u32) -> spb::StageInstance {
        let request = spb::GetAssignmentRequest { id: assignment_id.into() };
        let assignment = self.scenarios().get_assignment(self.scenario.hr(request)).await.expect("read").into_inner();
        assignment
            .stage_instances
            .into_iter()
            .find(|i| i.stage_id == stage && i.occurrence == occurrence)
            .expect("the instance")
    }

    /// The meeting creates Zoom received, oldest first.
    pub fn creates(&self) -> Vec<zoom_sim::ReceivedRequest> {
        self.sim.received_requests().into_iter().filter(|r| r.method == "POST").collect()
    }

    /// The meetings that exist in the simulator.
    pub fn zoom_meetings(&self) -> Vec<serde_json::Value> {
        self.sim.meetings()
    }

    /// Publishes a Zoom webhook body as `zoom-webhook-ingest` does: the raw body, `ce-type` the
    /// Zoom event, `ce-id` as given.
    pub async fn publish_zoom(&self, ce_id: &str, body: &str) {
        publish_zoom(&self.orchestrator, ce_id, body).await;
    }

    pub async fn stop(self) {
        self.orchestrator.stop().await.expect("the orchestrator stops cleanly");
        self.scenario.stop().await.expect("scenario stops cleanly");
        self.sim.stop().await.expect("the simulator stops");
    }
}

/// The bus message the ingest publishes for `body`.
pub fn zoom_message(ce_id: &str, body: &str) -> OutgoingMessage {
    let value: serde_json::Value = serde_json::from_str(body).expect("a json body");
    let event = value["event"].as_str().expect("an event name").to_string();
    let mut cloud =
        CloudEvent::new("butterboard/zoom-webhook-ingest", &event, CONTENT_TYPE_JSON, body.as_bytes().to_vec().into());
    cloud.id = ce_id.to_string();
    if let Some(uuid) = value["payload"]["object"]["uuid"].as_str() {
        cloud = cloud.with_subject(uuid);
    }
    cloud.into_message(format!("zoom.{event}"))
}

pub async fn publish_zoom(service: &TestService, ce_id: &str, body: &str) {
    service.bus.publish(zoom_message(ce_id, body)).await.expect("publish");
}

pub fn at(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: ms / 1000, nanos: 0 }
}

pub fn by_stage(scenario_id: &str, stage_id: &str, key: &str) -> mpb::StartMeetingRequest {
    mpb::StartMeetingRequest {
        target: Some(mpb::start_meeting_request::Target::Stage(mpb::StageRef {
            scenario_id: scenario_id.into(),
            stage_id: stage_id.into(),
        })),
        idempotency_key: key.into(),
        start_time: Some(at(TEST_EPOCH_MS + 24 * 60 * MINUTE)),
        ..Default::default()
    }
}

pub fn by_instance(stage_instance_id: &str, key: &str) -> mpb::StartMeetingRequest {
    mpb::StartMeetingRequest {
        target: Some(mpb::start_meeting_request::Target::StageInstanceId(stage_instance_id.into())),
        idempotency_key: key.into(),
        start_time: Some(at(TEST_EPOCH_MS + 24 * 60 * MINUTE)),
        ..Default::default()
    }
}

/// The fields named by an INVALID_ARGUMENT's BadRequest detail.
pub fn violated_fields(status: &Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let details = status.get_details_bad_request().expect("a google.rpc.BadRequest detail");
    details.field_violations.into_iter().map(|v| v.field).collect()
}

pub async fn count(store: &Store, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(store.pool()).await.expect("count")
}
