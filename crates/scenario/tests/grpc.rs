//! The service over real gRPC on loopback, on PostgreSQL and on SQLite: the access rule of each
//! role, and every bad input answered INVALID_ARGUMENT with the field named and nothing written.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod grpc_cases;
mod support;

use std::sync::Arc;
use std::time::Duration;

use butterboard_proto::scenario::v1 as pb;
use butterboard_proto::scenario::v1::scenario_service_client::ScenarioServiceClient;
use butterboard_runtime::auth::{self, Authenticator, Role};
use butterboard_runtime::clock::ManualClock;
use butterboard_runtime::config::Config;
use butterboard_runtime::service::{ServiceContext, ServiceName};
use butterboard_runtime::shutdown::Shutdown;
use butterboard_runtime::store::Store;
use butterboard_runtime::testing;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

const KEY: &[u8] = b"scenario-test-key-scenario-test!";

/// The scenario service served on a loopback port over `store`.
pub struct Server {
    pub channel: Channel,
    pub store: Store,
    auth: Authenticator,
    shutdown: Shutdown,
    _bus_dir: tempfile::TempDir,
}

impl Server {
    pub async fn start(store: Store) -> Server {
        let auth = Authenticator::hs256(KEY, "butterboard", "butterboard-meetings");
        let bus_dir = tempfile::tempdir().expect("tempdir");
        let bus = testing::embedded_bus(bus_dir.path()).await.expect("bus");
        let shutdown = Shutdown::new();
        let ctx = ServiceContext {
            name: ServiceName::Scenario,
            config: Arc::new(Config::embedded_defaults()),
            store: store.clone(),
            bus,
            auth: auth.clone(),
            shutdown: shutdown.clone(),
        };
        let options = scenario::Options {
            clock: Arc::new(ManualClock::at(support::T0)),
            run_scheduler: false,
            ..scenario::Options::default()
        };
        let parts = scenario::start_with(ctx, options).await.expect("start");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let routes = parts.grpc.expect("grpc routes");
        tokio::spawn(butterboard_runtime::grpc::serve(listener, routes, auth.clone(), shutdown.clone()));
        let channel = Channel::from_shared(format!("http://{address}")).expect("uri").connect().await.expect("connect");
        Server { channel, store, auth, shutdown, _bus_dir: bus_dir }
    }

    pub fn client(&self) -> ScenarioServiceClient<Channel> {
        ScenarioServiceClient::new(self.channel.clone())
    }

    /// `message` with a bearer token for `subject` holding `roles`.
    pub fn as_<T>(&self, subject: &str, roles: &[Role], message: T) -> Request<T> {
        let token = self.auth.mint(subject, roles, Duration::from_secs(300)).expect("mint");
        let mut request = Request::new(message);
        auth::attach_bearer(&mut request, &token).expect("bearer");
        request
    }

    pub fn hr<T>(&self, message: T) -> Request<T> {
        self.as_("helen@example.com", &[Role::Hr], message)
    }

    /// The example scenario, created by HR, with an extra reading stage employees complete
    /// themselves.
    pub async fn create_example(&self) -> pb::Scenario {
        let yaml = format!(
            "{}\n  - id: read-the-handbook\n    title: Read the handbook\n    kind: reading\n    timing:\n      offset: {{ unit: business_days, amount: 0 }}\n",
            scenario::EXAMPLE_SCENARIO_YAML.trim_end()
        );
        let request = pb::ImportScenarioRequest { yaml, ..Default::default() };
        let response = self.client().import_scenario(self.hr(request)).await.expect("import").into_inner();
        response.scenario.expect("scenario")
    }

    /// Assigns `email` with Oleg (or `manager`) as manager, Ivan and Maria as team, Tanya as trainer.
    pub async fn assign(&self, scenario_id: &str, email: &str, manager: &str) -> pb::Assignment {
        let request = assign_request(scenario_id, email, manager);
        self.client().assign_employee(self.hr(request)).await.expect("assign").into_inner()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

pub fn person(email: &str, zone: &str) -> pb::Person {
    pb::Person { email: email.into(), display_name: String::new(), time_zone: zone.into() }
}

pub fn assign_request(scenario_id: &str, email: &str, manager: &str) -> pb::AssignEmployeeRequest {
    pb::AssignEmployeeRequest {
        scenario_id: scenario_id.into(),
        employee: Some(person(email, "Europe/Berlin")),
        start_date: "2025-03-03".into(),
        manager: Some(person(manager, "")),
        team: vec![person("ivan@example.com", ""), person("maria@example.com", "")],
        trainer: Some(person("tanya@example.com", "")),
        hr: Some(person("helen@example.com", "")),
        buddy: None,
    }
}

/// The fields named by an INVALID_ARGUMENT's BadRequest detail.
pub fn violated_fields(status: &Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let details = status.get_details_bad_request().expect("a google.rpc.BadRequest detail");
    details.field_violations.into_iter().map(|v| v.field).collect()
}

/// One `#[tokio::test]` per case for a fixture expression.
macro_rules! grpc_suite {
    ($fixture:expr) => {
        grpc_suite!(@cases $fixture;
            rbac::hr_builds_assigns_completes_and_resolves,
            rbac::a_manager_sees_and_acts_only_on_the_assignments_they_manage,
            rbac::an_employee_sees_only_their_own_assignment_and_completes_only_their_own_reading,
            rbac::a_service_reads_and_resolves_but_changes_nothing,
            rbac::a_call_without_a_token_is_unauthenticated,
            bad_input::every_bad_scenario_is_invalid_argument_naming_its_field_and_writes_nothing,
            bad_input::a_bad_update_keeps_the_scenario_as_it_was,
            bad_input::bad_yaml_is_invalid_argument_naming_the_yaml_field,
            bad_input::every_bad_assignment_is_invalid_argument_naming_its_field_and_writes_nothing,
            bad_input::bad_lists_completions_and_resolutions_name_their_field,
            bad_input::a_duration_outside_the_recommended_range_needs_the_override_and_warns,
            privacy::an_employee_is_not_handed_a_recording_kept_from_them_and_hr_is,
            nesting::a_deeply_nested_yaml_is_refused_as_invalid_argument_on_yaml,
            nesting::the_example_written_in_flow_style_still_parses,
        );
    };
    (@cases $fixture:expr; $($module:ident :: $case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                use support::Fixture as _;
                let server = crate::Server::start($fixture.store().await).await;
                crate::grpc_cases::$module::$case(&server).await;
            }
        )+
    };
}

mod postgres {
    use super::*;
    grpc_suite!(support::Postgres);
}

mod sqlite {
    use super::*;
    grpc_suite!(support::Sqlite);
}
