//! Messages to and from the application layer's types.

use butterboard_proto::meeting::v1 as pb;

use crate::app::read::ListFilter;
use crate::app::{AttendanceView, MeetingView};
use crate::domain::attendance::PersonAttendance;
use crate::domain::meeting::MeetingStatus;
use crate::domain::plan::Warning;
use crate::domain::stage::Person;
use crate::events::timestamp;
use crate::store::meetings::Loaded;

pub fn ms(t: Option<&prost_types::Timestamp>) -> Option<i64> {
    t.map(|t| t.seconds.saturating_mul(1000).saturating_add(i64::from(t.nanos) / 1_000_000))
}

pub fn person(p: &Person) -> pb::Person {
    pb::Person { email: p.email.clone(), display_name: p.name.clone(), time_zone: p.time_zone.clone() }
}

pub fn person_in(p: &pb::Person) -> Person {
    Person::new(&p.email, &p.display_name, &p.time_zone)
}

pub fn status(s: MeetingStatus) -> pb::MeetingStatus {
    match s {
        MeetingStatus::Creating => pb::MeetingStatus::Creating,
        MeetingStatus::Scheduled => pb::MeetingStatus::Scheduled,
        MeetingStatus::Started => pb::MeetingStatus::Started,
        MeetingStatus::Ended => pb::MeetingStatus::Ended,
        MeetingStatus::Cancelled => pb::MeetingStatus::Cancelled,
    }
}

pub fn status_in(s: i32) -> Option<MeetingStatus> {
    match pb::MeetingStatus::try_from(s).ok()? {
        pb::MeetingStatus::Unspecified => None,
        pb::MeetingStatus::Creating => Some(MeetingStatus::Creating),
        pb::MeetingStatus::Scheduled => Some(MeetingStatus::Scheduled),
        pb::MeetingStatus::Started => Some(MeetingStatus::Started),
        pb::MeetingStatus::Ended => Some(MeetingStatus::Ended),
        pb::MeetingStatus::Cancelled => Some(MeetingStatus::Cancelled),
    }
}

pub fn warning(w: &Warning) -> pb::Warning {
    pb::Warning { field: w.field.clone(), message: w.message.clone() }
}

fn attendance(a: Option<&PersonAttendance>, ended: bool) -> Option<pb::Attendance> {
    match a {
        Some(a) => Some(pb::Attendance {
            joined: true,
            seconds_present: a.seconds_present,
            minutes_present: a.seconds_present / 60,
            absent: false,
            first_joined_at: Some(timestamp(a.first_joined_ms)),
            last_left_at: Some(timestamp(a.last_left_ms)),
            sessions: a.intervals,
            joined_late: a.joined_late,
            left_early: a.left_early,
        }),
        None if ended => Some(pb::Attendance { absent: true, ..Default::default() }),
        None => None,
    }
}

fn invitee(v: &AttendanceView, ended: bool) -> pb::Invitee {
    pb::Invitee {
        person: Some(person(&v.invitee.person)),
        role: v.invitee.role.clone(),
        assignment_id: v.invitee.assignment_id.clone(),
        stage_instance_id: v.invitee.stage_instance_id.clone(),
        attendance: attendance(v.attendance.as_ref(), ended),
    }
}

/// A meeting without attendance, chat and sessions (lists).
pub fn summary(m: &Loaded) -> pb::Meeting {
    let row = &m.row;
    let plan = &row.plan;
    pb::Meeting {
        id: row.id.clone(),
        zoom_meeting_id: row.zoom_meeting_id.unwrap_or_default(),
        scenario_id: row.scenario_id.clone(),
        stage_id: row.stage_id.clone(),
        stage_title: plan.stage.title.clone(),
        topic: row.topic.clone(),
        agenda: plan.agenda.clone(),
        start_time: Some(timestamp(row.start_at)),
        duration_minutes: row.duration_minutes,
        time_zone: row.time_zone.clone(),
        join_url: row.join_url.clone().unwrap_or_default(),
        start_url: String::new(),
        status: status(row.status) as i32,
        host: Some(person(&plan.host.person)),
        alternative_hosts: plan.host.alternative_hosts.clone(),
        invitees: m
            .invitees
            .iter()
            .filter(|i| !i.removed)
            .map(|i| invitee(&AttendanceView { invitee: i.invitee.clone(), removed: false, attendance: None }, false))
            .collect(),
        guests: vec![],
        chat_messages: vec![],
        recurring: !m.occurrences.is_empty(),
        occurrences: m
            .occurrences
            .iter()
            .map(|o| pb::Occurrence {
                occurrence_id: o.occurrence_id.clone(),
                start_time: Some(timestamp(o.start_at)),
                duration_minutes: o.duration_minutes,
                stage_instance_ids: m
                    .instances
                    .iter()
                    .filter(|i| i.occurrence_id.as_deref() == Some(o.occurrence_id.as_str()))
                    .map(|i| i.instance.stage_instance_id.clone())
                    .collect(),
                status: o.status.clone(),
            })
            .collect(),
        sessions: vec![],
        stage_instance_ids: m.instances.iter().map(|i| i.instance.stage_instance_id.clone()).collect(),
        created_at: Some(timestamp(row.created_at)),
        cancel_reason: row.cancel_reason.clone().unwrap_or_default(),
        scenario_version: plan.stage.scenario_version,
    }
}

/// A meeting as GetMeeting answers it.
pub fn meeting(v: &MeetingView) -> pb::Meeting {
    let ended = v.latest_ended();
    pb::Meeting {
        invitees: v
            .invitees
            .iter()
            .filter(|i| !i.removed || i.attendance.is_some())
            .map(|i| invitee(i, ended))
            .collect(),
        guests: v
            .guests
            .iter()
            .map(|(g, uuid)| pb::Guest {
                person: Some(pb::Person {
                    email: g.email.clone(),
                    display_name: g.name.clone(),
                    time_zone: String::new(),
                }),
                attendance: attendance(Some(g), true),
                session_uuid: uuid.clone(),
            })
            .collect(),
        chat_messages: v
            .chat
            .iter()
            .map(|c| pb::ChatMessage {
                message_id: c.message_id.clone(),
                sender_name: c.sender_name.clone(),
                sender_email: c.sender_email.clone(),
                text: c.text.clone(),
                sent_at: Some(timestamp(c.sent_at)),
                session_uuid: c.session_uuid.clone(),
            })
            .collect(),
        sessions: v
            .sessions
            .iter()
            .map(|s| pb::Session {
                uuid: s.uuid.clone(),
                occurrence_id: s.occurrence_id.clone().unwrap_or_default(),
                started_at: s.started_at.map(timestamp),
                ended_at: s.ended_at.map(timestamp),
                reconciled: s.reconciled,
            })
            .collect(),
        start_url: v.start_url.clone().unwrap_or_default(),
        ..summary(&v.loaded)
    }
}

pub fn filter(r: pb::ListMeetingsRequest) -> ListFilter {
    ListFilter {
        scenario_id: r.scenario_id,
        stage_id: r.stage_id,
        assignment_id: r.assignment_id,
        employee_email: r.employee_email,
        status: status_in(r.status),
        start_after: ms(r.start_after.as_ref()),
        start_before: ms(r.start_before.as_ref()),
        page_size: r.page_size,
        page_token: r.page_token,
    }
}
