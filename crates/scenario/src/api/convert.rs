//! Scenario messages ↔ the domain: requests become drafts (enumerations as words, unknown numbers
//! kept so validation names them), validated scenarios become messages.

use butterboard_proto::scenario::v1 as pb;

use crate::domain::draft::{
    MaterialDraft, OffsetDraft, ScenarioDraft, StageDraft, TimingDraft, Violation, Warning, WeeklyDraft,
};
use crate::domain::people::{Person, PersonDraft};
use crate::domain::scenario::{MaterialKind, RecordingPrivacy, Role, Stage, StageKind};
use crate::domain::timing::{OffsetUnit, Timing, format_local_time};
use crate::events::timestamp;
use crate::store::scenarios::ScenarioRecord;

/// The word for a known enumeration value, "" for unspecified, the number for an unknown one.
fn word<E: TryFrom<i32>>(value: i32, name: impl Fn(E) -> &'static str) -> String {
    match E::try_from(value) {
        Ok(known) => name(known).to_string(),
        Err(_) => value.to_string(),
    }
}

pub fn scenario_draft(s: &pb::Scenario) -> ScenarioDraft {
    ScenarioDraft {
        name: s.name.clone(),
        description: s.description.clone(),
        owner_email: s.owner_email.clone(),
        holidays: s.holidays.clone(),
        stages: s.stages.iter().map(stage_draft).collect(),
    }
}

fn stage_draft(s: &pb::Stage) -> StageDraft {
    let schedule = s.timing.as_ref().and_then(|t| t.schedule.as_ref());
    let timing = match schedule {
        None => TimingDraft::default(),
        Some(pb::timing::Schedule::Offset(o)) => TimingDraft {
            offset: Some(OffsetDraft {
                unit: word(o.unit, |u: pb::OffsetUnit| match u {
                    pb::OffsetUnit::Unspecified => "",
                    pb::OffsetUnit::BusinessDays => "business_days",
                    pb::OffsetUnit::Weeks => "weeks",
                    pb::OffsetUnit::Months => "months",
                }),
                amount: i64::from(o.amount),
                local_time: o.local_time.clone(),
            }),
            weekly: None,
        },
        Some(pb::timing::Schedule::Weekly(w)) => TimingDraft {
            offset: None,
            weekly: Some(WeeklyDraft {
                weekday: word(w.weekday, |d: pb::Weekday| match d {
                    pb::Weekday::Unspecified => "",
                    pb::Weekday::Monday => "monday",
                    pb::Weekday::Tuesday => "tuesday",
                    pb::Weekday::Wednesday => "wednesday",
                    pb::Weekday::Thursday => "thursday",
                    pb::Weekday::Friday => "friday",
                    pb::Weekday::Saturday => "saturday",
                    pb::Weekday::Sunday => "sunday",
                }),
                local_time: w.local_time.clone(),
                occurrences: i64::from(w.occurrences),
            }),
        },
    };
    StageDraft {
        id: s.id.clone(),
        title: s.title.clone(),
        description: s.description.clone(),
        kind: word(s.kind, |k: pb::StageKind| match k {
            pb::StageKind::Unspecified => "",
            pb::StageKind::Meeting => "meeting",
            pb::StageKind::Task => "task",
            pb::StageKind::Reading => "reading",
        }),
        timing,
        participant_roles: s
            .participant_roles
            .iter()
            .map(|r| {
                word(*r, |r: pb::ParticipantRole| match r {
                    pb::ParticipantRole::Unspecified => "",
                    pb::ParticipantRole::Manager => "manager",
                    pb::ParticipantRole::Team => "team",
                    pb::ParticipantRole::Trainer => "trainer",
                    pb::ParticipantRole::Hr => "hr",
                    pb::ParticipantRole::Buddy => "buddy",
                })
            })
            .collect(),
        named_participants: s.named_participants.iter().map(person_draft).collect(),
        duration_minutes: s.duration_minutes,
        allow_duration_outside_recommended: s.allow_duration_outside_recommended,
        agenda: s.agenda.clone(),
        goals: s.goals.clone(),
        materials: s
            .materials
            .iter()
            .map(|m| MaterialDraft {
                title: m.title.clone(),
                url: m.url.clone(),
                kind: word(m.kind, |k: pb::MaterialKind| match k {
                    pb::MaterialKind::Unspecified => "",
                    pb::MaterialKind::Document => "document",
                    pb::MaterialKind::Presentation => "presentation",
                    pb::MaterialKind::Link => "link",
                    pb::MaterialKind::PreviousRecording => "previous_recording",
                }),
            })
            .collect(),
        questions: s.questions.clone(),
        recording_privacy: word(s.recording_privacy, |p: pb::RecordingPrivacy| match p {
            pb::RecordingPrivacy::Unspecified => "",
            pb::RecordingPrivacy::Participants => "participants",
            pb::RecordingPrivacy::ParticipantsAndHr => "participants_and_hr",
            pb::RecordingPrivacy::Organization => "organization",
            pb::RecordingPrivacy::HrOnly => "hr_only",
        }),
        schedule_automatically: s.schedule_automatically,
    }
}

pub fn person_draft(p: &pb::Person) -> PersonDraft {
    PersonDraft { email: p.email.clone(), name: p.display_name.clone(), time_zone: p.time_zone.clone() }
}

pub fn person(p: &Person) -> pb::Person {
    pb::Person {
        email: p.email.to_string(),
        display_name: p.name.clone(),
        time_zone: p.time_zone.as_ref().map(|z| z.as_str().to_string()).unwrap_or_default(),
    }
}

pub fn scenario(record: &ScenarioRecord) -> pb::Scenario {
    let d = &record.definition;
    let time = |ms: i64| (ms > 0).then(|| timestamp(ms));
    pb::Scenario {
        id: record.id.clone(),
        version: record.version,
        name: d.name.clone(),
        description: d.description.clone(),
        owner_email: d.owner.to_string(),
        stages: d.stages.iter().map(stage).collect(),
        holidays: d.holidays.0.iter().map(ToString::to_string).collect(),
        archived: record.archived,
        current_version: record.current_version,
        created_at: time(record.created_at),
        updated_at: time(record.updated_at),
    }
}

pub fn stage_kind(kind: StageKind) -> pb::StageKind {
    match kind {
        StageKind::Meeting => pb::StageKind::Meeting,
        StageKind::Task => pb::StageKind::Task,
        StageKind::Reading => pb::StageKind::Reading,
    }
}

pub fn role(role: Role) -> pb::ParticipantRole {
    match role {
        Role::Manager => pb::ParticipantRole::Manager,
        Role::Team => pb::ParticipantRole::Team,
        Role::Trainer => pb::ParticipantRole::Trainer,
        Role::Hr => pb::ParticipantRole::Hr,
        Role::Buddy => pb::ParticipantRole::Buddy,
    }
}

pub fn stage(s: &Stage) -> pb::Stage {
    let schedule = match &s.timing {
        Timing::Offset { unit, amount, at } => pb::timing::Schedule::Offset(pb::Offset {
            unit: match unit {
                OffsetUnit::BusinessDays => pb::OffsetUnit::BusinessDays,
                OffsetUnit::Weeks => pb::OffsetUnit::Weeks,
                OffsetUnit::Months => pb::OffsetUnit::Months,
            } as i32,
            amount: *amount,
            local_time: format_local_time(*at),
        }),
        Timing::Weekly { weekday, at, occurrences } => pb::timing::Schedule::Weekly(pb::WeeklyRecurrence {
            // jiff numbers Monday 1 … Sunday 7, as the enumeration does.
            weekday: i32::from(weekday.to_monday_one_offset()),
            local_time: format_local_time(*at),
            occurrences: *occurrences,
        }),
    };
    pb::Stage {
        id: s.id.clone(),
        title: s.title.clone(),
        kind: stage_kind(s.kind) as i32,
        timing: Some(pb::Timing { schedule: Some(schedule) }),
        description: s.description.clone(),
        participant_roles: s.roles.iter().map(|r| role(*r) as i32).collect(),
        named_participants: s.people.iter().map(person).collect(),
        duration_minutes: s.duration_minutes,
        allow_duration_outside_recommended: s.duration_override,
        agenda: s.agenda.clone(),
        goals: s.goals.clone(),
        materials: s
            .materials
            .iter()
            .map(|m| pb::Material {
                title: m.title.clone(),
                url: m.url.clone(),
                kind: match m.kind {
                    MaterialKind::Document => pb::MaterialKind::Document,
                    MaterialKind::Presentation => pb::MaterialKind::Presentation,
                    MaterialKind::Link => pb::MaterialKind::Link,
                    MaterialKind::PreviousRecording => pb::MaterialKind::PreviousRecording,
                } as i32,
            })
            .collect(),
        questions: s.questions.clone(),
        recording_privacy: match s.recording_privacy {
            RecordingPrivacy::Participants => pb::RecordingPrivacy::Participants,
            RecordingPrivacy::ParticipantsAndHr => pb::RecordingPrivacy::ParticipantsAndHr,
            RecordingPrivacy::Organization => pb::RecordingPrivacy::Organization,
            RecordingPrivacy::HrOnly => pb::RecordingPrivacy::HrOnly,
        } as i32,
        schedule_automatically: s.schedule_automatically,
    }
}

pub fn warnings(warnings: &[Warning], prefix: &str) -> Vec<pb::Warning> {
    warnings.iter().map(|w| pb::Warning { field: format!("{prefix}{}", w.field), message: w.message.clone() }).collect()
}

pub fn violations(violations: &[Violation], prefix: &str) -> Vec<pb::FieldViolation> {
    violations
        .iter()
        .map(|v| pb::FieldViolation { field: format!("{prefix}{}", v.field), description: v.description.clone() })
        .collect()
}
