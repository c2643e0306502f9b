//! `scenario` over gRPC: who takes part in a stage (`ResolveParticipants`), which assignments a
//! manager manages (`ListAssignments`), and an employee's instances of a weekly stage
//! (`GetAssignment`). Calls carry a short-lived `service` token this service signs with the
//! configured key; the channel connects lazily, so the orchestrator can start before `scenario`
//! answers (in one process both are served on the same port).

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use butterboard_proto::scenario::v1 as pb;
use butterboard_proto::scenario::v1::scenario_service_client::ScenarioServiceClient;
use butterboard_runtime::auth::{self, Authenticator, Role};
use butterboard_runtime::error::{ServiceError, ServiceResult, Violation};
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::domain::plan::SeriesInstance;
use crate::domain::stage::{CohortMember, Material, Person, Resolution, StageInfo, StageKind, StagePerson, Weekly};

/// The subject of the orchestrator's own token.
pub const SERVICE_SUBJECT: &str = "meeting-orchestrator";
const TOKEN_TTL: Duration = Duration::from_secs(300);

/// What to resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Stage { scenario_id: String, stage_id: String },
    Instance(String),
}

impl Target {
    /// The request field that names the target, for errors.
    pub fn field(&self) -> &'static str {
        match self {
            Target::Stage { .. } => "stage",
            Target::Instance(_) => "stage_instance_id",
        }
    }
}

/// A client of the scenario service; cheap to clone.
#[derive(Clone)]
pub struct ScenarioClient {
    channel: Channel,
    auth: Authenticator,
    token: std::sync::Arc<Mutex<Option<(String, Instant)>>>,
}

impl ScenarioClient {
    pub fn new(url: &str, auth: Authenticator) -> anyhow::Result<Self> {
        let channel = Endpoint::from_shared(url.to_string())?
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(10))
            .connect_lazy();
        Ok(Self { channel, auth, token: Default::default() })
    }

    fn token(&self) -> ServiceResult<String> {
        let mut kept = self.token.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((token, until)) = kept.as_ref().filter(|(_, until)| Instant::now() < *until) {
            let _ = until;
            return Ok(token.clone());
        }
        let token = self.auth.mint(SERVICE_SUBJECT, &[Role::Service], TOKEN_TTL).map_err(ServiceError::Internal)?;
        *kept = Some((token.clone(), Instant::now() + TOKEN_TTL / 2));
        Ok(token)
    }

    fn request<T>(&self, message: T) -> ServiceResult<tonic::Request<T>> {
        let mut request = tonic::Request::new(message);
        auth::attach_bearer(&mut request, &self.token()?).map_err(|e| ServiceError::Internal(e.into()))?;
        Ok(request)
    }

    fn client(&self) -> ScenarioServiceClient<Channel> {
        ScenarioServiceClient::new(self.channel.clone())
    }

    /// The stage and its people.
    pub async fn resolve(&self, target: &Target) -> ServiceResult<Resolution> {
        let pb_target = match target {
            Target::Stage { scenario_id, stage_id } => pb::resolve_participants_request::Target::Stage(pb::StageRef {
                scenario_id: scenario_id.clone(),
                stage_id: stage_id.clone(),
            }),
            Target::Instance(id) => pb::resolve_participants_request::Target::StageInstanceId(id.clone()),
        };
        let request = self.request(pb::ResolveParticipantsRequest { target: Some(pb_target) })?;
        let response = self.client().resolve_participants(request).await.map_err(|s| from_status(s, target.field()))?;
        Ok(resolution(response.into_inner()))
    }

    /// The ids of `scenario_id`'s assignments that `manager` manages.
    pub async fn managed_assignments(&self, scenario_id: &str, manager: &str) -> ServiceResult<HashSet<String>> {
        let mut ids = HashSet::new();
        let mut page_token = String::new();
        loop {
            let request = self.request(pb::ListAssignmentsRequest {
                scenario_id: scenario_id.into(),
                manager_email: manager.into(),
                page_size: 200,
                page_token: page_token.clone(),
                ..Default::default()
            })?;
            let page = self.client().list_assignments(request).await.map_err(|s| from_status(s, "stage"))?.into_inner();
            ids.extend(page.assignments.into_iter().map(|a| a.id));
            if page.next_page_token.is_empty() || page.next_page_token == page_token {
                return Ok(ids);
            }
            page_token = page.next_page_token;
        }
    }

    /// The open instances of `stage_id` in `assignment_id` from occurrence `from` on, in order.
    pub async fn series(&self, assignment_id: &str, stage_id: &str, from: &str) -> ServiceResult<Vec<SeriesInstance>> {
        let request = self.request(pb::GetAssignmentRequest { id: assignment_id.into() })?;
        let assignment =
            self.client().get_assignment(request).await.map_err(|s| from_status(s, "stage_instance_id"))?.into_inner();
        let mut instances: Vec<pb::StageInstance> =
            assignment.stage_instances.into_iter().filter(|i| i.stage_id == stage_id).collect();
        instances.sort_by_key(|i| i.occurrence);
        let first = instances.iter().find(|i| i.id == from).map_or(0, |i| i.occurrence);
        const OPEN: [i32; 5] = [1, 2, 3, 4, 7];
        Ok(instances
            .into_iter()
            .filter(|i| i.occurrence >= first && (i.id == from || OPEN.contains(&i.status)))
            .map(|i| SeriesInstance { stage_instance_id: i.id, assignment_id: assignment_id.to_string() })
            .collect())
    }
}

/// scenario's answer as this service's error, its fields put under `field`.
fn from_status(status: Status, field: &str) -> ServiceError {
    let message = status.message().to_string();
    match status.code() {
        Code::NotFound => ServiceError::NotFound(format!("{field}: {message}")),
        Code::InvalidArgument => {
            let violations: Vec<Violation> = status
                .get_details_bad_request()
                .map(|b| {
                    b.field_violations
                        .into_iter()
                        .map(|v| Violation::new(rename(&v.field, field), v.description))
                        .collect()
                })
                .unwrap_or_default();
            if violations.is_empty() {
                ServiceError::invalid(field, message)
            } else {
                ServiceError::Invalid(violations)
            }
        }
        Code::FailedPrecondition => ServiceError::FailedPrecondition(format!("{field}: {message}")),
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Unknown | Code::ResourceExhausted => {
            ServiceError::unavailable("scenario", anyhow::anyhow!("{status}"))
        }
        _ => ServiceError::Internal(anyhow::anyhow!("scenario answered {status}")),
    }
}

/// scenario names `stage.scenario_id`; the request here calls it the same.
fn rename(theirs: &str, ours: &str) -> String {
    if theirs.starts_with(ours) { theirs.to_string() } else { format!("{ours}.{theirs}") }
}

fn person(p: Option<pb::Person>) -> Person {
    p.map(|p| Person::new(&p.email, &p.display_name, &p.time_zone)).unwrap_or_else(|| Person::new("", "", ""))
}

fn role(role: i32) -> Option<&'static str> {
    match role {
        1 => Some("manager"),
        2 => Some("team"),
        3 => Some("trainer"),
        4 => Some("hr"),
        5 => Some("buddy"),
        _ => None,
    }
}

fn ms(t: Option<prost_types::Timestamp>) -> i64 {
    t.map_or(0, |t| t.seconds.saturating_mul(1000).saturating_add(i64::from(t.nanos) / 1_000_000))
}

fn resolution(r: pb::ResolveParticipantsResponse) -> Resolution {
    let stage = r.stage.unwrap_or_default();
    let weekly = match stage.timing.and_then(|t| t.schedule) {
        Some(pb::timing::Schedule::Weekly(w)) => {
            Some(Weekly { weekday: w.weekday.clamp(1, 7) as u8, occurrences: w.occurrences })
        }
        _ => None,
    };
    let kind = match stage.kind {
        1 => StageKind::Meeting,
        2 => StageKind::Task,
        3 => StageKind::Reading,
        _ => StageKind::Unknown,
    };
    Resolution {
        stage: StageInfo {
            scenario_id: r.scenario_id,
            scenario_version: r.scenario_version,
            scenario_name: r.scenario_name,
            stage_id: stage.id,
            title: stage.title,
            kind,
            weekly,
            duration_minutes: stage.duration_minutes,
            agenda: stage.agenda,
            goals: stage.goals,
            materials: stage
                .materials
                .into_iter()
                .map(|m| Material { title: m.title, url: m.url, previous_recording: m.kind == 4 })
                .collect(),
            questions: stage.questions,
            recording_privacy: if stage.recording_privacy == 0 { 1 } else { stage.recording_privacy },
            schedule_automatically: stage.schedule_automatically,
        },
        people: r
            .participants
            .into_iter()
            .map(|p| StagePerson {
                roles: p.roles.iter().filter_map(|r| role(*r)).map(str::to_string).collect(),
                named: p.named,
                person: person(p.person),
            })
            .filter(|p| !p.person.email.is_empty())
            .collect(),
        cohort: r
            .cohort
            .into_iter()
            .map(|m| CohortMember {
                employee: person(m.employee),
                assignment_id: m.assignment_id,
                stage_instance_id: m.stage_instance_id,
                due_at_ms: ms(m.due_at),
            })
            .collect(),
        hr_contacts: r.hr_contacts.into_iter().map(|p| person(Some(p))).collect(),
    }
}
