//! What this service asks `scenario` when an event did not tell it enough: an assignment it has
//! not heard of yet (a stage event overtook `onboarding.scenario.assigned`) or a question template
//! an event did not carry. One call, GetAssignment, answers both: the assignment with its stage
//! instances and the stages of its scenario version.
//!
//! The channel connects lazily (scenario may start after this service, or answer on the same
//! server in a one-process install), every call has a timeout, and each carries a short-lived
//! `service` token minted with the configured key.

use std::time::Duration;

use async_trait::async_trait;
use butterboard_proto::scenario::v1 as pb;
use butterboard_proto::scenario::v1::scenario_service_client::ScenarioServiceClient;
use butterboard_runtime::auth::{self, Authenticator, Role};
use tonic::Code;
use tonic::transport::{Channel, Endpoint};

use crate::store::assignments::{AssignmentFacts, StageFacts};

/// How long one call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
const TOKEN_LIFETIME: Duration = Duration::from_secs(60);

/// An assignment as scenario knows it, with the question template of each stage of its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedAssignment {
    pub facts: AssignmentFacts,
    pub stages: Vec<StageFacts>,
    pub templates: Vec<(String, Vec<String>)>,
}

/// Where assignments come from when the events did not say.
#[async_trait]
pub trait ScenarioDirectory: Send + Sync + 'static {
    /// `Ok(None)` when scenario does not know the assignment.
    async fn assignment(&self, id: &str) -> anyhow::Result<Option<FetchedAssignment>>;
}

/// Scenario's gRPC API.
#[derive(Clone)]
pub struct GrpcScenario {
    channel: Channel,
    auth: Authenticator,
}

impl GrpcScenario {
    /// A client of `url` that connects on first use.
    pub fn new(url: &str, auth: Authenticator) -> anyhow::Result<Self> {
        let endpoint = Endpoint::from_shared(url.to_string())
            .map_err(|e| anyhow::anyhow!("SCENARIO_GRPC_URL {url:?} is not a URL: {e}"))?
            .connect_timeout(CALL_TIMEOUT)
            .timeout(CALL_TIMEOUT);
        Ok(Self { channel: endpoint.connect_lazy(), auth })
    }
}

#[async_trait]
impl ScenarioDirectory for GrpcScenario {
    async fn assignment(&self, id: &str) -> anyhow::Result<Option<FetchedAssignment>> {
        let token = self.auth.mint(crate::events::SERVICE, &[Role::Service], TOKEN_LIFETIME)?;
        let mut request = tonic::Request::new(pb::GetAssignmentRequest { id: id.to_string() });
        auth::attach_bearer(&mut request, &token)?;
        match ScenarioServiceClient::new(self.channel.clone()).get_assignment(request).await {
            Ok(response) => Ok(Some(fetched(response.into_inner()))),
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => {
                Err(anyhow::anyhow!("scenario GetAssignment failed: {} {}", status.code(), status.message()))
            }
        }
    }
}

fn kind(kind: i32) -> &'static str {
    match pb::StageKind::try_from(kind) {
        Ok(pb::StageKind::Task) => "task",
        Ok(pb::StageKind::Reading) => "reading",
        _ => "meeting",
    }
}

fn fetched(a: pb::Assignment) -> FetchedAssignment {
    let employee = a.employee.unwrap_or_default();
    let facts = AssignmentFacts {
        id: a.id.clone(),
        scenario_id: a.scenario_id.clone(),
        scenario_version: a.scenario_version,
        scenario_name: a.scenario_name,
        employee_email: employee.email.to_lowercase(),
        employee_name: employee.display_name,
        employee_time_zone: employee.time_zone,
        manager_email: a.manager.map(|m| m.email.to_lowercase()).unwrap_or_default(),
        start_date: a.start_date,
        cancelled_at: None,
        known: true,
    };
    let stages = a
        .stage_instances
        .into_iter()
        .map(|i| StageFacts {
            stage_instance_id: i.id,
            stage_id: i.stage_id,
            title: i.title,
            occurrence: i.occurrence,
            kind: kind(i.kind).to_string(),
            due_at: crate::events::ms(i.due_at.as_ref()).unwrap_or_default(),
        })
        .collect();
    let templates = a.stages.into_iter().map(|s| (s.id, s.questions)).collect();
    FetchedAssignment { facts, stages, templates }
}
