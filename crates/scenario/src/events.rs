//! The events this service publishes, built from its records and written to the outbox in the
//! transaction of the change they describe.

use butterboard_proto::events::v1 as pb;
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::store::outbox;
use sqlx::{Any, Transaction};

use crate::domain::people::Person;
use crate::store::assignments::{AssignmentRecord, NewInstance};
use crate::store::due::DueInstance;
use crate::store::instances::InstanceRecord;

/// The CloudEvents source name of this service.
pub const SERVICE: &str = "scenario";

/// Writes `event` about `aggregate_id` to the outbox of `tx`.
pub async fn enqueue(
    tx: &mut Transaction<'static, Any>,
    event: OnboardingEvent,
    aggregate_id: &str,
) -> Result<(), sqlx::Error> {
    let subject = event.subject();
    outbox::enqueue(tx, subject, event.into_cloud_event(SERVICE, aggregate_id)).await
}

pub fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: ms.div_euclid(1000), nanos: (ms.rem_euclid(1000) * 1_000_000) as i32 }
}

pub fn person(p: &Person) -> pb::Person {
    pb::Person {
        email: p.email.to_string(),
        display_name: p.name.clone(),
        time_zone: p.time_zone.as_ref().map(|z| z.as_str().to_string()).unwrap_or_default(),
    }
}

pub fn assigned(a: &AssignmentRecord, instances: &[NewInstance]) -> OnboardingEvent {
    OnboardingEvent::ScenarioAssigned(pb::ScenarioAssigned {
        assignment_id: a.id.clone(),
        scenario_id: a.scenario_id.clone(),
        scenario_version: a.scenario_version,
        scenario_name: a.scenario_name.clone(),
        employee: Some(person(&a.people.employee)),
        manager: Some(person(&a.people.manager)),
        start_date: a.start_date.clone(),
        stages: instances
            .iter()
            .map(|i| pb::StageInstance {
                stage_instance_id: i.id.clone(),
                stage_id: i.planned.stage_id.clone(),
                title: i.planned.title.clone(),
                due_at: Some(timestamp(i.planned.due.at_ms)),
                occurrence: i.planned.due.occurrence,
                stage_kind: i.planned.kind.as_str().to_string(),
            })
            .collect(),
    })
}

pub fn due(d: &DueInstance) -> OnboardingEvent {
    OnboardingEvent::StageDue(pb::StageDue {
        assignment_id: d.assignment_id.clone(),
        scenario_id: d.scenario_id.clone(),
        stage_id: d.stage_id.clone(),
        stage_instance_id: d.id.clone(),
        title: d.title.clone(),
        due_at: Some(timestamp(d.due_at)),
        employee: Some(person(&d.employee)),
        schedule_meeting: d.schedule_meeting,
        stage_kind: d.kind.as_str().to_string(),
        occurrence: d.occurrence,
        scenario_version: d.scenario_version,
    })
}

/// `onboarding.stage.completed` for `instance`, now closed at `at`.
pub fn completed(
    instance: &InstanceRecord,
    employee: &Person,
    questions: &[String],
    skipped: bool,
    at: i64,
) -> OnboardingEvent {
    OnboardingEvent::StageCompleted(pb::StageCompleted {
        assignment_id: instance.assignment_id.clone(),
        scenario_id: instance.scenario_id.clone(),
        stage_id: instance.stage_id.clone(),
        stage_instance_id: instance.id.clone(),
        employee: Some(person(employee)),
        completed_at: Some(timestamp(at)),
        skipped,
        meeting_id: instance.meeting_id.clone().unwrap_or_default(),
        title: instance.title.clone(),
        stage_kind: instance.kind.as_str().to_string(),
        questions: questions.to_vec(),
        occurrence: instance.occurrence,
    })
}

/// `onboarding.assignment.cancelled` for `a`, cancelled at `at`.
pub fn cancelled(a: &AssignmentRecord, reason: &str, at: i64) -> OnboardingEvent {
    OnboardingEvent::AssignmentCancelled(pb::AssignmentCancelled {
        assignment_id: a.id.clone(),
        scenario_id: a.scenario_id.clone(),
        employee: Some(person(&a.people.employee)),
        cancelled_at: Some(timestamp(at)),
        reason: reason.to_string(),
    })
}
