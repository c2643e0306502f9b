//! Assignment, stage instance and participant messages.

use butterboard_proto::scenario::v1 as pb;

use super::convert::{person, person_draft, role, stage, stage_kind};
use crate::app::{AssignmentFilter, AssignmentView, ResolvedStage};
use crate::domain::assignment::AssignmentDraft;
use crate::domain::instance::StageStatus;
use crate::events::timestamp;
use crate::store::instances::InstanceRecord;

pub fn assignment_draft(r: &pb::AssignEmployeeRequest) -> AssignmentDraft {
    let optional = |p: &Option<pb::Person>| p.as_ref().map(person_draft).unwrap_or_default();
    AssignmentDraft {
        employee: optional(&r.employee),
        start_date: r.start_date.clone(),
        manager: optional(&r.manager),
        team: r.team.iter().map(person_draft).collect(),
        trainer: optional(&r.trainer),
        hr: optional(&r.hr),
        buddy: optional(&r.buddy),
    }
}

pub fn status(status: StageStatus) -> pb::StageStatus {
    match status {
        StageStatus::Pending => pb::StageStatus::Pending,
        StageStatus::Due => pb::StageStatus::Due,
        StageStatus::Scheduled => pb::StageStatus::Scheduled,
        StageStatus::InProgress => pb::StageStatus::InProgress,
        StageStatus::Completed => pb::StageStatus::Completed,
        StageStatus::Skipped => pb::StageStatus::Skipped,
        StageStatus::Overdue => pb::StageStatus::Overdue,
        StageStatus::Cancelled => pb::StageStatus::Cancelled,
    }
}

/// The filter's status: `None` for unspecified; `Err` for a number outside the enumeration.
pub fn status_filter(value: i32) -> Result<Option<StageStatus>, String> {
    match pb::StageStatus::try_from(value) {
        Ok(pb::StageStatus::Unspecified) => Ok(None),
        Ok(known) => Ok(StageStatus::ALL.into_iter().find(|s| status(*s) == known)),
        Err(_) => Err(format!("{value} is not a stage status")),
    }
}

pub fn filter(r: &pb::ListAssignmentsRequest, stage_status: Option<StageStatus>) -> AssignmentFilter {
    let ms = |t: &Option<prost_types::Timestamp>| {
        t.as_ref().map(|t| t.seconds.saturating_mul(1000).saturating_add(i64::from(t.nanos) / 1_000_000))
    };
    AssignmentFilter {
        scenario_id: r.scenario_id.clone(),
        employee_email: r.employee_email.clone(),
        manager_email: r.manager_email.clone(),
        status: stage_status,
        due_after: ms(&r.due_after),
        due_before: ms(&r.due_before),
        page_size: r.page_size,
        page_token: r.page_token.clone(),
    }
}

pub fn instance(i: &InstanceRecord) -> pb::StageInstance {
    pb::StageInstance {
        id: i.id.clone(),
        assignment_id: i.assignment_id.clone(),
        stage_id: i.stage_id.clone(),
        title: i.title.clone(),
        kind: stage_kind(i.kind) as i32,
        occurrence: i.occurrence,
        due_at: Some(timestamp(i.due_at)),
        due_date: i.due_date.clone(),
        status: status(i.status) as i32,
        missed: i.missed,
        meeting_id: i.meeting_id.clone().unwrap_or_default(),
        completed_at: i.completed_at.map(timestamp),
        feedback: i.feedback.as_ref().map(|f| pb::StageFeedback {
            submitted: true,
            rating: f.rating,
            submitted_at: Some(timestamp(f.submitted_at)),
        }),
    }
}

pub fn assignment(view: &AssignmentView) -> pb::Assignment {
    let a = &view.assignment;
    pb::Assignment {
        id: a.id.clone(),
        scenario_id: a.scenario_id.clone(),
        scenario_version: a.scenario_version,
        scenario_name: a.scenario_name.clone(),
        employee: Some(person(&a.people.employee)),
        start_date: a.start_date.clone(),
        manager: Some(person(&a.people.manager)),
        team: a.people.team.iter().map(person).collect(),
        trainer: a.people.trainer.as_ref().map(person),
        hr: a.people.hr.as_ref().map(person),
        buddy: a.people.buddy.as_ref().map(person),
        stage_instances: view.instances.iter().map(instance).collect(),
        stages: view.stages.iter().map(stage).collect(),
        created_at: Some(timestamp(a.created_at)),
    }
}

/// Consumes the answer; the cohort, shared with the cohort cache, is copied into the message.
pub fn resolved(r: ResolvedStage) -> pb::ResolveParticipantsResponse {
    let people = r.resolved;
    let owned = |p: crate::domain::people::Person| pb::Person {
        email: p.email.into(),
        display_name: p.name,
        time_zone: p.time_zone.map(String::from).unwrap_or_default(),
    };
    pb::ResolveParticipantsResponse {
        stage: Some(stage(&r.stage)),
        scenario_id: r.scenario_id,
        scenario_version: r.scenario_version,
        scenario_name: r.scenario_name,
        participants: people
            .participants
            .into_iter()
            .map(|p| pb::Participant {
                roles: p.roles.iter().map(|r| role(*r) as i32).collect(),
                named: p.named,
                person: Some(owned(p.person)),
            })
            .collect(),
        cohort: people
            .cohort
            .iter()
            .map(|m| pb::CohortMember {
                due_at: Some(timestamp(m.due_at_ms)),
                status: status(m.status) as i32,
                employee: Some(person(&m.employee)),
                assignment_id: m.assignment_id.clone(),
                stage_instance_id: m.stage_instance_id.clone(),
            })
            .collect(),
        hr_contacts: people.hr_contacts.into_iter().map(owned).collect(),
    }
}
