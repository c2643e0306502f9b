//! Assigning a new employee: who takes part (each role of the assignment), and the stage
//! instances with their due times, planned from the scenario version and the start date.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::draft::{Violation, Violations};
use super::people::{Person, PersonDraft, TimeZoneName};
use super::scenario::{Role, ScenarioDefinition, StageKind};
use super::timing::{Due, TimingError, parse_date, schedule};
use super::validation::person;

/// An assignment request as the client sent it; an empty person means "not given".
#[derive(Debug, Clone, Default)]
pub struct AssignmentDraft {
    pub employee: PersonDraft,
    pub start_date: String,
    pub manager: PersonDraft,
    pub team: Vec<PersonDraft>,
    pub trainer: PersonDraft,
    pub hr: PersonDraft,
    pub buddy: PersonDraft,
}

/// The people of an assignment. Everyone has a time zone: the employee's unless given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentPeople {
    pub employee: Person,
    pub manager: Person,
    #[serde(default)]
    pub team: Vec<Person>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trainer: Option<Person>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr: Option<Person>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buddy: Option<Person>,
}

impl AssignmentPeople {
    /// The people of the assignment who fill `role`.
    pub fn with_role(&self, role: Role) -> impl Iterator<Item = &Person> {
        // One person or a list, without allocating: this runs for every member of a cohort.
        let (one, many): (Option<&Person>, &[Person]) = match role {
            Role::Manager => (Some(&self.manager), &[]),
            Role::Team => (None, &self.team),
            Role::Trainer => (self.trainer.as_ref(), &[]),
            Role::Hr => (self.hr.as_ref(), &[]),
            Role::Buddy => (self.buddy.as_ref(), &[]),
        };
        one.into_iter().chain(many)
    }

    /// The employee's zone; validation guarantees one.
    pub fn zone(&self) -> Option<&TimeZoneName> {
        self.employee.time_zone.as_ref()
    }
}

/// A checked assignment request.
#[derive(Debug, Clone)]
pub struct NewAssignment {
    pub people: AssignmentPeople,
    pub start_date: Date,
}

/// One stage instance to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedInstance {
    pub stage_id: String,
    pub title: String,
    pub kind: StageKind,
    pub due: Due,
}

/// Checks the request against the scenario: a valid employee with a time zone and a start date,
/// a manager, and a person for every role the scenario's stages invite.
pub fn validate_assignment(
    draft: &AssignmentDraft,
    definition: &ScenarioDefinition,
) -> Result<NewAssignment, Vec<Violation>> {
    let mut v = Violations::default();
    let employee = person(&mut v, "employee", &draft.employee, true);
    let start_date = match parse_date(&draft.start_date) {
        Ok(date) if (2000..=2100).contains(&date.year()) => Some(date),
        Ok(_) => {
            v.add("start_date", "must be between 2000 and 2100");
            None
        }
        Err(e) => {
            v.add("start_date", if draft.start_date.trim().is_empty() { "is required".to_string() } else { e });
            None
        }
    };
    let manager = if draft.manager.is_empty() {
        v.add("manager.email", "is required: every assignment has a manager");
        None
    } else {
        person(&mut v, "manager", &draft.manager, false)
    };
    let team: Vec<Person> =
        draft.team.iter().enumerate().filter_map(|(i, p)| person(&mut v, &format!("team[{i}]"), p, false)).collect();
    let optional =
        |v: &mut Violations, field: &str, p: &PersonDraft| if p.is_empty() { None } else { person(v, field, p, false) };
    let trainer = optional(&mut v, "trainer", &draft.trainer);
    let hr = optional(&mut v, "hr", &draft.hr);
    let buddy = optional(&mut v, "buddy", &draft.buddy);
    if let Some(employee) = &employee
        && draft.manager.email.trim().eq_ignore_ascii_case(employee.email.as_str())
    {
        v.add("manager.email", "the new employee cannot be their own manager");
    }
    let given = |role: Role| match role {
        Role::Manager => !draft.manager.is_empty(),
        Role::Team => !draft.team.is_empty(),
        Role::Trainer => !draft.trainer.is_empty(),
        Role::Hr => !draft.hr.is_empty(),
        Role::Buddy => !draft.buddy.is_empty(),
    };
    // The manager is required above whatever the stages invite: one violation per field.
    for role in Role::ALL.iter().copied().filter(|r| *r != Role::Manager && !given(*r)) {
        if let Some(stage) = definition.stages.iter().find(|s| s.roles.contains(&role)) {
            let field = if role == Role::Team { "team".to_string() } else { format!("{}.email", role.as_str()) };
            v.add(field, format!("the stage {:?} invites the {} role: name someone", stage.title, role.as_str()));
        }
    }
    let (Some(mut employee), Some(start_date), Some(manager)) = (employee, start_date, manager) else {
        return Err(v.0);
    };
    if !v.is_empty() {
        return Err(v.0);
    }
    employee.name = employee.name.trim().to_string();
    let mut people = AssignmentPeople { employee, manager, team, trainer, hr, buddy };
    default_zones(&mut people);
    Ok(NewAssignment { people, start_date })
}

/// People of an assignment without a time zone are taken to be in the employee's.
fn default_zones(people: &mut AssignmentPeople) {
    let zone = people.employee.time_zone.clone();
    let others = std::iter::once(&mut people.manager)
        .chain(people.team.iter_mut())
        .chain(people.trainer.iter_mut())
        .chain(people.hr.iter_mut())
        .chain(people.buddy.iter_mut());
    for person in others {
        if person.time_zone.is_none() {
            person.time_zone = zone.clone();
        }
    }
}

/// Every stage instance of an assignment, in the scenario's stage order then by occurrence.
pub fn plan(definition: &ScenarioDefinition, assignment: &NewAssignment) -> Result<Vec<PlannedInstance>, TimingError> {
    let zone = assignment.people.zone().map(|z| z.zone().clone()).unwrap_or(jiff::tz::TimeZone::UTC);
    let mut planned = Vec::new();
    for stage in &definition.stages {
        for due in schedule(&stage.timing, assignment.start_date, &zone, &definition.holidays)? {
            planned.push(PlannedInstance {
                stage_id: stage.id.clone(),
                title: stage.title.clone(),
                kind: stage.kind,
                due,
            });
        }
    }
    Ok(planned)
}
