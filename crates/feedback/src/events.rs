//! The events this service publishes, built from its records and written to the outbox in the
//! transaction of the change they describe. Free text (comments, answers, notes) never goes on
//! the bus: other services get ratings and ids, and read text through the API where allowed.

use butterboard_proto::events::v1 as pb;
use butterboard_runtime::bus::OutgoingMessage;
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::store::outbox;
use sqlx::{Any, Transaction};

use crate::store::notes::NoteRecord;
use crate::store::requests::RequestRecord;

/// The CloudEvents source name of this service.
pub const SERVICE: &str = "feedback";

/// Writes `events` (each about the request, assignment or note id beside it) to the outbox of
/// `tx`, several rows per statement.
pub async fn enqueue(
    tx: &mut Transaction<'static, Any>,
    events: Vec<(OnboardingEvent, String)>,
) -> Result<(), sqlx::Error> {
    let messages: Vec<OutgoingMessage> = events
        .into_iter()
        .map(|(event, aggregate_id)| {
            let subject = event.subject();
            event.into_cloud_event(SERVICE, aggregate_id).into_message(subject)
        })
        .collect();
    let refs: Vec<&OutgoingMessage> = messages.iter().collect();
    outbox::enqueue_messages(tx, &refs).await
}

pub fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: ms.div_euclid(1000), nanos: (ms.rem_euclid(1000) * 1_000_000) as i32 }
}

pub fn ms(timestamp: Option<&prost_types::Timestamp>) -> Option<i64> {
    timestamp.map(|t| t.seconds.saturating_mul(1000).saturating_add(i64::from(t.nanos) / 1_000_000))
}

fn employee(r: &RequestRecord) -> pb::Person {
    pb::Person {
        email: r.employee_email.clone(),
        display_name: r.employee_name.clone(),
        time_zone: r.employee_time_zone.clone(),
    }
}

pub fn requested(r: &RequestRecord) -> (OnboardingEvent, String) {
    let event = OnboardingEvent::FeedbackRequested(pb::FeedbackRequested {
        request_id: r.id.clone(),
        assignment_id: r.assignment_id.clone(),
        stage_id: r.stage_id.clone(),
        stage_instance_id: r.stage_instance_id.clone(),
        employee: Some(employee(r)),
        due_at: Some(timestamp(r.due_at)),
        questions: r.questions.clone(),
        scenario_id: r.scenario_id.clone(),
        stage_title: r.stage_title.clone(),
        link: r.link.clone(),
        occurrence: r.occurrence,
        meeting_id: r.meeting_id.clone().unwrap_or_default(),
    });
    (event, r.id.clone())
}

pub fn reminder(r: &RequestRecord, number: u32) -> (OnboardingEvent, String) {
    let event = OnboardingEvent::FeedbackReminder(pb::FeedbackReminder {
        request_id: r.id.clone(),
        employee: Some(employee(r)),
        reminder_number: number,
        assignment_id: r.assignment_id.clone(),
        stage_instance_id: r.stage_instance_id.clone(),
        due_at: Some(timestamp(r.due_at)),
        link: r.link.clone(),
        stage_title: r.stage_title.clone(),
    });
    (event, r.id.clone())
}

pub fn expired(r: &RequestRecord, at: i64) -> (OnboardingEvent, String) {
    let event = OnboardingEvent::FeedbackExpired(pb::FeedbackExpired {
        request_id: r.id.clone(),
        assignment_id: r.assignment_id.clone(),
        stage_instance_id: r.stage_instance_id.clone(),
        employee: Some(employee(r)),
        expired_at: Some(timestamp(at)),
    });
    (event, r.id.clone())
}

/// Ratings and ids only.
pub fn submitted(r: &RequestRecord, rating: u32, at: i64) -> (OnboardingEvent, String) {
    let event = OnboardingEvent::FeedbackSubmitted(pb::FeedbackSubmitted {
        request_id: r.id.clone(),
        assignment_id: r.assignment_id.clone(),
        scenario_id: r.scenario_id.clone(),
        stage_id: r.stage_id.clone(),
        stage_instance_id: r.stage_instance_id.clone(),
        employee: Some(employee(r)),
        rating,
        submitted_at: Some(timestamp(at)),
        scenario_version: r.scenario_version,
        occurrence: r.occurrence,
    });
    (event, r.id.clone())
}

/// Ids only: the note is read through the API by the employee, the manager and HR.
pub fn manager_note(note: &NoteRecord, scenario_id: &str) -> (OnboardingEvent, String) {
    let event = OnboardingEvent::FeedbackManagerNote(pb::FeedbackManagerNote {
        note_id: note.id.clone(),
        assignment_id: note.assignment_id.clone(),
        stage_instance_id: note.stage_instance_id.clone().unwrap_or_default(),
        scenario_id: scenario_id.to_string(),
        stage_id: note.stage_id.clone().unwrap_or_default(),
    });
    (event, note.assignment_id.clone())
}
