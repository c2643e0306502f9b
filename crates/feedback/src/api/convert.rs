//! Records ↔ messages.

use butterboard_proto::feedback::v1 as pb;

use crate::app::{ReportView, RequestView};
use crate::domain::report::{AttendanceCell, CohortRow, Figures, StageRow};
use crate::domain::request::{AttendanceClass, RequestStatus};
use crate::events::timestamp;
use crate::store::notes::NoteRecord;
use crate::store::responses::StageComment;

pub fn status(s: RequestStatus) -> pb::RequestStatus {
    match s {
        RequestStatus::Open => pb::RequestStatus::Open,
        RequestStatus::Answered => pb::RequestStatus::Answered,
        RequestStatus::Expired => pb::RequestStatus::Expired,
        RequestStatus::Withdrawn => pb::RequestStatus::Withdrawn,
    }
}

pub fn class(c: AttendanceClass) -> pb::AttendanceClass {
    match c {
        AttendanceClass::NoMeeting => pb::AttendanceClass::NoMeeting,
        AttendanceClass::Full => pb::AttendanceClass::Full,
        AttendanceClass::Partial => pb::AttendanceClass::Partial,
        AttendanceClass::Missed => pb::AttendanceClass::Missed,
    }
}

pub fn request(view: &RequestView) -> pb::FeedbackRequest {
    let r = &view.request;
    pb::FeedbackRequest {
        id: r.id.clone(),
        assignment_id: r.assignment_id.clone(),
        scenario_id: r.scenario_id.clone(),
        scenario_version: r.scenario_version,
        stage_id: r.stage_id.clone(),
        stage_instance_id: r.stage_instance_id.clone(),
        stage_title: r.stage_title.clone(),
        occurrence: r.occurrence,
        meeting_id: r.meeting_id.clone().unwrap_or_default(),
        status: status(r.status) as i32,
        questions: r.questions.clone(),
        asked_at: Some(timestamp(r.asked_at)),
        due_at: Some(timestamp(r.due_at)),
        link: r.link.clone(),
        reminders_sent: r.reminders_sent,
        attendance: Some(pb::Attendance {
            class: class(r.attendance) as i32,
            seconds_present: r.presence.seconds_present,
            joined_late: r.presence.joined_late,
            left_early: r.presence.left_early,
        }),
        answer: view.response.as_ref().map(|a| pb::Answer {
            rating: a.rating,
            comment: a.comment.clone(),
            answers: a.answers.clone(),
            submitted_at: Some(timestamp(a.submitted_at)),
        }),
    }
}

pub fn note(n: &NoteRecord) -> pb::ManagerNote {
    pb::ManagerNote {
        id: n.id.clone(),
        assignment_id: n.assignment_id.clone(),
        stage_instance_id: n.stage_instance_id.clone().unwrap_or_default(),
        stage_id: n.stage_id.clone().unwrap_or_default(),
        manager_email: n.manager_email.clone(),
        rating: n.rating,
        comment: n.comment.clone(),
        created_at: Some(timestamp(n.created_at)),
    }
}

pub fn comment(c: &StageComment) -> pb::StageComment {
    pb::StageComment {
        scenario_version: c.scenario_version,
        rating: c.response.rating,
        comment: c.response.comment.clone(),
        answers: c.response.answers.clone(),
        questions: c.questions.clone(),
        submitted_at: Some(timestamp(c.response.submitted_at)),
        cohort: c.cohort.clone(),
        attendance: class(c.attendance) as i32,
    }
}

fn count(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn ratings(figures: Option<&Figures>, note: &str) -> pb::RatingSummary {
    match figures {
        Some(f) => pb::RatingSummary {
            answered: count(f.answered),
            average_rating: f.average.unwrap_or(0.0),
            suppressed: false,
            note: String::new(),
        },
        None => pb::RatingSummary { suppressed: true, note: note.to_string(), ..Default::default() },
    }
}

fn cell(c: &AttendanceCell, note: &str) -> pb::AttendanceCell {
    pb::AttendanceCell {
        class: class(c.class) as i32,
        requests: count(c.requests),
        ratings: Some(ratings(c.figures.as_ref(), note)),
    }
}

fn stage(row: &StageRow, note: &str) -> pb::StageRow {
    let attendance = row.attendance.iter().map(|c| cell(c, note)).collect();
    let base = pb::StageRow {
        stage_id: row.stage_id.clone(),
        stage_title: row.stage_title.clone(),
        scenario_version: row.scenario_version,
        requests: count(row.requests),
        attendance,
        weak: row.weak,
        ..Default::default()
    };
    match &row.figures {
        Some(f) => pb::StageRow {
            answered: count(f.answered),
            response_rate: f.response_rate,
            average_rating: f.average.unwrap_or(0.0),
            distribution: f.distribution.iter().map(|n| count(*n)).collect(),
            median_hours_to_answer: row.median_hours_to_answer.unwrap_or(0.0),
            ..base
        },
        None => pb::StageRow { suppressed: true, note: note.to_string(), ..base },
    }
}

fn cohort(row: &CohortRow, note: &str) -> pb::CohortRow {
    let base = pb::CohortRow { cohort: row.cohort.clone(), requests: count(row.requests), ..Default::default() };
    match &row.figures {
        Some(f) => pb::CohortRow {
            answered: count(f.answered),
            response_rate: f.response_rate,
            average_rating: f.average.unwrap_or(0.0),
            ..base
        },
        None => pb::CohortRow { suppressed: true, note: note.to_string(), ..base },
    }
}

pub fn report(view: &ReportView) -> pb::Report {
    let note = view.report.note();
    pb::Report {
        scenario_id: view.scenario_id.clone(),
        scenario_name: view.scenario_name.clone(),
        scenario_version: view.version.unwrap_or(0),
        stages: view.report.stages.iter().map(|s| stage(s, &note)).collect(),
        cohorts: view.report.cohorts.iter().map(|c| cohort(c, &note)).collect(),
        anonymity_threshold: view.report.audience.threshold(),
        generated_at: Some(timestamp(view.generated_at)),
    }
}
