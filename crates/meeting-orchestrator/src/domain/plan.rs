//! StartMeeting's decisions: what a request and the stage's resolution make as a meeting — its
//! time, duration, invitees, the stage instances it is for, and for a weekly stage the series —
//! or why it cannot be made. Pure: the caller brings the time, the host and the resolution.

use serde::{Deserialize, Serialize};

use super::Violation;
use super::agenda;
use super::meeting::{Invitee, PlannedInstance, roles};
use super::stage::{Person, Resolution, StageInfo, StageKind};

/// Durations a request may ask for, in minutes; the recommended ones give no warning.
pub const DURATION_LIMITS: std::ops::RangeInclusive<u32> = 1..=480;
pub const RECOMMENDED_DURATION: std::ops::RangeInclusive<u32> = 30..=60;
/// A start time this far in the past still counts as now (clock skew between caller and us).
pub const START_SKEW_MS: i64 = 60_000;
/// Zoom's most occurrences of one series.
pub const MAX_OCCURRENCES: u32 = 50;

/// What the caller asked for, besides the target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// `None`: an instant meeting, now.
    pub start_ms: Option<i64>,
    pub duration_minutes: Option<u32>,
    /// A subset of the cohort; empty means everyone.
    pub assignment_ids: Vec<String>,
}

/// Checks the request's own fields (before anything is resolved).
pub fn check_request(request: &Request, now_ms: i64) -> Vec<Violation> {
    let mut violations = Vec::new();
    if request.start_ms.is_some_and(|start| start < now_ms - START_SKEW_MS) {
        violations.push(Violation::new("start_time", "is in the past"));
    }
    if let Some(d) = request.duration_minutes.filter(|d| !DURATION_LIMITS.contains(d)) {
        violations.push(Violation::new(
            "duration_minutes",
            format!("{d} is outside {} to {} minutes", DURATION_LIMITS.start(), DURATION_LIMITS.end()),
        ));
    }
    violations
}

/// The settings every meeting gets from configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingOptions {
    pub join_before_host: bool,
    pub waiting_room: bool,
    pub continuous_chat: bool,
}

/// Who hosts: a Zoom user, with their time zone, and the alternative hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Host {
    pub person: Person,
    pub alternative_hosts: Vec<String>,
}

/// A weekly stage's instances of one assignment, in occurrence order: the series' occurrences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesInstance {
    pub stage_instance_id: String,
    pub assignment_id: String,
}

/// A warning that does not stop the meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub field: String,
    pub message: String,
}

/// The meeting to create, as recorded before Zoom is called and used again by recovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingPlan {
    pub meeting_id: String,
    pub marker: String,
    pub stage: StageInfo,
    pub topic: String,
    pub agenda: String,
    pub start_ms: i64,
    pub instant: bool,
    pub duration_minutes: u32,
    pub time_zone: String,
    pub host: Host,
    /// `Some(times)`: a weekly series of `times` occurrences on the stage's weekday.
    pub occurrences: Option<u32>,
    pub invitees: Vec<Invitee>,
    pub instances: Vec<PlannedInstance>,
    pub options: MeetingOptions,
    pub hr_emails: Vec<String>,
    pub warnings: Vec<Warning>,
}

/// Why a meeting cannot be made for the stage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("stage {0} is a {1} stage, not a meeting")]
    NotAMeeting(String, &'static str),
    #[error("stage {0} has no new employee with an open instance: nobody to meet")]
    EmptyCohort(String),
    #[error("invalid argument")]
    Invalid(Vec<Violation>),
}

/// Everything [`plan`] decides from.
pub struct PlanInput<'a> {
    pub meeting_id: &'a str,
    pub resolution: &'a Resolution,
    pub request: &'a Request,
    pub host: Host,
    pub options: MeetingOptions,
    /// For a weekly stage, the employee's instances from the requested one on.
    pub series: Option<Vec<SeriesInstance>>,
    pub now_ms: i64,
}

/// The meeting a request makes.
pub fn plan(input: PlanInput<'_>) -> Result<MeetingPlan, PlanError> {
    let stage = &input.resolution.stage;
    if stage.kind != StageKind::Meeting {
        return Err(PlanError::NotAMeeting(stage.stage_id.clone(), stage.kind.as_str()));
    }
    let cohort = select_cohort(input.resolution, &input.request.assignment_ids)?;
    if cohort.is_empty() {
        return Err(PlanError::EmptyCohort(stage.stage_id.clone()));
    }
    let duration = input.request.duration_minutes.unwrap_or(match stage.duration_minutes {
        0 => 45,
        d => d,
    });
    let mut warnings = Vec::new();
    if !RECOMMENDED_DURATION.contains(&duration) {
        warnings.push(Warning {
            field: "duration_minutes".into(),
            message: format!("{duration} minutes is outside the recommended 30 to 60"),
        });
    }
    let (instances, occurrences) = match (&stage.weekly, input.series) {
        (Some(_), Some(series)) if !series.is_empty() => {
            let series: Vec<SeriesInstance> = series.into_iter().take(MAX_OCCURRENCES as usize).collect();
            let times = series.len() as u32;
            let instances = series
                .into_iter()
                .enumerate()
                .map(|(i, s)| PlannedInstance {
                    stage_instance_id: s.stage_instance_id,
                    assignment_id: s.assignment_id,
                    occurrence_index: Some(i as u32),
                })
                .collect();
            (instances, Some(times))
        }
        _ => (
            cohort
                .iter()
                .map(|m| PlannedInstance {
                    stage_instance_id: m.stage_instance_id.clone(),
                    assignment_id: m.assignment_id.clone(),
                    occurrence_index: None,
                })
                .collect(),
            None,
        ),
    };
    let employees: Vec<&Person> = cohort.iter().map(|m| &m.employee).collect();
    let marker = agenda::marker(input.meeting_id);
    let invitees = invitees(input.resolution, &cohort, &input.host.person);
    Ok(MeetingPlan {
        meeting_id: input.meeting_id.to_string(),
        agenda: agenda::agenda(&marker, stage),
        marker,
        topic: agenda::topic(&stage.title, &employees),
        start_ms: input.request.start_ms.unwrap_or(input.now_ms).max(input.now_ms),
        instant: input.request.start_ms.is_none(),
        duration_minutes: duration,
        time_zone: input.host.person.time_zone.clone(),
        stage: stage.clone(),
        host: input.host,
        occurrences,
        invitees,
        instances,
        options: input.options,
        hr_emails: input.resolution.hr_contacts.iter().map(|p| p.email.clone()).collect(),
        warnings,
    })
}

fn select_cohort<'a>(
    resolution: &'a Resolution,
    wanted: &[String],
) -> Result<Vec<&'a super::stage::CohortMember>, PlanError> {
    if wanted.is_empty() {
        return Ok(resolution.cohort.iter().collect());
    }
    let mut violations = Vec::new();
    for (i, id) in wanted.iter().enumerate() {
        if !resolution.cohort.iter().any(|m| &m.assignment_id == id) {
            violations.push(Violation::new(
                format!("assignment_ids[{i}]"),
                format!("{id} has no open instance of stage {}", resolution.stage.stage_id),
            ));
        }
    }
    if !violations.is_empty() {
        return Err(PlanError::Invalid(violations));
    }
    Ok(resolution.cohort.iter().filter(|m| wanted.contains(&m.assignment_id)).collect())
}

/// The cohort's employees first, then the stage's people, then the host: one entry per e-mail.
fn invitees(resolution: &Resolution, cohort: &[&super::stage::CohortMember], host: &Person) -> Vec<Invitee> {
    let mut out: Vec<Invitee> = Vec::new();
    let mut push = |invitee: Invitee| {
        if !out.iter().any(|i| i.person.email == invitee.person.email) {
            out.push(invitee);
        }
    };
    for member in cohort {
        push(Invitee {
            person: member.employee.clone(),
            role: roles::EMPLOYEE.into(),
            assignment_id: member.assignment_id.clone(),
            stage_instance_id: member.stage_instance_id.clone(),
        });
    }
    for person in &resolution.people {
        let role = person.roles.first().cloned().unwrap_or_else(|| roles::NAMED.into());
        push(Invitee {
            person: person.person.clone(),
            role,
            assignment_id: String::new(),
            stage_instance_id: String::new(),
        });
    }
    push(Invitee {
        person: host.clone(),
        role: roles::HOST.into(),
        assignment_id: String::new(),
        stage_instance_id: String::new(),
    });
    out
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
