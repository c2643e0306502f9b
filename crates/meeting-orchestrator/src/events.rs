//! The events this service publishes, built from its records and written to the outbox in the
//! transaction of the change they describe. `start_url` and passcodes never go into them.

use butterboard_proto::events::v1 as pb;
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::store::outbox;
use sqlx::{Any, Transaction};

use crate::domain::meeting::Invitee;
use crate::domain::stage::Person;
use crate::store::meetings::Loaded;
use crate::store::sessions::SessionRow;

/// The CloudEvents source name of this service.
pub const SERVICE: &str = "meeting-orchestrator";

/// Writes `event` about meeting `aggregate_id` to the outbox of `tx`.
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
    pb::Person { email: p.email.clone(), display_name: p.name.clone(), time_zone: p.time_zone.clone() }
}

pub fn participant(i: &Invitee) -> pb::Participant {
    pb::Participant {
        person: Some(person(&i.person)),
        role: i.role.clone(),
        assignment_id: i.assignment_id.clone(),
        stage_instance_id: i.stage_instance_id.clone(),
    }
}

/// The stage instances a session was for: in a series, those tied to its occurrence; otherwise
/// (or when the occurrence is unknown) all of the meeting's.
pub fn session_instances(m: &Loaded, occurrence_id: Option<&str>) -> Vec<String> {
    let tied: Vec<String> = m
        .instances
        .iter()
        .filter(|i| occurrence_id.is_some() && i.occurrence_id.as_deref() == occurrence_id)
        .map(|i| i.instance.stage_instance_id.clone())
        .collect();
    if !tied.is_empty() {
        return tied;
    }
    m.instances.iter().map(|i| i.instance.stage_instance_id.clone()).collect()
}

pub fn scheduled(m: &Loaded) -> OnboardingEvent {
    let plan = &m.row.plan;
    let current: Vec<&Invitee> = m.current_invitees().collect();
    OnboardingEvent::MeetingScheduled(pb::MeetingScheduled {
        meeting_id: m.row.id.clone(),
        zoom_meeting_id: m.row.zoom_meeting_id.unwrap_or_default(),
        scenario_id: plan.stage.scenario_id.clone(),
        stage_id: plan.stage.stage_id.clone(),
        stage_instance_ids: m.instances.iter().map(|i| i.instance.stage_instance_id.clone()).collect(),
        topic: m.row.topic.clone(),
        agenda: plan.agenda.clone(),
        start_time: Some(timestamp(m.row.start_at)),
        duration_minutes: m.row.duration_minutes,
        time_zone: m.row.time_zone.clone(),
        join_url: m.row.join_url.clone().unwrap_or_default(),
        host: Some(person(&plan.host.person)),
        invitees: current.iter().map(|i| person(&i.person)).collect(),
        recording_privacy: plan.stage.recording_privacy,
        hr_emails: plan.hr_emails.clone(),
        scenario_name: plan.stage.scenario_name.clone(),
        stage_title: plan.stage.title.clone(),
        zoom_meeting_uuid: m.row.zoom_uuid.clone().unwrap_or_default(),
        scenario_version: plan.stage.scenario_version,
        participants: current.iter().map(|i| participant(i)).collect(),
        occurrences: m
            .occurrences
            .iter()
            .map(|o| pb::MeetingOccurrence {
                occurrence_id: o.occurrence_id.clone(),
                start_time: Some(timestamp(o.start_at)),
                duration_minutes: o.duration_minutes,
                stage_instance_ids: m
                    .instances
                    .iter()
                    .filter(|i| i.occurrence_id.as_deref() == Some(o.occurrence_id.as_str()))
                    .map(|i| i.instance.stage_instance_id.clone())
                    .collect(),
            })
            .collect(),
        feedback_questions: plan.stage.questions.clone(),
        goals: plan.stage.goals.clone(),
    })
}

pub fn started(m: &Loaded, s: &SessionRow) -> OnboardingEvent {
    OnboardingEvent::MeetingStarted(pb::MeetingStarted {
        meeting_id: m.row.id.clone(),
        zoom_meeting_id: m.row.zoom_meeting_id.unwrap_or_default(),
        zoom_meeting_uuid: s.uuid.clone(),
        started_at: s.started_at.map(timestamp),
        scenario_id: m.row.scenario_id.clone(),
        stage_id: m.row.stage_id.clone(),
        stage_instance_ids: session_instances(m, s.occurrence_id.as_deref()),
        occurrence_id: s.occurrence_id.clone().unwrap_or_default(),
    })
}

pub fn ended(m: &Loaded, s: &SessionRow, attendance: Vec<pb::Attendance>) -> OnboardingEvent {
    let plan = &m.row.plan;
    OnboardingEvent::MeetingEnded(pb::MeetingEnded {
        meeting_id: m.row.id.clone(),
        zoom_meeting_id: m.row.zoom_meeting_id.unwrap_or_default(),
        zoom_meeting_uuid: s.uuid.clone(),
        scenario_id: m.row.scenario_id.clone(),
        stage_id: m.row.stage_id.clone(),
        stage_instance_ids: session_instances(m, s.occurrence_id.as_deref()),
        started_at: s.started_at.map(timestamp),
        ended_at: s.ended_at.map(timestamp),
        attendance,
        occurrence_id: s.occurrence_id.clone().unwrap_or_default(),
        scenario_name: plan.stage.scenario_name.clone(),
        stage_title: plan.stage.title.clone(),
        scenario_version: plan.stage.scenario_version,
        topic: m.row.topic.clone(),
        recording_privacy: plan.stage.recording_privacy,
        feedback_questions: plan.stage.questions.clone(),
        reconciled: s.reconciled,
    })
}

pub fn cancelled(m: &Loaded, occurrence_id: Option<&str>, reason: &str) -> OnboardingEvent {
    OnboardingEvent::MeetingCancelled(pb::MeetingCancelled {
        meeting_id: m.row.id.clone(),
        zoom_meeting_id: m.row.zoom_meeting_id.unwrap_or_default(),
        reason: reason.to_string(),
        scenario_id: m.row.scenario_id.clone(),
        stage_id: m.row.stage_id.clone(),
        stage_instance_ids: session_instances(m, occurrence_id),
        occurrence_id: occurrence_id.unwrap_or_default().to_string(),
    })
}

pub fn rescheduled(m: &Loaded, occurrence_id: Option<&str>, start_at: i64, duration: u32) -> OnboardingEvent {
    OnboardingEvent::MeetingRescheduled(pb::MeetingRescheduled {
        meeting_id: m.row.id.clone(),
        zoom_meeting_id: m.row.zoom_meeting_id.unwrap_or_default(),
        scenario_id: m.row.scenario_id.clone(),
        stage_id: m.row.stage_id.clone(),
        stage_instance_ids: session_instances(m, occurrence_id),
        occurrence_id: occurrence_id.unwrap_or_default().to_string(),
        start_time: Some(timestamp(start_at)),
        duration_minutes: duration,
        time_zone: m.row.time_zone.clone(),
        join_url: m.row.join_url.clone().unwrap_or_default(),
    })
}

pub fn invitees_changed(m: &Loaded, added: &[Invitee], removed: &[Invitee]) -> OnboardingEvent {
    OnboardingEvent::MeetingInviteesChanged(pb::MeetingInviteesChanged {
        meeting_id: m.row.id.clone(),
        zoom_meeting_id: m.row.zoom_meeting_id.unwrap_or_default(),
        scenario_id: m.row.scenario_id.clone(),
        stage_id: m.row.stage_id.clone(),
        added: added.iter().map(participant).collect(),
        removed: removed.iter().map(participant).collect(),
        participants: m.current_invitees().map(participant).collect(),
        join_url: m.row.join_url.clone().unwrap_or_default(),
    })
}
