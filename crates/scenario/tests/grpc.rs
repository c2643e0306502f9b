//! The service over real gRPC on loopback, on PostgreSQL and on SQLite: the access rule of each
//! role, and every bad input answered INVALID_ARGUMENT with the field named and nothing written.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod grpc_cases;
mod support;

use butterboard_proto::scenario::v1 as pb;
use butterboard_proto::scenario::v1::scenario_service_client::ScenarioServiceClient;
use butterboard_runtime::auth::Role;
use butterboard_runtime::service::ServiceName;
use butterboard_runtime::store::Store;
use butterboard_runtime::testing::TestService;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

/// The scenario service, started as the binary starts it, on a loopback port over `store`.
pub struct Server {
    pub channel: Channel,
    pub store: Store,
    service: TestService,
}

impl Server {
    pub async fn start(store: Store) -> Server {
        let options = scenario::Options { run_scheduler: false, ..scenario::Options::default() };
        // The outbox is held: every "nothing was written" check counts its rows.
        let service = TestService::builder(ServiceName::Scenario, scenario::migrations())
            .store(store)
            .hold_outbox()
            .start(|ctx| scenario::start_with(ctx, options))
            .await;
        Server { channel: service.channel.clone(), store: service.store.clone(), service }
    }

    pub fn client(&self) -> ScenarioServiceClient<Channel> {
        ScenarioServiceClient::new(self.channel.clone())
    }

    /// `message` with a bearer token for `subject` holding `roles`.
    pub fn as_<T>(&self, subject: &str, roles: &[Role], message: T) -> Request<T> {
        self.service.request(subject, roles, message)
    }

    pub fn hr<T>(&self, message: T) -> Request<T> {
        self.service.hr(message)
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
